"""The vision tab of `zoo serve`: top-5 labels for an uploaded or drawn image, and the same image after one of the
app's corruptions and/or an FGSM or PGD attack on its top class, beside the labels it then gets.

The handlers are plain functions (the tests call them without a browser); each loads its run's model once
(``zoo.from_pretrained`` and ``preprocessing.json``) and turns bad input into a ``gr.Error`` sentence.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import gradio as gr
import numpy as np
import torch
import torch.nn as nn
from PIL import Image

import zoo
from zoo._hub import EXAMPLES, PREPROCESSING
from zoo.errors import InputError, one_line
from zoo.runtime.serve import loaded, no_run_message, run_picker
from zoo.trust.bounds import MODEL_INTS, SERVE_PIXELS, SERVE_SIDE, ImageTooLarge, whole
from zoo.trust.reader import load_safetensors_tensor, read_mapping, safetensors_shapes

from .data import resize
from .imagefolder import DECODE_ERRORS, IMAGE_FORMATS, check_image
from .robustness import CORRUPTIONS, corrupt, fgsm, pgd

# What the page accepts: a phone photo fits, a decompression bomb does not (zoo.trust.bounds, the bounds table).
MAX_SIDE, MAX_PIXELS = SERVE_SIDE, SERVE_PIXELS
ATTACKS = ("none", "FGSM", "PGD")
LUMA = (0.299, 0.587, 0.114)  # ITU-R 601 weights: PIL's RGB -> L, so a page upload matches `zoo vision classify`
SHOWN = 224  # the changed image is enlarged (nearest neighbour) to at least this many pixels a side


class Classifier(nn.Module):
    """A run's saved model behind the normalisation it trained with: [0, 1] images in, logits out. That is
    ``VisionTask.forward``, the function ``robustness.fgsm`` and ``pgd`` attack."""

    def __init__(self, folder: Path):
        super().__init__()
        prep = read_mapping(folder / PREPROCESSING, root=folder)  # bounded plain JSON (zoo.trust.reader)
        missing = [k for k in ("in_channels", "class_names", "mean", "std") if k not in prep]
        if missing:
            raise InputError(f"{folder / PREPROCESSING}: no {', '.join(missing)} (written by `zoo vision fit`)")
        self.model = zoo.from_pretrained(folder).eval()
        self.channels = int(prep["in_channels"])
        size = prep.get("image_size") or self.model.config.get("image_size")
        # every upload is resized to this: bounded (zoo.trust.bounds), a file's 60000 would take gigabytes
        self.size = whole(size, "image_size", *MODEL_INTS["image_size"], str(folder / PREPROCESSING))
        self.names = [str(n) for n in prep["class_names"]]
        self.register_buffer("mean", torch.tensor(prep["mean"], dtype=torch.float32).view(-1, 1, 1))
        self.register_buffer("std", torch.tensor(prep["std"], dtype=torch.float32).view(-1, 1, 1))
        self.examples = folder / EXAMPLES

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model((x - self.mean) / self.std)  # (B, C, S, S) -> (B, K)


@lru_cache(maxsize=4)
def _load(run: str) -> Classifier:
    return Classifier(Path(run) / "model").eval()


def model_of(run: str) -> Classifier:
    """The run's classifier, loaded on first use; a run that cannot be loaded is a message, not a traceback."""
    return loaded(_load, run, "vision")


def describe(run: str) -> str:
    """The title line: which run folder answers, and what its model expects."""
    try:
        clf = model_of(run)
    except gr.Error as e:
        return f"**{e.message}**"
    grey = "greyscale" if clf.channels == 1 else f"{clf.channels}-channel"
    return (f"**Run:** `{run}`: {clf.model.config['name']}, {len(clf.names)} classes, {grey} images at "
            f"{clf.size}x{clf.size} pixels (uploads are converted and resized to that).")


def pixels(image) -> np.ndarray:
    """Whatever gradio handed over -> float32 (H, W, C) in [0, 1], C in 1..4; refuses what is no picture or too
    large a one (before any copy of it is made)."""
    if image is None:
        raise gr.Error("No image given: upload a picture (PNG, JPEG, ...) or draw one, then press the button.")
    if not isinstance(image, np.ndarray) or image.dtype.kind not in "biuf":
        raise gr.Error(f"That is not an image ({type(image).__name__}): upload a PNG, JPEG, BMP or WebP picture.")
    if image.ndim == 2:
        image = image[..., None]  # (H, W) -> (H, W, 1)
    if image.ndim != 3 or not 1 <= image.shape[2] <= 4:
        raise gr.Error(f"That is not an image (an array of shape {image.shape}); expected height x width pixels "
                       "with 1 to 4 channels.")
    h, w = image.shape[:2]
    if max(h, w) > MAX_SIDE or h * w > MAX_PIXELS:
        raise gr.Error(too_large(w, h))
    if h == 0 or w == 0:
        raise gr.Error("The image is empty (0 pixels): upload a picture with something in it.")
    if image.dtype.kind == "f":
        x = np.nan_to_num(image.astype(np.float32))
        return np.clip(x / 255 if x.max() > 1 else x, 0, 1)
    top = 1 if image.dtype.kind == "b" else 255 if image.max() <= 255 else 65535  # 8- or 16-bit samples
    return np.clip(image.astype(np.float32) / top, 0, 1)


