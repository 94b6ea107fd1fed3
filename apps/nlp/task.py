"""TranslationTask: label-smoothed cross-entropy on next tokens, validation BLEU on a fixed subset (greedy),
test BLEU and chrF with sacreBLEU (detokenized, every reference of a source sentence, signature kept)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sacrebleu
import torch
import torch.nn as nn
from tokenizers import Tokenizer

from zoo.decoding import beam_search, greedy_decode
from zoo.task import ZooTask
from zoo.trust.bounds import TASK_INTS, check_decode_len, decode_limit, whole
from zoo.trust.runfolder import write_text

from .corpora import check_sentence
from .tokenizer import FILENAME as TOKENIZER_FILE
from .tokenizer import decode, encode, load_tokenizer, tokenizer_from_str


class TranslationTask(ZooTask):
    monitor, monitor_mode, headline = "val_bleu", "max", "test_bleu"

    def __init__(self, *args, data_spec: dict | None = None, label_smoothing: float = 0.1,
                 val_bleu_sentences: int = 300, beam_size: int = 4, length_penalty: float = 0.6,
                 max_decode_len: int = 80, hf_path: str | None = None, **kwargs):
        """
        Args:
            data_spec: vocabulary size and special ids from the data module (linked by the CLI).
            label_smoothing: cross-entropy label smoothing.
            val_bleu_sentences: validation sentences translated (greedy) for ``val_bleu`` each epoch.
            beam_size: beam width for the test split (1: greedy).
            length_penalty: GNMT length-penalty exponent for beam search.
            max_decode_len: longest output, in tokens.
            hf_path: a local Hugging Face Marian checkpoint folder to train from (model ``marian``); it uses the
                data module's tokenizer (see zoo.models.marian).
        """
        self._label_smoothing = label_smoothing
        check_decode_len(max_decode_len)  # the page and the CLI decode this long at most: bounded (zoo.trust.bounds)
        whole(beam_size, "beam_size", *TASK_INTS["beam_size"])
        super().__init__(*args, **kwargs)
        self.tokenizer: Tokenizer | None = None

    def model_defaults(self) -> dict[str, Any]:
        spec = self.hparams.get("data_spec") or {}
        defaults = {"in_kind": "seq2seq", **{k: spec[k] for k in ("vocab_size", "pad_id", "bos_id", "eos_id")}}
        if self.hparams.get("hf_path"):
            defaults["hf_path"] = str(self.hparams.hf_path)
        return defaults if spec else {}

    def configure_models(self) -> None:
        if self.hparams.get("hf_path"):
            self.hparams["model"] = "marian"
        super().configure_models()

    def configure_losses(self) -> None:
        self.criterion = nn.CrossEntropyLoss(ignore_index=self.model.pad_id, label_smoothing=self._label_smoothing)

    # -- the tokenizer lives with the model -----------------------------------------------------------
    def setup(self, stage: str) -> None:
        dm = self.trainer.datamodule if self._trainer is not None else None
        if dm is None or getattr(dm, "tokenizer", None) is None:
            return
        init_from = self.hparams.get("init_from")
        if init_from and self.tokenizer is None and (Path(init_from) / TOKENIZER_FILE).is_file():
            self.tokenizer = load_tokenizer(init_from)
        if self.tokenizer is not None and self.tokenizer.to_str() != dm.tokenizer.to_str():
            raise ValueError("the data module's tokenizer is not the one this model was trained with: pass the "
                             f"model folder as data tokenizer too (--data.init_args.tokenizer {init_from or 'DIR'})")
        self.tokenizer = dm.tokenizer

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        if self.tokenizer is not None:
            checkpoint["tokenizer"] = self.tokenizer.to_str()

    def pretrained_files(self) -> dict[str, str]:
        return {TOKENIZER_FILE: self.tokenizer.to_str()} if self.tokenizer is not None else {}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "tokenizer" in checkpoint:  # a garbage tokenizer in a checkpoint is one line naming it, not a traceback
            self.tokenizer = tokenizer_from_str(checkpoint["tokenizer"], "the checkpoint's tokenizer")

    # -- training -------------------------------------------------------------------------------------
    def shared_step(self, batch, stage: str) -> torch.Tensor:
        src, tgt_in, tgt_out = batch
        logits = self.model(src, tgt_in)  # (B, T, V)
        loss = self.criterion(logits.flatten(0, 1).float(), tgt_out.flatten())
        tokens = int((tgt_out != self.model.pad_id).sum())
        self.log_loss(stage, loss, tokens)
        return loss

    def on_validation_epoch_end(self) -> None:
        dm = self.trainer.datamodule
        if self.tokenizer is None or not hasattr(dm, "references") or self.trainer.sanity_checking:
            return
        sources, refs = dm.references("val")
        n = self.hparams.val_bleu_sentences
        hyps = self.translate(sources[:n], beam_size=1)
        self.log("val_bleu", bleu(hyps, refs[:n])[0], prog_bar=True)

    def on_test_epoch_end(self) -> None:
        """Test BLEU/chrF with beam search (the headline) and greedy, decoding speed of each, and the generated
        corpus's compositional split (unseen adjective-noun pairs) when there is one."""
        dm = self.trainer.datamodule
        if self.tokenizer is None or not hasattr(dm, "references"):
            return
        sources, refs = dm.references("test")
        start = time.perf_counter()
        greedy = self.translate(sources, beam_size=1)
        greedy_s = time.perf_counter() - start
        start = time.perf_counter()
        hyps = self.translate(sources, beam_size=self.hparams.beam_size)
        beam_s = time.perf_counter() - start
        (b, b_sig), (c, c_sig) = bleu(hyps, refs), chrf(hyps, refs)
        metrics = {"test_bleu": b, "test_chrf": c, "test_bleu_greedy": bleu(greedy, refs)[0],
                   "test_greedy_sents_per_s": len(sources) / greedy_s, "test_beam_sents_per_s": len(sources) / beam_s}
        if "compositional" in getattr(dm, "splits", {}):
            comp_sources, comp_refs = dm.references("compositional")
            metrics["test_compositional_bleu"] = bleu(self.translate(comp_sources, self.hparams.beam_size),
                                                      comp_refs)[0]
        self.log_dict(metrics)
        self.test_outputs = {"sources": sources, "hypotheses": hyps, "references": refs,
                             "signature": {"bleu": b_sig, "chrf": c_sig}}

    def evaluate_run(self, datamodule, run_dir) -> dict:
        """Sample translations beside their references, and the sacreBLEU signatures, in the run folder."""
        out = getattr(self, "test_outputs", None)
        if not out:
            return {}
        lines = [f"sacreBLEU: {out['signature']['bleu']}", f"chrF: {out['signature']['chrf']}", ""]
        for src, hyp, refs in list(zip(out["sources"], out["hypotheses"], out["references"]))[:200]:
            lines += [f"EN   {src}", f"OUT  {hyp}", *[f"REF  {r}" for r in refs], ""]
        write_text(Path(run_dir) / "samples.txt", "\n".join(lines))  # in the run folder, no link followed
        if self.model.model_name == "marian":
            return {}  # SDPA inside transformers does not expose attention weights
        from .plots import plot_attention

        plot_attention(self, out["sources"][0], Path(run_dir) / "plots" / "attention.png")
        return {"plots": ["plots/attention.png"]}

    # -- use ------------------------------------------------------------------------------------------
    @property
    def max_input_tokens(self) -> int:
        """The longest source translated: beyond 4x the output limit the translation would be cut anyway."""
        return 4 * self.hparams.max_decode_len

    def check_input(self, sentence: str, where: str) -> str:
        """The stripped sentence if this model can translate it, else a ValueError naming ``where`` and the limit
        that was passed (so a caller can report one bad sentence and go on with the others)."""
        if self.tokenizer is None:
            raise RuntimeError("this task has no tokenizer yet: train it, or load a checkpoint written by training")
        text = check_sentence(sentence, where)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:  # lone surrogates, e.g. from a command-line argument that was not UTF-8
            raise ValueError(f"{where}: not UTF-8 text (character {e.start + 1} is an undecodable byte)") from None
        n = len(self.tokenizer.encode(text).ids)
        if n > self.max_input_tokens:
            raise ValueError(f"{where}: sentence of {n} tokens (more than {self.max_input_tokens}, the most this "
                             "model translates)")
        return text

    @torch.no_grad()
    def translate(self, sentences: list[str], beam_size: int = 1, batch_size: int = 64) -> list[str]:
        """English sentences -> French, batched; beam_size 1 is greedy. Empty or over-long input gets a clear error.
        Decoding goes through ``self.backend`` (e.g. CTranslate2, see cli.py) when one is set, else zoo.decoding."""
        sentences = [self.check_input(s, f"sentence {i + 1}") for i, s in enumerate(sentences)]
        ids = encode(self.tokenizer, sentences)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths together: less padding
        out: list[str] = [""] * len(ids)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            hyps = self.decode_ids([ids[i] for i in idx], beam_size)
            for i, text in zip(idx, decode(self.tokenizer, hyps)):
                out[i] = text
        return out

    def decode_ids(self, sources: list[list[int]], beam_size: int) -> list[list[int]]:
        """One batch of source token ids -> output ids (no BOS/EOS), through the backend or zoo.decoding."""
        # the run's max_decode_len, but never over 4 x the longest source + 50 (nor the absolute MAX_DECODE_LEN)
        limit = decode_limit(self.hparams.max_decode_len, max(len(s) for s in sources))
        backend = getattr(self, "backend", None)
        if backend is not None:
            return backend.translate_ids(sources, beam_size, limit, self.hparams.length_penalty)
        device = next(self.model.parameters()).device
        src = torch.full((len(sources), max(len(s) for s in sources)), self.model.pad_id, dtype=torch.long)
        for r, ids in enumerate(sources):
            src[r, :len(ids)] = torch.tensor(ids)
        src = src.to(device)
        if beam_size > 1:
            return beam_search(self.model, src, beam_size, limit, self.hparams.length_penalty)[0]
        return greedy_decode(self.model, src, limit)[0]


def _transpose(refs: list[list[str]]) -> list[list[str]]:
    """sacreBLEU wants reference *streams*: stream k holds the k-th reference of every sentence ('' if none)."""
    depth = max(len(r) for r in refs)
    return [[r[k] if k < len(r) else "" for r in refs] for k in range(depth)]


def bleu(hyps: list[str], refs: list[list[str]]) -> tuple[float, str]:
    """Corpus BLEU, detokenized (sacreBLEU's 13a tokenizer), all references of each sentence: (score, signature)."""
    metric = sacrebleu.BLEU()
    return metric.corpus_score(hyps, _transpose(refs)).score, str(metric.get_signature())


def chrf(hyps: list[str], refs: list[list[str]]) -> tuple[float, str]:
    metric = sacrebleu.CHRF()
    return metric.corpus_score(hyps, _transpose(refs)).score, str(metric.get_signature())
