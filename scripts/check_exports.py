"""Every registered model, built for every input kind it takes (small settings), through `zoo export` and its
onnxruntime check: one line each with the max abs difference and the seconds it took.

    python scripts/check_exports.py            # about 3 minutes on 2 CPU cores

The unit tests (tests/zoo/test_export.py) cover one model per kind; this covers the whole registry."""

import tempfile
import time
import warnings
from pathlib import Path

import zoo
from zoo.errors import InputError
from zoo.export import TOLERANCE
from zoo.runtime.export_run import export_run

SETTINGS = {"image": dict(in_kind="image", in_channels=1, num_outputs=10, image_size=16),
            "sequence": dict(in_kind="sequence", in_channels=4, num_outputs=1),
            "tokens": dict(in_kind="tokens", vocab_size=30, num_outputs=3),
            "field": dict(in_kind="field", in_channels=2, num_outputs=1),
            "board": dict(in_kind="board", in_channels=3, num_outputs=9, board_size=(3, 3)),
            "seq2seq": dict(vocab_size=40)}
SKIP = {"marian": "wraps a Hugging Face model folder; no app trains it"}


def check(name: str, kind: str) -> str:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        zoo.save_pretrained(zoo.create_model(name, **SETTINGS[kind]), Path(folder) / "run" / "model")
        try:
            files = export_run(Path(folder) / "run")["files"]
        except InputError as e:
            return f"FAILED {e}"
    worst = max(f["max_abs_difference"] for f in files.values())
    verdict = "ok" if worst <= TOLERANCE else "TOO FAR"
    return f"{verdict} {worst:.1e} ({', '.join(files)}, {time.perf_counter() - t0:.1f} s)"


def main() -> None:
    warnings.filterwarnings("ignore")
    for name in zoo.list_models():
        for kind in zoo.model_info(name).kinds:
            print(f"{name:26s} {kind:9s} {SKIP.get(name) or check(name, kind)}", flush=True)


if __name__ == "__main__":
    main()