def too_large(width: int, height: int) -> str:
    return (f"The image is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels); the limit is "
            f"{MAX_SIDE} pixels on a side and {MAX_PIXELS // 1_000_000} megapixels: upload a smaller picture.")


def to_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """(H, W, C) -> (H, W, channels): alpha dropped (as PIL's convert does), colour -> grey by luminance, grey
    repeated into colour."""
    if x.shape[2] in (2, 4):
        x = x[..., :-1]
    if x.shape[2] == channels:
        return x
    grey = x if x.shape[2] == 1 else (x[..., :3] * np.array(LUMA, dtype=np.float32)).sum(-1, keepdims=True)
    return grey if channels == 1 else np.repeat(grey, channels, axis=2)


def drawing(sketch) -> np.ndarray | None:
    """A sketchpad's strokes as (H, W, 1) ink in [0, 1] (what the user drew is the ink, white on black like the
    digits and Fashion-MNIST), or None when nothing was drawn."""
    layers = sketch.get("layers") if isinstance(sketch, dict) else None
    alphas = [layer[..., -1] for layer in layers or [] if isinstance(layer, np.ndarray) and layer.ndim == 3]
    if not alphas or max(float(a.max()) for a in alphas) == 0:
        return None
    return np.maximum.reduce(alphas)[..., None]


def model_input(clf: Classifier, image, sketch=None) -> torch.Tensor:
    """The upload (or else the drawing) as the model's input, (1, C, S, S) in [0, 1]."""
    drawn = drawing(sketch) if image is None else None
    x = to_channels(pixels(image if drawn is None else drawn), clf.channels)
    return resize(torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None], clf.size)


def probabilities(clf: Classifier, x: torch.Tensor) -> dict[str, float]:
    """Every class's probability (gr.Label shows the top five)."""
    with torch.inference_mode():
        p = clf(x).softmax(-1)[0]  # (K,)
    return {name: float(v) for name, v in zip(clf.names, p)}


def classify(run: str, image, sketch=None) -> dict[str, float]:
    """Handler of Classify: the image's class probabilities."""
    clf = model_of(run)
    return probabilities(clf, model_input(clf, image, sketch))


def attacked(clf: Classifier, x: torch.Tensor, attack: str, eps: float) -> torch.Tensor:
    """``x`` after the app's FGSM or PGD (seeded random start) against its own top class: how far an eps-small
    change moves the prediction."""
    with torch.inference_mode():
        y = clf(x).argmax(-1)  # (1,)
    with torch.enable_grad():
        if attack == "FGSM":
            return fgsm(clf, x, y.clone(), eps)
        return pgd(clf, x, y.clone(), eps, generator=torch.Generator().manual_seed(0))


def perturb(run: str, image, sketch, corruption: str, severity, attack: str, epsilon):
    """Handler of Apply: (the changed image to show, its class probabilities)."""
    clf = model_of(run)
    if corruption not in ("none", *CORRUPTIONS):
        raise gr.Error(f"Unknown corruption {corruption!r}; choose one of: none, {', '.join(CORRUPTIONS)}.")
    if attack not in ATTACKS:
        raise gr.Error(f"Unknown attack {attack!r}; choose one of: {', '.join(ATTACKS)}.")
    try:
        severity, eps = int(severity), float(epsilon)
    except (TypeError, ValueError):
        raise gr.Error(f"Severity {severity!r} or epsilon {epsilon!r} is not a number.") from None
    if not 1 <= severity <= 5:
        raise gr.Error(f"Severity must be 1 to 5; got {severity}.")
    if not 0 <= eps <= 255:
        raise gr.Error(f"Epsilon is in /255 pixel units and must be 0 to 255; got {eps:g}.")
    x = model_input(clf, image, sketch)  # (1, C, S, S)
    if corruption != "none":
        x = corrupt(x, corruption, severity)
    if attack != "none":
        x = attacked(clf, x, attack, eps / 255)
    return shown(x), probabilities(clf, x)


