"""`zoo nlp fit` writes a complete run folder; `zoo nlp translate` reads its checkpoint."""

import json
from pathlib import Path

from apps.nlp.app import APP
from apps.nlp.app import __file__ as nlp_app_file
from apps.nlp.finetune import main as finetune_main
from zoo.runtime.apps import discover_apps
from zoo.runtime.record import RunRecord

CONFIG = str(Path(nlp_app_file).parent / "configs" / "generated_quick.yaml")


def test_fit_then_translate(tmp_path, capsys):
    APP.main(["fit", "-c", CONFIG, "--name", "t", "--runs_dir", str(tmp_path), "--trainer.max_epochs", "1",
              "--data.init_args.generated_size", "1500", "--data.init_args.vocab_size", "500",
              "--model.val_bleu_sentences", "20", "--trainer.enable_progress_bar", "false"])
    run = tmp_path / "nlp" / "t"
    metrics = RunRecord.read(run).to_dict()
    assert metrics["headline"]["name"] == "test_bleu" and 0 <= metrics["test"]["test_bleu"] <= 100
    assert "test_chrf" in metrics["test"] and metrics["family"] == "transformer"
    samples = (run / "samples.txt").read_text()
    assert samples.startswith("sacreBLEU: nrefs:1") and "\nEN   " in samples and "\nREF  " in samples
    capsys.readouterr()
    assert "plots/attention.png" in metrics["plots"] and (run / "plots" / "attention.png").stat().st_size > 1000
    png = tmp_path / "attn.png"
    APP.main(["translate", "--ckpt", str(run / "checkpoints" / "last.ckpt"), "--beam", "2", "The cat is big.",
              "We do not see the white house.", "--attention", str(png)])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and png.read_bytes()[:4] == b"\x89PNG"

    # Fine-tuning starts from the run's model folder, which carries the tokenizer.
    assert (run / "model" / "tokenizer.json").is_file()
    from apps.nlp.grammar import generate_corpus

    pairs = generate_corpus(300, seed=7)["train"]
    corpus = tmp_path / "other.tsv"
    corpus.write_text("".join(f"{en}\t{fr}\n" for en, fr in pairs), encoding="utf-8")
    out = tmp_path / "ft.json"
    finetune_main(["--source", str(run / "model"), "--data", str(corpus), "--epochs", "1", "--beam", "2",
                   "--runs-dir", str(tmp_path), "--out", str(out), "--trainer.enable_progress_bar", "false",
                   "--model.val_bleu_sentences", "10"])
    result = json.loads(out.read_text())
    assert 0 <= result["before"]["test_bleu"] <= 100 and 0 <= result["after"]["test_bleu"] <= 100


def test_a_foreign_tokenizer_is_refused(tmp_path):
    """Fine-tuning with a freshly trained tokenizer would scramble the vocabulary: a clear error instead."""
    import pytest

    from apps.nlp.data import TranslationDataModule
    from apps.nlp.task import TranslationTask
    from tests.zoo.helpers import quiet_trainer
    from zoo import create_model, save_pretrained

    dm = TranslationDataModule("generated", generated_size=300, vocab_size=300)
    dm.setup()
    other = TranslationDataModule("generated", generated_size=300, vocab_size=280, split_seed=3)
    other.setup()
    folder = save_pretrained(create_model("lstm_seq2seq_small", in_kind="seq2seq", **other.spec), tmp_path / "m",
                             extra_files={"tokenizer.json": other.tokenizer.to_str()})
    task = TranslationTask(init_from=str(folder), data_spec=dm.spec)
    with pytest.raises(ValueError, match="not the one this model was trained with"):
        quiet_trainer(max_steps=1).fit(task, datamodule=dm)


def test_app_is_installed():
    assert discover_apps()["nlp"] is APP


def test_marian_checkpoint_trains_a_step(tmp_path, capsys):
    """A tiny randomly initialised Marian saved like a downloaded OPUS-MT folder: `--model.hf_path DIR` trains on
    our tokenizer (embeddings resized) and the run's checkpoint translates."""
    import torch
    from transformers import MarianConfig, MarianMTModel

    torch.manual_seed(0)
    config = MarianConfig(vocab_size=300, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                          decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                          max_position_embeddings=128, pad_token_id=299, decoder_start_token_id=299)
    hf_dir = tmp_path / "tiny-marian"
    MarianMTModel(config).save_pretrained(hf_dir)
    before = MarianMTModel.from_pretrained(hf_dir).model.encoder.layers[0].fc1.weight.clone()

    APP.main(["fit", "-c", CONFIG, "--name", "m", "--runs_dir", str(tmp_path), "--trainer.max_steps", "2",
              "--data.init_args.generated_size", "600", "--data.init_args.vocab_size", "400",
              "--model.hf_path", str(hf_dir), "--model.val_bleu_sentences", "4", "--model.max_decode_len", "8",
              "--model.beam_size", "1", "--trainer.enable_progress_bar", "false"])
    run = tmp_path / "nlp" / "m"
    metrics = RunRecord.read(run).to_dict()
    assert metrics["family"] == "marian" and metrics["model"] == "marian"
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    after = ckpt["state_dict"]["model.hf.model.encoder.layers.0.fc1.weight"]
    assert after.shape == before.shape and not torch.equal(after, before)  # the pretrained layer was trained
    capsys.readouterr()
    APP.main(["translate", "--ckpt", str(run / "checkpoints" / "last.ckpt"), "--beam", "1", "The cat is big."])
    assert len(capsys.readouterr().out.strip().splitlines()) == 1
