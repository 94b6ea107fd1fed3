"""Model folders are Hub-ready: the card's YAML header is what huggingface_hub parses (with or without that
package installed when writing), and ``from_pretrained("owner/name")`` fetches only data files and loads
them with every check a local folder gets. No test touches the network: the Hub is offline, and a
"download" is a folder we wrote."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path

import pytest
import torch

import zoo
import zoo._card as card_module
from zoo._card import check_card
from zoo._hub import is_hub_id
from zoo.errors import InputError
from zoo.reference import build_reference

huggingface_hub = pytest.importorskip("huggingface_hub")
hub_constants = pytest.importorskip("huggingface_hub.constants")
ModelCard = huggingface_hub.ModelCard

CARD = {"datasets": ["zalando-datasets/fashion_mnist"], "dataset_name": "Fashion-MNIST", "license": "mit",
        "task": "image-classification", "tags": ["vision", "demo"]}
METRICS = {"test_acc": 0.9123, "test_loss": 0.25, "test_top5": 1}


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """The Hub is unreachable and its cache is empty, whatever this machine's settings."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))


@pytest.fixture(scope="module")
def model():
    return build_reference("cnn_small", "image").eval()


def saved(model, folder: Path, **kwargs) -> Path:
    return zoo.save_pretrained(model, folder, **{"metrics": METRICS, "card": CARD, **kwargs})


# -- the card ---------------------------------------------------------------------------------------------
def test_the_card_header_is_what_the_hub_reads(model, tmp_path):
    folder = saved(model, tmp_path / "model")
    data = ModelCard.load(folder / "README.md").data
    assert data.library_name == "zoo-suite"
    assert data.license == "mit"
    assert data.datasets == CARD["datasets"]
    assert data.pipeline_tag == "image-classification"
    assert {"zoo-suite", "cnn", "image", "vision", "demo"} <= set(data.tags)
    assert {r.metric_type: r.metric_value for r in data.eval_results} == METRICS
    assert {(r.task_type, r.dataset_type, r.dataset_name, r.dataset_split) for r in data.eval_results} == {
        ("image-classification", "zalando-datasets/fashion_mnist", "Fashion-MNIST", "test")}
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n") and "## Load it" in text and "| test_acc | 0.9123 |" in text


def test_without_huggingface_hub_the_same_header_is_written(model, tmp_path, monkeypatch):
    with_hub = ModelCard.load(saved(model, tmp_path / "a") / "README.md").data.to_dict()
    monkeypatch.setattr(card_module, "huggingface_hub", lambda: None)
    without = ModelCard.load(saved(model, tmp_path / "b") / "README.md").data.to_dict()
    assert without == with_hub
    assert without["library_name"] == "zoo-suite" and without["model-index"][0]["results"]


def test_metrics_on_unnamed_data_stay_out_of_the_model_index(model, tmp_path):
    folder = zoo.save_pretrained(model, tmp_path / "model", metrics={"test_acc": 0.5, "bad": float("nan")})
    data = ModelCard.load(folder / "README.md").data
    assert data.library_name == "zoo-suite" and data.license == "other"
    assert data.eval_results is None
    assert "| test_acc | 0.5 |" in (folder / "README.md").read_text()


@pytest.mark.parametrize("card,match", [({"licence": "mit"}, "unknown key 'licence'.*allowed keys: datasets"),
                                        ({"datasets": "mnist"}, "list of strings"),
                                        ({"tags": [{"class_path": "os.system"}]}, "list of strings"),
                                        ({"license": 3}, "a string")])
def test_bad_card_fields_are_refused_before_anything_is_written(model, tmp_path, card, match):
    with pytest.raises(ValueError, match=match):
        zoo.save_pretrained(model, tmp_path / "model", card=card)
    assert not (tmp_path / "model").exists()