def shown(x: torch.Tensor) -> np.ndarray:
    """(1, C, S, S) in [0, 1] -> uint8 (H, W) or (H, W, 3), enlarged by a whole factor so an 8x8 digit is seen."""
    img = (x[0].clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()  # (S, S, C)
    img = img[..., 0] if img.shape[2] == 1 else img[..., :3]
    k = max(1, -(-SHOWN // max(img.shape[:2])))
    return np.ascontiguousarray(img.repeat(k, axis=0).repeat(k, axis=1))


def sample(run: str, index: int) -> tuple[np.ndarray, int]:
    """Handler of the sample button: the next of the run's held-out test images (examples.safetensors), shown
    enlarged; returns it and the index after it."""
    clf = model_of(run)
    if not clf.examples.is_file():
        raise gr.Error(f"The run {run} saved no example images ({clf.examples.name}); upload one instead.")
    try:
        shape = safetensors_shapes(clf.examples).get("inputs")  # header bounded, no link (zoo.trust.reader)
    except InputError as e:
        raise gr.Error(one_line(e)) from None
    if not shape or len(shape) != 4 or not shape[0]:
        raise gr.Error(f"{clf.examples}: no 'inputs' tensor of shape (N, C, S, S) (the images the run saved)")
    try:  # only that tensor, its size bounded (zoo.trust.reader)
        inputs = load_safetensors_tensor(clf.examples, "inputs")  # (N, C, S, S)
    except InputError as e:
        raise gr.Error(one_line(e)) from None
    i = int(index or 0) % len(inputs)
    return shown(inputs[i:i + 1]), i + 1


def checked_image(**kwargs) -> gr.Image:
    """A gr.Image whose uploads are checked before gradio decodes them: a file that is no picture, or too large a
    one, becomes a message (not PIL's exception, nor a 400-megapixel array in memory). The instance's preprocess is
    wrapped rather than gr.Image subclassed: gradio writes a .pyi stub beside any module defining a component."""
    image = gr.Image(**kwargs)
    decode = image.preprocess
    image.preprocess = lambda payload: checked_upload(payload, decode)
    return image


def checked_upload(payload, decode):
    """``decode(payload)`` (gradio's Image.preprocess) once the file's header says it is a picture of a size we take."""
    path = getattr(payload, "path", None)
    name = getattr(payload, "orig_name", None) or "the upload"
    try:
        if path:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(path, formats=IMAGE_FORMATS) as img:  # reads the header only
                    try:  # the one header check of every image path (frames, layers, pixels), the page's limits
                        check_image(name, img, MAX_PIXELS, MAX_SIDE)
                    except ImageTooLarge:
                        raise gr.Error(too_large(*img.size)) from None
                    except InputError as e:
                        raise gr.Error(one_line(e)) from None
        return decode(payload)
    except gr.Error:  # a ValueError too: ours, passed on as it is
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise gr.Error(f"{name} is far too large an image; the limit is {MAX_SIDE} pixels on a side and "
                       f"{MAX_PIXELS // 1_000_000} megapixels.") from None
    except DECODE_ERRORS:
        raise gr.Error(f"{name} is not a readable image: upload a PNG, JPEG, BMP or WebP picture.") from None


def tab(runs: Sequence[Path]) -> None:
    """The tab's components and their wiring (inside the open gr.Tab)."""
    if not runs:
        from .app import preset_file

        gr.Markdown(no_run_message("vision", f"zoo vision fit -c apps/vision/configs/{preset_file('quick')} "
                                             "--name quick"))
        return
    choices = [str(r) for r in runs]
    title = gr.Markdown(describe(choices[0]), elem_id="vision-title")
    run = run_picker(runs, "vision-run")
    gr.Markdown("Upload or paste a picture, or draw one (the upload is used when there is one), then Classify.")
    with gr.Row():
        image = checked_image(type="numpy", sources=["upload", "clipboard"], label="image", elem_id="vision-image")
        sketch = gr.Sketchpad(label="or draw", canvas_size=(280, 280), elem_id="vision-sketch")
        labels = gr.Label(num_top_classes=5, label="top 5", elem_id="vision-labels")
    with gr.Row():
        classify_button = gr.Button("Classify", variant="primary", elem_id="vision-classify")
        sample_button = gr.Button("A held-out test image", elem_id="vision-sample")
    gr.Markdown("### Distribution shift and adversarial brittleness\nOne of the corruptions of `zoo vision "
                "evaluate`, and/or an attack on the top class within epsilon (L-infinity), at the model's size.")
    with gr.Row():
        corruption = gr.Dropdown(["none", *CORRUPTIONS], value="gaussian_noise", label="corruption",
                                 elem_id="vision-corruption")
        severity = gr.Slider(1, 5, value=3, step=1, label="severity", elem_id="vision-severity")
        attack = gr.Radio(list(ATTACKS), value="none", label="attack", elem_id="vision-attack")
        epsilon = gr.Slider(0, 32, value=8, step=0.5, label="epsilon (/255)", elem_id="vision-epsilon")
    perturb_button = gr.Button("Apply", elem_id="vision-perturb")
    with gr.Row():
        changed = gr.Image(label="changed image", interactive=False, elem_id="vision-changed")
        changed_labels = gr.Label(num_top_classes=5, label="top 5 after the change", elem_id="vision-changed-labels")
    index = gr.State(0)
    run.change(describe, run, title)
    classify_button.click(classify, [run, image, sketch], labels)
    sample_button.click(sample, [run, index], [image, index])
    perturb_button.click(perturb, [run, image, sketch, corruption, severity, attack, epsilon],
                         [changed, changed_labels])
