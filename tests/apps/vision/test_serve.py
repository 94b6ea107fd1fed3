"""The vision tab of `zoo serve` without a browser: the handlers on a tiny real run (labels, corruptions, attacks,
the held-out samples), every kind of bad input as a gr.Error sentence, and the tab building with and without runs."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

gr = pytest.importorskip("gradio")

from apps.vision import serve  # noqa: E402
from apps.vision.robustness import CORRUPTIONS  # noqa: E402
from apps.vision.task import VisionTask  # noqa: E402
from tests.apps.vision.serve_runs import tiny_run  # noqa: E402
from zoo.checkpoint import load_task  # noqa: E402

CLASSES = [str(i) for i in range(10)]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> str:
    return str(tiny_run(tmp_path_factory.mktemp("runs")))


def picture(h=40, w=30, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)  # (H, W, 3)


def is_distribution(p: dict) -> bool:
    return list(p) == CLASSES and abs(sum(p.values()) - 1) < 1e-5 and min(p.values()) >= 0


def test_the_tiny_run_is_a_finished_run(run):
    run = Path(run)
    for name in ("model/config.json", "model/model.safetensors", "model/preprocessing.json",
                 "model/examples.safetensors", "config.yaml", "checkpoints/best.ckpt"):
        assert (run / name).is_file(), name
    assert json.loads((run / "metrics.json").read_text())["app"] == "vision"


def test_labels_are_the_models_probabilities_after_its_normalisation(run):
    img = picture(8, 8)  # the model's own size: no resizing
    p = serve.classify(run, img)
    assert is_distribution(p)
    task = load_task(Path(run) / "checkpoints" / "best.ckpt", VisionTask)  # the training-time forward
    x = torch.from_numpy((img.astype(np.float32) / 255 * np.array(serve.LUMA, np.float32)).sum(-1))[None, None]
    with torch.no_grad():
        expected = task(x).softmax(-1)[0]
    assert np.allclose([p[c] for c in CLASSES], expected.numpy(), atol=1e-5)


def test_other_shapes_and_pixel_types_are_converted_not_refused(run):
    rgb = picture()
    grey = (rgb.astype(np.float32) * np.array(serve.LUMA, np.float32)).sum(-1).round().astype(np.uint8)
    alpha = np.full(rgb.shape[:2] + (1,), 255, np.uint8)
    for image in (grey, grey[..., None], np.dstack([grey, alpha[..., 0]]), np.dstack([rgb, alpha]),
                  rgb.astype(np.float64) / 255, rgb.astype(np.uint16) * 257, grey > 128, picture(300, 500)):
        assert is_distribution(serve.classify(run, image))
    assert np.allclose(list(serve.classify(run, grey).values()), list(serve.classify(run, np.dstack([grey] * 3))
                                                                      .values()), atol=1e-5)


def test_a_drawing_is_classified_when_there_is_no_upload(run):
    layer = np.zeros((280, 280, 4), np.uint8)
    layer[60:220, 130:150, 3] = 255  # a vertical stroke
    sketch = {"background": None, "layers": [layer], "composite": layer}
    assert is_distribution(serve.classify(run, None, sketch))
    with pytest.raises(gr.Error, match="No image given"):
        serve.classify(run, None, {"background": None, "layers": [np.zeros_like(layer)], "composite": None})


def test_held_out_samples_cycle_and_classify(run):
    first, nxt = serve.sample(run, 0)
    assert first.dtype == np.uint8 and first.shape == (224, 224) and nxt == 1
    assert serve.sample(run, 8)[1] == 1 and np.array_equal(serve.sample(run, 8)[0], first)  # 8 examples, cycled
    assert is_distribution(serve.classify(run, first))


@pytest.mark.parametrize("corruption", ["none", *CORRUPTIONS])
def test_each_corruption_changes_the_image_and_gives_labels(run, corruption):
    img = picture(8, 8)
    shown, p = serve.perturb(run, img, None, corruption, 5, "none", 8)
    clean, _ = serve.perturb(run, img, None, "none", 1, "none", 8)
    assert shown.shape == clean.shape == (224, 224) and is_distribution(p)
    assert np.array_equal(shown, clean) == (corruption == "none")


@pytest.mark.parametrize("attack", ["FGSM", "PGD"])
def test_attacks_stay_within_epsilon_and_lower_the_top_class(run, attack):
    img = serve.sample(run, 0)[0]
    clean = serve.classify(run, img)
    top = max(clean, key=clean.get)
    shown, p = serve.perturb(run, img, None, "none", 1, attack, 16)
    unchanged, _ = serve.perturb(run, img, None, "none", 1, "none", 16)
    assert np.abs(shown.astype(int) - unchanged.astype(int)).max() <= 17  # 16/255, rounded to whole levels
    assert is_distribution(p) and p[top] < clean[top]


def test_bad_images_are_refused_with_a_sentence(run):
    with pytest.raises(gr.Error, match="No image given"):
        serve.classify(run, None)
    with pytest.raises(gr.Error, match="not an image"):
        serve.classify(run, "notes.txt")
    with pytest.raises(gr.Error, match="not an image"):
        serve.classify(run, np.zeros((4, 4, 7), np.uint8))
    with pytest.raises(gr.Error, match=r"5000x10 pixels .* limit is 4096 pixels on a side and 16 megapixels"):
        serve.classify(run, np.zeros((10, 5000, 3), np.uint8))
    with pytest.raises(gr.Error, match=r"4001x4000 pixels \(16.0 megapixels\)"):
        serve.classify(run, np.zeros((4000, 4001), np.uint8))
    with pytest.raises(gr.Error, match="empty"):
        serve.classify(run, np.zeros((0, 5, 3), np.uint8))


def test_bad_settings_and_runs_are_refused_with_a_sentence(run, tmp_path):
    img = picture(8, 8)
    with pytest.raises(gr.Error, match="Unknown corruption 'fog'"):
        serve.perturb(run, img, None, "fog", 1, "none", 8)
    with pytest.raises(gr.Error, match="Severity must be 1 to 5; got 6"):
        serve.perturb(run, img, None, "jpeg", 6, "none", 8)
    with pytest.raises(gr.Error, match="Unknown attack 'CW'"):
        serve.perturb(run, img, None, "none", 1, "CW", 8)
    with pytest.raises(gr.Error, match="Epsilon .* got -1"):
        serve.perturb(run, img, None, "none", 1, "FGSM", -1)
    with pytest.raises(gr.Error, match="No run chosen"):
        serve.classify("", img)
    with pytest.raises(gr.Error, match="Cannot load the run .*missing"):
        serve.classify(str(tmp_path / "missing"), img)
    assert "Cannot load the run" in serve.describe(str(tmp_path / "missing"))


def test_uploads_that_are_no_picture_or_too_large_are_refused_before_decoding(tmp_path):
    from gradio.data_classes import ImageData
    from PIL import Image

    component = serve.checked_image(type="numpy")
    notes = tmp_path / "notes.png"
    notes.write_text("this is not an image")
    with pytest.raises(gr.Error, match="notes.png is not a readable image"):
        component.preprocess(ImageData(path=str(notes), orig_name="notes.png"))
    huge = tmp_path / "huge.png"
    Image.new("L", (5000, 5000), 0).save(huge)
    with pytest.raises(gr.Error, match="5000x5000 pixels .* limit is 4096"):
        component.preprocess(ImageData(path=str(huge), orig_name="huge.png"))
    fine = tmp_path / "fine.png"
    Image.new("L", (20, 10), 7).save(fine)
    assert component.preprocess(ImageData(path=str(fine), orig_name="fine.png")).shape == (10, 20, 3)
    assert component.get_block_name() == "image"  # gradio's own front end draws it
    assert not Path(serve.__file__).with_suffix(".pyi").exists()  # no component subclass: gradio wrote no stub


def test_the_tab_builds_with_and_without_runs(run):
    with gr.Blocks() as page:
        with gr.Tab("x"):
            serve.tab([Path(run)])
    ids = {getattr(b, "elem_id", None) for b in page.blocks.values()}
    assert {"vision-image", "vision-sketch", "vision-classify", "vision-labels", "vision-corruption",
            "vision-severity", "vision-attack", "vision-epsilon", "vision-perturb", "vision-changed",
            "vision-changed-labels"} <= ids
    assert Path(run).name in serve.describe(run)
    with gr.Blocks() as empty:
        with gr.Tab("x"):
            serve.tab([])
    text = " ".join(str(getattr(b, "value", "")) for b in empty.blocks.values())
    assert "No finished vision run yet" in text and "zoo vision fit -c apps/vision/configs/" in text
