"""The trained translation model `zoo perf` times: trained once for a bounded time, then reused from the runs folder.

Decoding speed only means something on a model that emits sensible sentences of realistic length (a random model
runs to ``max_decode_len`` every time), and BLEU only compares contenders on a trained one. Training the tatoeba
preset's model for about three minutes on 2 cores gives such a model; it is cached as a plain Lightning checkpoint
(read back through ``zoo.checkpoint.load_task``, weights only) beside a ``trained.json`` saying how it was made.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from zoo.cache import data_path
from zoo.checkpoint import load_task
from zoo.runtime.machine import auto_precision
from zoo.trust.reader import read_mapping
from zoo.trust.runfolder import RunFolder

from .data import TranslationDataModule
from .task import TranslationTask

MODEL_DIR = Path("runs/bench/perf/nlp-model")
TATOEBA = Path("../shared/data/translation/fra-eng.zip")
PRESET = Path(__file__).parent / "configs" / "tatoeba_quick.yaml"
TRAIN_SECONDS = 1500.0  # a bound for a busy machine (one thread there trains at ~2.6 s a step)
MAX_STEPS = 600  # the cosine schedule's length: about 4 minutes on 2 idle cores
WARMUP_STEPS = 100  # the preset's 500 would take most of MAX_STEPS
FIXED_LEN = 24  # every training batch is padded to this many tokens a side (see fixed_loader)


@dataclass
class PerfModel:
    task: TranslationTask
    datamodule: TranslationDataModule
    how: dict
    """How it was trained (corpus, preset, steps, seconds): goes into the workload's facts."""


def corpus() -> str:
    """Tatoeba when ../shared has it, else the generated corpus (always there)."""
    return str(data_path(TATOEBA)) if data_path(TATOEBA).is_file() else "generated"


def datamodule(corpus_name: str, tokenizer: str | None = None) -> TranslationDataModule:
    """The preset's data module on ``corpus_name`` (generated: 30k sentences, a 2000-token vocabulary)."""
    init = read_mapping(PRESET, allow_classes=True)["data"]["init_args"]  # only its settings are used
    if corpus_name == "generated":
        init = {**init, "generated_size": 30000, "vocab_size": 2000}
    dm = TranslationDataModule(**{**init, "corpus": corpus_name, "tokenizer": tokenizer})
    dm.setup()
    return dm


def train(folder: Path, corpus_name: str) -> None:
    """Train the preset's model and learning rate (warm-up and cosine over MAX_STEPS) for at most TRAIN_SECONDS, no
    validation, bf16 autocast where the CPU has it, on the threads torch has (on a shared machine one thread trains
    faster than two: measured 0.8 s a step against 3-4 s); write ``model.ckpt``, ``tokenizer.json`` and ``trained.json``."""
    import lightning as L
    import torch

    from .tokenizer import FILENAME

    model_cfg = read_mapping(PRESET, allow_classes=True)["model"]
    torch.manual_seed(0)
    dm = datamodule(corpus_name)
    task = TranslationTask(model=model_cfg["model"], model_kwargs=model_cfg["model_kwargs"], data_spec=dm.spec,
                           lr=model_cfg["lr"], warmup_steps=WARMUP_STEPS, schedule="cosine",
                           max_decode_len=model_cfg["max_decode_len"])
    task.tokenizer = dm.tokenizer  # fit gets a plain loader, so the task's setup does not see the data module
    precision = auto_precision("cpu")[0]
    trainer = L.Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False, limit_val_batches=0,
                        max_steps=MAX_STEPS, max_time={"seconds": TRAIN_SECONDS}, precision=precision)
    start = time.perf_counter()
    trainer.fit(task, train_dataloaders=fixed_loader(dm))
    seconds = time.perf_counter() - start
    out = RunFolder.claim(folder, "perf model folder")
    trainer.save_checkpoint(out.path("model.ckpt"), weights_only=True)  # Lightning opens it: the name checked
    out.write_text(FILENAME, dm.tokenizer.to_str())
    how = {"corpus": corpus_name, "preset": PRESET.name, "model": model_cfg["model"],
           "model_kwargs": model_cfg["model_kwargs"], "steps": trainer.global_step, "max_steps": MAX_STEPS, "warmup_steps": WARMUP_STEPS, "lr": model_cfg["lr"],
           "train_seconds": round(seconds, 1), "threads": torch.get_num_threads(), "precision": precision,
           "batch_size": dm.hparams.batch_size, "validation": "none during training",
           "batches": f"shuffled, padded to {FIXED_LEN} tokens a side (pairs longer dropped), last partial dropped"}
    out.write_text("trained.json", json.dumps(how, indent=1) + "\n")


def fixed_loader(dm: TranslationDataModule):
    """Shuffled training batches all padded to FIXED_LEN source and FIXED_LEN + 1 target tokens. Why: oneDNN builds
    a kernel for every new matmul shape, seconds each on this CPU, and length buckets make a new shape nearly every
    step (measured: 3-17 s a step instead of 0.3 s); one shape trains ten times more steps in the same minutes."""
    import torch
    from torch.utils.data import DataLoader

    from .data import collate

    data = [(s, t) for s, t in dm.encoded["train"] if len(s) <= FIXED_LEN and len(t) <= FIXED_LEN]
    data.append(([3] * FIXED_LEN, [3] * FIXED_LEN))  # not used for training: only fixes the padded width below

    def fixed(batch):
        src, tgt_in, tgt_out = collate(batch + [data[-1]])
        return src[:-1], tgt_in[:-1], tgt_out[:-1]  # (B, FIXED_LEN), (B, FIXED_LEN + 1) x 2

    return DataLoader(data[:-1], batch_size=dm.hparams.batch_size, shuffle=True, drop_last=True, collate_fn=fixed,
                      generator=torch.Generator().manual_seed(0))


def perf_model(folder: Path = MODEL_DIR) -> PerfModel:
    """The cached model (trained first when ``folder`` has none, on the corpus it would use now)."""
    folder = Path(folder)
    name = corpus()
    trained = folder / "trained.json"  # in the cache, but read as any file is: bounded, no link out
    if not trained.is_file() or read_mapping(trained, root=folder).get("corpus") != name:
        train(folder, name)
    task = load_task(folder / "model.ckpt", TranslationTask)
    return PerfModel(task, datamodule(name, tokenizer=str(folder)), read_mapping(trained, root=folder))


if __name__ == "__main__":  # python -m apps.nlp.perf_model: train (or find) the cached model
    print(perf_model().how)
