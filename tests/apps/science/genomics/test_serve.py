"""The genomics tab of `zoo serve` without a browser: the handler on a tiny real run (the same prediction as `zoo
science genomics score`, the length policy said in words, the ISM map), every kind of bad input as a gr.Error
sentence, a run without checkpoints, and the tab building with and without runs."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

gr = pytest.importorskip("gradio")

from apps.science.genomics import serve  # noqa: E402
from apps.science.genomics.cli import predict_in_batches  # noqa: E402
from apps.science.genomics.task import ActivityTask  # noqa: E402
from tests.apps.science.genomics.serve_runs import LENGTH, tiny_run  # noqa: E402
from zoo.checkpoint import load_task  # noqa: E402

SEQ = "".join(np.random.default_rng(0).choice(list("ACGT"), LENGTH))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> str:
    return str(tiny_run(tmp_path_factory.mktemp("runs")))


def predicted(text: str) -> float:
    return float(re.search(r"Predicted activity: (-?[\d.]+)", text)[1])


def test_the_tiny_run_is_a_finished_run(run):
    run = Path(run)
    for name in ("model/config.json", "model/model.safetensors", "model/examples.safetensors", "config.yaml",
                 "checkpoints/best.ckpt"):
        assert (run / name).is_file(), name
    # what `fit` writes for an app in a group: its folder's name (runs/genomics/...), not "science/genomics"
    assert json.loads((run / "metrics.json").read_text())["app"] == "genomics"


def test_the_prediction_is_the_score_commands(run):
    text, picture = serve.score(run, SEQ.lower()[:30] + " \n" + SEQ[30:])  # case and whitespace do not matter
    task = load_task(Path(run) / "checkpoints" / "best.ckpt", ActivityTask)
    assert predicted(text) == pytest.approx(predict_in_batches(task, [SEQ], LENGTH, 8)[0], abs=1e-4)
    assert "units of its training data (synthetic)" in text and f"{LENGTH} nt, the model's length" in text
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
    named = re.search(r"mutated\): (.*)\.$", text)[1].split(", ")
    assert len(named) == serve.TOP
    for item in named:  # "position base (effect)", the base being the pasted one
        pos, base = item.split()[:2]
        assert SEQ[int(pos) - 1] == base


def test_shorter_and_longer_sequences_are_fitted_as_score_does(run):
    task = load_task(Path(run) / "checkpoints" / "best.ckpt", ActivityTask)
    short, long = SEQ[:20], SEQ + "ACGTACGTAC" * 4  # 20 and 100 nt
    text, _ = serve.score(run, short)
    assert "padded with 20 N before and 20 after" in text
    assert predicted(text) == pytest.approx(predict_in_batches(task, [short], LENGTH, 8)[0], abs=1e-4)
    assert all(1 <= int(item.split()[0]) <= 20 for item in re.search(r"mutated\): (.*)\.$", text)[1].split(", "))
    text, _ = serve.score(run, long)
    assert "centre-cropped to positions 21-80" in text
    assert predicted(text) == pytest.approx(predict_in_batches(task, [long], LENGTH, 8)[0], abs=1e-4)
    text, _ = serve.score(run, ">my element\n" + SEQ)  # a FASTA record's header line is ignored
    assert predicted(text) == pytest.approx(predict_in_batches(task, [SEQ], LENGTH, 8)[0], abs=1e-4)
    assert "none (the sequence is all N)" in serve.score(run, "NNNN")[0]


def test_held_out_samples_cycle_and_score(run):
    seq, nxt = serve.sample(run, 0)
    assert set(seq) <= set("ACGTN") and len(seq) == LENGTH and nxt == 1
    assert serve.sample(run, 8)[0] == seq  # 8 examples, cycled
    assert "Predicted activity" in serve.score(run, seq)[0]


def test_bad_sequences_are_refused_with_a_sentence(run):
    for empty in ("", "  \n\t ", None, ">only a header\n"):
        with pytest.raises(gr.Error, match="No sequence given"):
            serve.score(run, empty)
    with pytest.raises(gr.Error, match="character 'X' at position 5 is not DNA"):
        serve.score(run, "ACGTXACGT")
    with pytest.raises(gr.Error, match="character 'U' at position 7 is not DNA"):
        serve.score(run, "ACG\nTA CU")  # positions count letters, not the spaces and breaks
    with pytest.raises(gr.Error, match="10,001 letters; the limit is 10,000"):
        serve.score(run, "A" * 10_001)
    with pytest.raises(gr.Error, match="No run chosen"):
        serve.score("", SEQ)


def test_a_run_without_checkpoints_scores_in_standard_units(run, tmp_path):
    bare = tmp_path / "genomics" / "bare"
    shutil.copytree(Path(run) / "model", bare / "model")
    shutil.copy(Path(run) / "metrics.json", bare)
    text, _ = serve.score(str(bare), SEQ)
    assert "standard deviations" in text and f"{LENGTH} nt, the model's length" in text
    with pytest.raises(gr.Error, match="Cannot load the run"):
        serve.score(str(tmp_path / "missing"), SEQ)


def test_the_tab_builds_with_and_without_runs(run):
    with gr.Blocks() as page:
        with gr.Tab("x"):
            serve.tab([Path(run)])
    ids = {getattr(b, "elem_id", None) for b in page.blocks.values()}
    assert {"genomics-sequence", "genomics-score", "genomics-activity", "genomics-ism"} <= ids
    assert f"reads {LENGTH} nt" in serve.describe(run)
    with gr.Blocks() as empty:
        with gr.Tab("x"):
            serve.tab([])
    text = " ".join(str(getattr(b, "value", "")) for b in empty.blocks.values())
    assert "No finished science/genomics run yet" in text and "zoo science genomics fit" in text
