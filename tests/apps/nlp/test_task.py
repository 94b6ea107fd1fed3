"""TranslationTask on a tiny word-for-word corpus: it learns, checkpoints carry the tokenizer, errors are clear."""

import random

import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from apps.nlp.data import TranslationDataModule
from apps.nlp.task import TranslationTask, bleu
from tests.zoo.helpers import quiet_trainer

WORDS = {"the": "le", "cat": "chat", "dog": "chien", "sees": "voit", "eats": "mange", "big": "grand",
         "small": "petit", "bird": "oiseau", "fish": "poisson", "runs": "court"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = random.Random(0)
    lines = set()
    while len(lines) < 400:
        en = " ".join(rng.choice(list(WORDS)) for _ in range(rng.randint(2, 6)))
        lines.add(f"{en}.\t{' '.join(WORDS[w] for w in en.split())}.")
    path = tmp_path_factory.mktemp("corpus") / "pairs.txt"
    path.write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    return path


def test_bleu_uses_every_reference():
    assert bleu(["il fait beau."], [["le temps est beau.", "il fait beau."]])[0] == pytest.approx(100)
    score, signature = bleu(["le chat"], [["le chien"]])
    assert score < 50 and "nrefs:1" in signature and "tok:13a" in signature


def test_learns_and_checkpoint_translates_identically(corpus, tmp_path):
    torch.manual_seed(0)
    dm = TranslationDataModule(str(corpus), vocab_size=200, batch_size=32, val_fraction=0.1, test_fraction=0.1)
    dm.setup()
    task = TranslationTask(model="transformer_seq2seq_small", data_spec=dm.spec, lr=5e-3, warmup_steps=10,
                           val_bleu_sentences=40, max_decode_len=60, model_kwargs={"width": 64})
    ckpt = ModelCheckpoint(dirpath=tmp_path, save_last=True)
    # validate (greedy BLEU) only at the end: an untrained model decodes to max_decode_len, and doing that every
    # epoch cost ten times the 600 training steps (220 s against 19 s on 2 cores)
    trainer = quiet_trainer(max_epochs=60, enable_checkpointing=True, callbacks=[ckpt], check_val_every_n_epoch=60,
                            num_sanity_val_steps=0)
    trainer.fit(task, datamodule=dm)
    assert trainer.callback_metrics["val_bleu"] > 50  # word for word: learnt in 600 steps (about 65 BLEU)
    (result,) = trainer.test(task, datamodule=dm, verbose=False)
    assert result["test_bleu"] > 50 and result["test_chrf"] > 60
    assert "nrefs" in task.test_outputs["signature"]["bleu"]

    again = TranslationTask.load_from_checkpoint(tmp_path / "last.ckpt", weights_only=True)
    sources = dm.references("test")[0][:10]
    assert again.translate(sources) == task.eval().translate(sources)
    assert again.translate(sources, beam_size=3)  # beam search runs through the same path


def test_translate_refuses_empty_input_clearly(corpus):
    dm = TranslationDataModule(str(corpus), vocab_size=200)
    dm.setup()
    task = TranslationTask(model="lstm_seq2seq_small", data_spec=dm.spec)
    task.tokenizer = dm.tokenizer
    with pytest.raises(ValueError, match="sentence 2: empty sentence"):
        task.translate(["the cat.", "   "])
    with pytest.raises(ValueError, match=r"sentence 1: sentence of 1599 characters \(more than 400\)"):
        task.translate(["the cat " * 200])


def test_length_buckets_keep_padding_low(corpus):
    dm = TranslationDataModule(str(corpus), vocab_size=200, batch_size=16)
    dm.setup()
    src, tgt_in, tgt_out = next(iter(dm.train_dataloader()))
    assert (tgt_in[:, 0] == 1).all() and (tgt_in[:, 1:] == tgt_out[:, :-1]).logical_or(tgt_in[:, 1:] == 0).all()
    pad_share = sum((b[0] == 0).float().mean().item() for b, _ in zip(dm.train_dataloader(), range(10))) / 10
    assert pad_share < 0.25


def test_generated_corpus_through_the_data_module():
    dm = TranslationDataModule("generated", generated_size=2000, vocab_size=500)
    dm.setup()
    assert set(dm.splits) == {"train", "val", "test", "compositional"}
    train_sources = {en for en, _ in dm.splits["train"]}
    assert not train_sources & set(dm.references("test")[0])
    src, tgt_in, tgt_out = next(iter(dm.train_dataloader()))
    assert src.dtype == torch.long and int(src.max()) < dm.spec["vocab_size"]
