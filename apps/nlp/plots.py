"""Where the decoder looks: the source-attention map of one greedy translation, as a PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from zoo.runtime.report import save_figure  # noqa: E402


def _label(tokenizer, token_id: int) -> str:
    """A readable subword: decoded on its own (byte-level tokens otherwise show as 'Ġle', 'Ã©')."""
    return tokenizer.decode([token_id], skip_special_tokens=False).replace(" ", "·") or "?"


@torch.no_grad()
def source_attention(task, sentence: str) -> tuple[list[str], list[str], torch.Tensor]:
    """Greedy-translate ``sentence``; returns source subwords, output subwords (EOS last) and the attention
    (T_out, S) the decoder paid to each source subword at each step (the last decoder layer, heads averaged, for
    the Transformer; the attention layer for the LSTM)."""
    from .corpora import check_sentence

    model, tok = task.model, task.tokenizer
    was_training = model.training
    model.eval()
    ids = tok.encode(check_sentence(sentence, "sentence")).ids
    device = next(model.parameters()).device
    state = model.encode(torch.tensor([ids], device=device))  # batch of one
    prev = torch.tensor([model.bos_id], device=device)
    out, rows = [], []
    for _ in range(task.hparams.max_decode_len):
        logits, state = model.decode_step(prev, state)
        prev = logits.argmax(-1)  # (1,)
        out.append(int(prev))
        rows.append(state["attn"][0].float().cpu())  # (S,)
        if out[-1] == model.eos_id:
            break
    model.train(was_training)
    labels_out = [_label(tok, i) if i != model.eos_id else "</s>" for i in out]
    return [_label(tok, i) for i in ids], labels_out, torch.stack(rows)


def plot_attention(task, sentence: str, path: str | Path) -> Path:
    src, out, attn = source_attention(task, sentence)
    if attn.shape[1] == 0 or not attn.any():
        raise ValueError(f"{task.hparams.model}: this model reports no source attention to plot")
    fig, ax = plt.subplots(figsize=(1.2 + 0.45 * len(src), 1.2 + 0.35 * len(out)))
    ax.imshow(attn.numpy(), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(src)), src, rotation=60, ha="right")
    ax.set_yticks(range(len(out)), out)
    ax.set_xlabel("English (source subwords)")
    ax.set_ylabel("French (generated, top to bottom)")
    ax.set_title(sentence if len(sentence) < 60 else sentence[:57] + "...", fontsize=9)
    return save_figure(fig, path)