def test_the_apps_data_modules_describe_their_data():
    from apps.nlp.data import TranslationDataModule
    from apps.rl.train import Settings, model_card
    from apps.science.genomics.data import GenomicsDataModule
    from apps.science.pde.data import PDEDataModule
    from apps.vision.data import DigitsDataModule, FashionMNISTDataModule
    from zoo.runtime.finish import card_data

    cards = {"digits": card_data("vision", DigitsDataModule()), "nlp": TranslationDataModule().card_data(),
             "fashion": FashionMNISTDataModule().card_data(), "genomics": GenomicsDataModule().card_data(),
             "pde": card_data("science/pde", PDEDataModule()),
             "chess": model_card(Settings(game="chess", warm_start_pgn=["games.pgn"]))}
    for c in cards.values():
        check_card(c)
    assert cards["digits"]["license"] == "cc-by-4.0" and "vision" in cards["digits"]["tags"]
    assert cards["fashion"]["datasets"] == ["zalando-datasets/fashion_mnist"]
    assert cards["fashion"]["license"] == "mit"
    assert cards["nlp"]["task"] == "translation" and cards["nlp"]["license"] == "mit"  # our grammar's
    assert cards["pde"]["license"] == "mit" and "science-pde" in cards["pde"]["tags"]
    assert cards["chess"]["license"] == "cc0-1.0" and "self-play" in cards["chess"]["tags"]


# -- from the Hub -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [("someone/some-model", True), ("org_1/model.v2", True),
                                           ("runs/base/model", False), ("./a/b", False), ("/a/b", False),
                                           ("a/../b", False), ("..a/b", False), ("a--b/c", False),
                                           ("model", False), ("someone/model.git", False)])
def test_what_counts_as_a_hub_id(text, expected):
    assert is_hub_id(text) is expected


def test_offline_and_not_cached_says_how_to_get_it():
    with pytest.raises(InputError, match="cache") as e:
        zoo.from_pretrained("someone/some-model")
    assert "no network" in str(e.value) and "download someone/some-model" in str(e.value)


def test_without_huggingface_hub_it_says_what_to_install(monkeypatch):
    monkeypatch.setattr(card_module, "huggingface_hub", lambda: None)
    with pytest.raises(InputError, match="pip install huggingface_hub"):
        zoo.from_pretrained("someone/some-model")


def test_a_missing_local_folder_is_still_a_missing_folder(tmp_path):
    for missing in (str(tmp_path / "nope"), "./nope/model", tmp_path / "a"):
        with pytest.raises(FileNotFoundError, match="does not exist"):
            zoo.from_pretrained(missing)


def fake_download(monkeypatch, folder: Path) -> list[dict]:
    """``snapshot_download`` answering with ``folder``; returns the calls it got."""
    calls = []

    def snapshot_download(repo_id, **kwargs):
        calls.append({"repo_id": repo_id, **kwargs})
        return str(folder)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    return calls


def test_a_hub_model_is_fetched_as_data_and_loaded(model, tmp_path, monkeypatch):
    calls = fake_download(monkeypatch, saved(model, tmp_path / "snapshot"))
    again = zoo.from_pretrained("someone/some-model").eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model(x), again(x))
    (call,) = calls
    assert call["repo_id"] == "someone/some-model"
    patterns = call["allow_patterns"]
    for name in ("config.json", "model.safetensors", "README.md", "tokenizer.json"):
        assert any(fnmatch(name, p) for p in patterns), name
    for name in ("modeling.py", "pytorch_model.bin", "model.pt", "model.pkl", "sub/evil.py"):
        assert not any(fnmatch(name, p) for p in patterns), name


@pytest.mark.parametrize("tamper", ["unregistered", "class_path"])
def test_a_hostile_hub_folder_is_refused_like_a_local_one(model, tmp_path, monkeypatch, tamper):
    folder = saved(model, tmp_path / "snapshot")
    marker = tmp_path / "ran"
    meta = json.loads((folder / "config.json").read_text())
    if tamper == "unregistered":
        meta["config"]["name"] = "no_such_model"
    else:
        meta["config"]["activation"] = {"class_path": "subprocess.Popen",
                                        "init_args": {"args": ["touch", str(marker)]}}
    (folder / "config.json").write_text(json.dumps(meta))
    fake_download(monkeypatch, folder)
    with pytest.raises(ValueError, match="refus|cannot be built|config.json") as e:
        zoo.from_pretrained("someone/some-model")
    with pytest.raises(type(e.value)):
        zoo.from_pretrained(folder)  # the same refusal as for a local folder
    assert not marker.exists()
