"""Our transformer seq2seq under other decoders: converted to CTranslate2 and loaded into a Hugging Face Pegasus
model, greedy decoding gives our token ids exactly (fixed seeded models, sources with padding). CTranslate2 is an
optional package (the bench extra): its tests skip without it, and `zoo nlp translate --backend ctranslate2` then
falls back to ours with a one-line warning."""

from __future__ import annotations

import pytest
import torch

from tests.zoo.test_decoding_fast import V, trained
from zoo.decoding import beam_search, greedy_decode

VOCAB = ["<pad>", "<s>", "</s>", *[f"t{i}" for i in range(3, V)]]


def make(seed: int, **kwargs):
    """A seeded transformer briefly trained to reverse its source: its outputs have many lengths."""
    return trained("transformer_seq2seq_small", seed, **kwargs)


def sources(n: int = 24, seed: int = 3) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(3, V, (int(torch.randint(1, 12, (1,), generator=g)),), generator=g).tolist()
            for _ in range(n)]


def padded(rows: list[list[int]]) -> torch.Tensor:
    src = torch.zeros(len(rows), max(map(len, rows)), dtype=torch.long)
    for r, ids in enumerate(rows):
        src[r, :len(ids)] = torch.tensor(ids)
    return src


@pytest.mark.parametrize("seed,kwargs", [(0, {}), (1, {"decoder_depth": 3}), (2, {"activation": "relu"})])
def test_ctranslate2_greedy_is_ours_token_for_token(tmp_path, seed, kwargs):
    pytest.importorskip("ctranslate2")
    from apps.nlp.ctranslate2_backend import CT2Translator, ZooTransformerConverter

    model = make(seed, **kwargs)
    specials = {"unk_token": "<pad>", "bos_token": "<s>", "eos_token": "</s>", "decoder_start_token": "<s>"}
    ZooTransformerConverter(model, VOCAB, specials).convert(str(tmp_path / "ct2"))
    rows = sources()
    ours, _ = greedy_decode(model, padded(rows), 30)
    theirs = CT2Translator(tmp_path / "ct2", VOCAB, threads=1).translate_ids(rows, 1, 30)
    assert len({len(h) for h in ours}) >= 3  # outputs of several lengths: the comparison means something
    assert theirs == ours


def test_ctranslate2_beam_search_runs(tmp_path):
    """Beam search through CTranslate2 works on the converted model (its length penalty is not GNMT's, so only
    the first beam's agreement on most sentences is asked for)."""
    pytest.importorskip("ctranslate2")
    from apps.nlp.ctranslate2_backend import CT2Translator, ZooTransformerConverter

    model = make(0)
    specials = {"unk_token": "<pad>", "bos_token": "<s>", "eos_token": "</s>", "decoder_start_token": "<s>"}
    ZooTransformerConverter(model, VOCAB, specials).convert(str(tmp_path / "ct2"))
    rows = sources()
    theirs = CT2Translator(tmp_path / "ct2", VOCAB, threads=1).translate_ids(rows, 4, 30, 0.0)
    ours, _ = beam_search(model, padded(rows), 4, 30, 0.0)
    assert sum(a == b for a, b in zip(ours, theirs)) >= len(rows) * 3 // 4


def test_hf_pegasus_greedy_is_ours_token_for_token():
    from apps.nlp.hf_backend import hf_generate, to_pegasus

    model = make(0)
    hf = to_pegasus(model)
    src = padded(sources())
    ours, _ = greedy_decode(model, src, 30)
    assert hf_generate(hf, src, 0, 2, 1, 30) == ours
    with torch.no_grad():  # and the same logits under teacher forcing
        tgt = torch.ones(src.shape[0], 5, dtype=torch.long)
        keep = (src != 0).long()
        theirs = hf(input_ids=src, attention_mask=keep, decoder_input_ids=tgt).logits
        torch.testing.assert_close(theirs, model(src, tgt), atol=1e-4, rtol=1e-4)


def test_translate_cli_falls_back_without_ctranslate2(monkeypatch, capsys):
    from apps.nlp import cli

    monkeypatch.setattr(cli, "ctranslate2_installed", lambda: False)

    class Task:
        backend = None

    task = Task()
    cli.use_ctranslate2(task, None)
    err = capsys.readouterr().err
    assert task.backend is None and "ctranslate2 is not installed" in err and err.count("\n") == 1


@pytest.fixture(scope="module")
def transformer_ckpt(tmp_path_factory):
    """A tiny transformer trained for a few steps on a word-for-word corpus (with its tokenizer)."""
    import random

    from apps.nlp.data import TranslationDataModule
    from apps.nlp.task import TranslationTask
    from tests.zoo.helpers import quiet_trainer

    words = {"the": "le", "cat": "chat", "dog": "chien", "sees": "voit", "big": "grand", "small": "petit"}
    folder = tmp_path_factory.mktemp("ct2cli")
    rng = random.Random(0)
    lines = {" ".join(rng.choice(list(words)) for _ in range(rng.randint(2, 5))) for _ in range(300)}
    corpus = folder / "pairs.txt"
    corpus.write_text("".join(f"{en}.\t{' '.join(words[w] for w in en.split())}.\n" for en in sorted(lines)),
                      encoding="utf-8")
    torch.manual_seed(0)
    dm = TranslationDataModule(str(corpus), vocab_size=120, batch_size=32)
    task = TranslationTask(model="transformer_seq2seq_small", data_spec=dm.spec, max_decode_len=12, lr=3e-3,
                           model_kwargs={"width": 32})
    trainer = quiet_trainer(max_steps=20, limit_val_batches=0, num_sanity_val_steps=0)
    trainer.fit(task, datamodule=dm)
    path = folder / "tiny.ckpt"
    trainer.save_checkpoint(path)
    return path


def test_translate_cli_ctranslate2_backend_matches_ours(transformer_ckpt, capsys):
    pytest.importorskip("ctranslate2")
    from apps.nlp import cli

    sentences = ["the cat sees the dog.", "the big dog.", "a small cat sees.", "the dog sees the big small cat."]
    assert cli.translate_main(["--ckpt", str(transformer_ckpt), "--beam", "1", *sentences]) == 0
    ours = capsys.readouterr().out
    args = ["--ckpt", str(transformer_ckpt), "--beam", "1", "--backend", "ctranslate2", *sentences]
    assert cli.translate_main(args) == 0
    assert capsys.readouterr().out == ours
    folder = transformer_ckpt.with_suffix(".ct2")
    assert (folder / "model.bin").is_file() and (folder / "zoo_source.json").is_file()
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert cli.translate_main(args) == 0  # the converted folder is reused while the checkpoint is unchanged
    assert (folder / "model.bin").stat().st_mtime_ns == stamp
    assert capsys.readouterr().out == ours
