"""`zoo perf nlp`: translation decoding speed, sentences per second, ours against what a user would pick instead.

Pairs: our beam-4 and greedy against the decoders as they were before the incremental-cache rewrite
(zoo.decoding_reference): ours in bf16 (goal 3x for beam-4, at the same BLEU: a fact) and ours in fp32 (the same
tokens, reported); against CTranslate2 fp32 on the same weights (goal: within 2x), and
against Hugging Face ``generate`` on the same weights (a Pegasus model, Marian's pre-norm twin: see
apps.nlp.hf_backend). The facts measured once beside them: BLEU of every contender on the test split, and whether
greedy outputs are identical token for token. The model is trained once and cached (apps.nlp.perf_model).
"""

from __future__ import annotations

import copy
import time

import torch

from zoo.runtime.perf import Contender, Pair, Timed, Workload

from .cli import ctranslate2_installed
from .perf_decoders import DecodeFlops, Decoder, ct2_decoder, hf_decoder, zoo_decoder
from .perf_model import perf_model
from .task import bleu
from .tokenizer import decode, encode

BEAM = 4
TIMED_SENTENCES = {"beam": 400, "greedy": 600}  # about 2-6 s a run on 1-2 busy cores
QUICK_SENTENCES = {"beam": 80, "greedy": 160}
BLEU_SENTENCES, QUICK_BLEU_SENTENCES = 1000, 200


def timed(decoder: Decoder, sources: list[list[int]]) -> Timed:
    start = time.perf_counter()
    decoder(sources)
    return Timed(seconds=time.perf_counter() - start, items=len(sources))


def contender(name: str, decoder: Decoder, sources: list[list[int]], flops: float | None) -> Contender:
    precision = "bf16" if "bf16" in name else "fp32"
    return Contender(name=name, run=lambda: timed(decoder, sources), flops_per_item=flops, precision=precision)


def decoders(pm, beam: int, facts: dict) -> dict[str, Decoder]:
    """Every contender at this beam size (1: greedy); CTranslate2 only where installed (else a fact says so)."""
    task, hp = pm.task, pm.task.hparams
    model, alpha, limit = task.model, hp.length_penalty, hp.max_decode_len
    kind = f"beam-{beam}" if beam > 1 else "greedy"
    out = {f"zoo {kind}": zoo_decoder(model, beam, limit, alpha),
           f"zoo {kind} before (zoo.decoding_reference)": zoo_decoder(model, beam, limit, alpha, reference=True),
           f"zoo {kind} bf16": zoo_decoder(copy.deepcopy(model).to(torch.bfloat16), beam, limit, alpha)}
    from .hf_backend import to_pegasus

    hf = to_pegasus(model)
    out[f"HF generate {kind} (Pegasus)"] = hf_decoder(hf, model.pad_id, model.eos_id, beam, limit, alpha)
    if ctranslate2_installed():
        from . import ctranslate2_backend as ct2

        translator = ct2.CT2Translator(ct2_folder(pm), _vocabulary(task), threads=torch.get_num_threads())
        out[f"ctranslate2 fp32 {kind}"] = ct2_decoder(translator, beam, limit, alpha)
    else:
        facts["ctranslate2"] = "not installed (pip install zoo-suite[bench]): its pairs are left out"
    return out


def ct2_folder(pm):
    """The converted model inside the cached model's run folder (derived from model.ckpt, reconverted when stale)."""
    from .ctranslate2_backend import converted_for
    from .perf_model import MODEL_DIR

    return converted_for(pm.task, MODEL_DIR / "model.ckpt")


def _vocabulary(task) -> list[str]:
    return [task.tokenizer.id_to_token(i) for i in range(task.tokenizer.get_vocab_size())]


def quality_facts(pm, decs: dict[str, Decoder], sources: list[str], refs: list[list[str]]) -> tuple[dict, dict]:
    """BLEU of every decoder on ``sources``, and their outputs (token ids) for the identity checks."""
    ids = encode(pm.task.tokenizer, sources)
    outputs = {name: dec(ids) for name, dec in decs.items()}
    scores = {name: round(bleu(decode(pm.task.tokenizer, out), refs)[0], 2) for name, out in outputs.items()}
    return scores, outputs


def identical(outputs: dict, ours: str, other: str) -> dict:
    """How many sentences ``other`` translates to exactly our token ids."""
    if other not in outputs:
        return {"compared": 0}
    same = sum(a == b for a, b in zip(outputs[ours], outputs[other]))
    return {"compared": len(outputs[ours]), "identical": same, "all_identical": same == len(outputs[ours])}


def workloads(quick: bool = False) -> list[Workload]:
    """One workload: beam-4 and greedy decoding of test sentences against the old decoders, CTranslate2 and HF."""
    pm = perf_model()
    test_sources, refs = pm.datamodule.references("test")
    n_bleu = QUICK_BLEU_SENTENCES if quick else BLEU_SENTENCES
    facts: dict = {"trained": pm.how, "model_parameters": sum(p.numel() for p in pm.task.model.parameters()),
                   "length_penalty": pm.task.hparams.length_penalty, "max_decode_len": pm.task.hparams.max_decode_len,
                   "threads": torch.get_num_threads(), "bleu_sentences": min(n_bleu, len(test_sources)),
                   "bleu": {}, "length_penalty_forms": {
                       "zoo": "GNMT ((5+n)/6)^alpha", "ctranslate2": "n^alpha", "HF generate": "n^alpha"}}
    pairs: list[Pair] = []
    flops = DecodeFlops(pm.task.model)
    for beam in (BEAM, 1):
        kind = "beam" if beam > 1 else "greedy"
        decs = decoders(pm, beam, facts)
        scores, outputs = quality_facts(pm, decs, test_sources[:n_bleu], refs[:n_bleu])
        facts["bleu"].update(scores)
        names = list(decs)
        ours, old, ours16 = names[:3]
        for other in names[1:]:
            facts.setdefault("identical_to_ours", {})[other] = identical(outputs, ours, other)
        n = (QUICK_SENTENCES if quick else TIMED_SENTENCES)[kind]
        sources = encode(pm.task.tokenizer, test_sources[:n])
        per_item = flops.per_sentence(sources, outputs[ours][:n], beam)
        matchups = [(ours16, old, 3.0 if beam > 1 else None), (ours, old, None)]
        matchups += [(ours, other, 0.5 if other.startswith("ctranslate2") else None) for other in names[3:]]
        for mine, other, goal in matchups:
            pairs.append(Pair(name=f"{mine} vs {other}", unit="sentences",
                              ours=contender(mine, decs[mine], sources, per_item),
                              peer=contender(other, decs[other], sources, per_item), goal=goal))
    facts["greedy_identical_token_for_token"] = {
        k: v.get("all_identical") for k, v in facts["identical_to_ours"].items() if "greedy" in k and "bf16" not in k}
    facts["bleu_bf16_minus_fp32"] = {kind: round(facts["bleu"][f"zoo {kind} bf16"] - facts["bleu"][f"zoo {kind}"], 2)
                                     for kind in (f"beam-{BEAM}", "greedy")}
    facts["flops_per_item"] = "encoder over the source + beams x (output tokens + EOS) decoder steps (perf_decoders)"
    return [Workload(name="translation decoding (Tatoeba en-fr test sentences)"
                     if pm.how["corpus"] != "generated" else "translation decoding (generated corpus)",
                     pairs=pairs, facts=facts)]
