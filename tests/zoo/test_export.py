"""`zoo export`: every model kind the apps train goes to ONNX and runs in onnxruntime as it runs in PyTorch
(max abs difference <= 1e-4 in fp32), on a batch of another size than the trace's."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import zoo
from zoo.errors import InputError
from zoo.runtime.export_run import EXAMPLES, PREPROCESSING, export_run

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'zoo-suite[export]')")
pytest.importorskip("onnxscript", reason="onnxscript is not installed (pip install 'zoo-suite[export]')")

# (what the apps train, as the apps build it)
KINDS = {
    "image classifier (vision)": ("cnn_small", dict(in_kind="image", in_channels=1, num_outputs=10, image_size=28)),
    "vision transformer": ("transformer_small", dict(in_kind="image", in_channels=1, num_outputs=10, image_size=28)),
    "field model (pde)": ("fno_small", dict(in_kind="field", in_channels=2, num_outputs=1)),
    "sequence regressor (genomics)": ("cnn_small", dict(in_kind="sequence", in_channels=4, num_outputs=1)),
    "board policy/value (rl)": ("resnet_small", dict(in_kind="board", in_channels=3, num_outputs=9,
                                                     board_size=(3, 3), depth=2, width=16)),
    "translation (nlp)": ("transformer_seq2seq_small", dict(vocab_size=60, pad_id=0, bos_id=1, eos_id=2,
                                                            depth=1, width=32, heads=2)),
    "LSTM translation (nlp)": ("lstm_seq2seq_small", dict(vocab_size=60, width=16, depth=2, dropout=0.2)),
    "LSTM over padded tokens": ("lstm_small", dict(in_kind="tokens", vocab_size=30, num_outputs=3, width=16)),
}


def saved(tmp_path, name, kwargs, examples=None):
    torch.manual_seed(0)
    model = zoo.create_model(name, **kwargs)
    folder = zoo.save_pretrained(model, tmp_path / "run" / "model")
    if examples is not None:
        from safetensors.torch import save_file

        save_file({"inputs": examples}, str(folder / EXAMPLES))
    return folder


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_exports_and_matches_pytorch_in_onnxruntime(tmp_path, kind):
    name, kwargs = KINDS[kind]
    folder = saved(tmp_path, name, kwargs)
    summary = export_run(folder.parent)
    out = tmp_path / "run" / "export" / "onnx"
    assert summary["out"] == str(out)
    for file, info in summary["files"].items():
        assert (out / file).is_file()
        assert info["max_abs_difference"] <= 1e-4, (file, info["max_abs_difference"])
        assert info["inputs"] and info["outputs"]
    assert json.loads((out / "export.json").read_text())["model"] == name
    readme = (out / "README.md").read_text()
    assert all(f"## {file}" in readme for file in summary["files"])
    if "translation" in kind:
        assert set(summary["files"]) == {"encoder.onnx", "decoder_step.onnx"}


@pytest.mark.parametrize("kind", ["translation (nlp)", "LSTM translation (nlp)"])
def test_seq2seq_decoding_with_onnxruntime_alone_gives_the_same_tokens(tmp_path, kind):
    """Greedy decoding driven only by the two ONNX files (the README's recipe) writes what zoo.decoding writes,
    with padded sources (the LSTM's packed lengths)."""
    import onnxruntime as ort

    from zoo.decoding import greedy_decode

    name, kwargs = KINDS[kind]
    folder = saved(tmp_path, name, kwargs)
    out = tmp_path / "run" / "export" / "onnx"
    export_run(folder.parent)
    model = zoo.from_pretrained(folder).eval()
    src = torch.randint(3, 60, (3, 9), generator=torch.Generator().manual_seed(1))
    src[1, 6:] = 0
    encoder = ort.InferenceSession(str(out / "encoder.onnx"))
    step = ort.InferenceSession(str(out / "decoder_step.onnx"))
    keys = [o.name for o in encoder.get_outputs()]
    state = dict(zip(keys, encoder.run(None, {"src": src.numpy()})))
    wanted = {i.name for i in step.get_inputs()}
    prev, tokens = np.full(3, 1, dtype=np.int64), []
    for _ in range(8):
        logits, *new = step.run(None, {k: v for k, v in {"prev_tokens": prev, **state}.items() if k in wanted})
        prev = logits.argmax(-1)
        tokens.append(prev)
        state = dict(zip(keys, new))
    ours, _ = greedy_decode(model, src, max_len=8)
    onnx = np.stack(tokens, 1)
    assert any(len(row) for row in ours)  # something to compare: an untrained model rambles on
    for row, expected in zip(onnx.tolist(), ours):
        assert row[: len(expected)] == expected


def test_held_out_examples_and_normalisation_are_used(tmp_path):
    name, kwargs = KINDS["image classifier (vision)"]
    examples = torch.rand(5, 1, 28, 28)
    folder = saved(tmp_path, name, kwargs, examples)
    (folder / PREPROCESSING).write_text(json.dumps({"mean": [0.3], "std": [0.2], "classes": list("abcdefghij")}))
    summary = export_run(folder.parent)
    assert summary["checked_on"].startswith("5 held-out inputs")
    assert summary["normalisation_inside"] and summary["carried"] == [PREPROCESSING]
    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp_path / "run" / "export" / "onnx" / "model.onnx"))
    model = zoo.from_pretrained(folder).eval()
    with torch.no_grad():
        expected = model((examples - 0.3) / 0.2).numpy()
    assert np.abs(session.run(None, {"image": examples.numpy()})[0] - expected).max() <= 1e-4


def test_what_cannot_export_says_why(tmp_path):
    from zoo.export import CannotExport, graphs

    with pytest.raises(InputError, match="no model folder here"):
        export_run(tmp_path / "nowhere")
    model = torch.nn.Linear(2, 2)
    model.config = {"name": "someones_model", "in_kind": "audio"}
    with pytest.raises(CannotExport, match="no ONNX export for in_kind='audio'"):
        graphs(model, torch.zeros(1, 2))


@pytest.mark.parametrize("app_name, preset", [("vision", "apps/vision/configs/digits_quick.yaml"),
                                              ("science/pde", "apps/science/pde/configs/burgers_quick.yaml")])
def test_a_finished_run_exports_with_its_held_out_inputs(tmp_path, app_name, preset):
    """A real (tiny) run: its model folder holds held-out inputs, on which the export is traced and checked."""
    from zoo.runtime.apps import discover_apps

    app = discover_apps()[app_name]
    app.main(["fit", "-c", str(Path(__file__).parents[2] / preset),
              "--name", "run", "--runs_dir", str(tmp_path), "--trainer.max_epochs", "1",
              "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1",
              "--trainer.enable_progress_bar", "false", *(["--model.eval_samples", "20"] if app_name == "vision" else [])])
    run = tmp_path / app_name.rsplit("/", 1)[-1] / "run"
    summary = export_run(run)
    assert summary["checked_on"].startswith("8 held-out inputs"), summary["checked_on"]
    assert all(info["max_abs_difference"] <= 1e-4 for info in summary["files"].values())
    assert summary["normalisation_inside"]  # pixels in [0, 1] / physical fields, as the app's task takes them
