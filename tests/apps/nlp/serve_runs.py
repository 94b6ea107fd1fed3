"""A tiny finished translation run for `zoo serve` tests: the app's own generated corpus, data module (its BPE
tokenizer) and task, a very small Transformer trained for 400 steps (a few seconds: French-looking words),
saved the way ``zoo.runtime.finish`` saves a real run (model folder with tokenizer.json and
examples.safetensors, config.yaml, metrics.json)."""

from __future__ import annotations

import math
from pathlib import Path

import torch
import yaml

import zoo
from apps.nlp.data import TranslationDataModule
from apps.nlp.task import TranslationTask
from zoo.runtime.finish import save_examples
from zoo.runtime.record import Headline, RunRecord

MODEL = "transformer_seq2seq_small"
MODEL_KWARGS = {"depth": 1, "width": 32, "heads": 2}
DATA = {"corpus": "generated", "generated_size": 300, "vocab_size": 400, "batch_size": 16}
TASK = {"max_decode_len": 16, "beam_size": 4, "length_penalty": 0.6}  # max source: 4 x 16 = 64 tokens


def train_a_little(task: TranslationTask, dm: TranslationDataModule, steps: int) -> None:
    """A few optimiser steps on the training split, so the outputs are words rather than noise."""
    opt = torch.optim.Adam(task.model.parameters(), lr=3e-3)
    batches = iter(())
    task.model.train()
    for _ in range(steps):
        batch = next(batches, None)
        if batch is None:
            batches = iter(dm.train_dataloader())
            batch = next(batches)
        src, tgt_in, tgt_out = batch
        loss = task.criterion(task.model(src, tgt_in).flatten(0, 1), tgt_out.flatten())  # logits (B, T, V)
        opt.zero_grad()
        loss.backward()
        opt.step()
    task.model.eval()


def tiny_run(runs_dir: Path, name: str = "tiny", steps: int = 400) -> Path:
    """Write ``runs_dir/nlp/<name>`` (a few seconds on one core) and return it."""
    torch.manual_seed(0)
    run = Path(runs_dir) / "nlp" / name
    dm = TranslationDataModule(**DATA)
    dm.setup()
    task = TranslationTask(model=MODEL, model_kwargs=dict(MODEL_KWARGS), data_spec=dm.spec, **TASK)
    task.tokenizer = dm.tokenizer
    train_a_little(task, dm, steps)
    zoo.save_pretrained(task.model, run / "model", metrics={"test_bleu": 0.0},
                        notes=f"Trained by the `nlp` app, run `{name}` (a test's tiny run).",
                        extra_files=task.pretrained_files(), card=dm.card_data())
    save_examples(dm, run / "model")
    config = {"seed_everything": 0, "model": {"model": MODEL, "model_kwargs": dict(MODEL_KWARGS), **TASK},
              "data": {"class_path": "apps.nlp.data.TranslationDataModule", "init_args": dict(DATA)},
              "name": name, "runs_dir": str(runs_dir)}
    (run / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    RunRecord(app="nlp", model=MODEL, headline=Headline("test_bleu", math.nan, True), run=name,
              run_dir=str(run), family="transformer", steps=steps,
              num_parameters=sum(p.numel() for p in task.model.parameters())).write(run)
    return run
