"""The translation tab of `zoo serve`: English text -> French, sentence by sentence, with the decoder's
attention over the first sentence.

The handlers reuse the app's own path (``zoo nlp translate``): the task's ``check_input`` and ``translate``
(zoo.decoding's greedy or beam search, with the run's decode length and length penalty) and
``plots.plot_attention``. A run is its ``model/`` folder (``zoo.from_pretrained`` through the task's
``init_from``, plus ``tokenizer.json``), loaded once per folder.
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import gradio as gr
import torch
from PIL import Image

from zoo._hub import read_config
from zoo.errors import one_line
from zoo.runtime.serve import loaded, no_run_message, run_picker
from zoo.trust.bounds import check_decode_len
from zoo.trust.reader import read_mapping

from .plots import plot_attention
from .task import TranslationTask
from .tokenizer import BOS, EOS, PAD, check_vocabulary, load_tokenizer

MAX_TEXT = 10_000  # characters in the box: a page, not a book (decoding is batched but not free)
BEAMS = (1, 2, 4, 8)
QUICK = "zoo nlp fit -c apps/nlp/configs/generated_quick.yaml --name gen"
# A sentence ends at ".", "!" or "?" before white space, or at a line break ("Mr. Smith" splits: a toy rule).
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")
SETTINGS = ("max_decode_len", "length_penalty")  # decoding settings a run's config.yaml may set


def run_settings(run: Path) -> dict:
    """The decoding settings the run was tested with (its config.yaml's ``model`` section), so the page
    decodes as the run's test did; the task's defaults for what the file does not say (or with no file)."""
    path = run / "config.yaml"
    if not path.is_file():
        return {}
    config = read_mapping(path, root=run, allow_classes=True)  # bounded, no aliases (zoo.trust.reader)
    model = config.get("model")
    model = model if isinstance(model, dict) else {}
    settings = {k: model[k] for k in SETTINGS
                if isinstance(model.get(k), (int, float)) and not isinstance(model[k], bool)}
    if "max_decode_len" in settings:  # decoding blocks the page's queue: bounded (zoo.trust.bounds)
        check_decode_len(settings["max_decode_len"], "model.max_decode_len", str(path))
    return settings


@functools.lru_cache(maxsize=4)
def load_run(run: str) -> TranslationTask:
    """The run's model and tokenizer as a TranslationTask in eval mode (as apps/nlp/finetune.py builds one),
    once per run folder."""
    folder = Path(run) / "model"
    name = read_config(folder)["config"]["name"]  # a clear error for a folder that is not a model
    tok = load_tokenizer(folder)
    spec = {"vocab_size": tok.get_vocab_size(), "pad_id": tok.token_to_id(PAD),
            "bos_id": tok.token_to_id(BOS), "eos_id": tok.token_to_id(EOS)}  # what the data module gives
    settings = run_settings(Path(run))
    task = TranslationTask(model=name, init_from=str(folder), data_spec=spec, **settings).eval()
    check_vocabulary(tok, task.model, str(folder / "tokenizer.json"))
    task.tokenizer = tok
    return task


def task_for(run: str) -> TranslationTask:
    """``load_run``, with a run that cannot be loaded as a message in the page."""
    return loaded(load_run, run, "translation")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, in order, stripped (one line each in the output)."""
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def checked_sentences(task: TranslationTask, text: str | None) -> list[str]:
    """The sentences of ``text`` if the model can translate every one, else a gr.Error saying which, why."""
    if text is None or not text.strip():
        raise gr.Error("The text is empty: type one or more English sentences, e.g. \"The cat is big.\"")
    if len(text) > MAX_TEXT:
        raise gr.Error(f"The text is {len(text):,} characters long; the limit is {MAX_TEXT:,} characters. "
                       "Translate it in parts.")
    sentences = split_sentences(text)
    for i, sentence in enumerate(sentences, 1):
        try:
            task.check_input(sentence, f"Sentence {i}")
        except ValueError as e:  # too many characters, or more tokens than the model's longest source
            raise gr.Error(f"{one_line(e)}. Split it into shorter sentences.") from None
    return sentences


def attention_picture(task: TranslationTask, sentence: str) -> Image.Image | None:
    """The app's attention plot (greedy decoding of ``sentence``) as an image; None for a model that reports
    no source attention (a Hugging Face Marian model)."""
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = plot_attention(task, sentence, Path(folder) / "attention.png")
        except ValueError:
            return None
        with Image.open(path) as image:
            return image.convert("RGB")


def translate(run: str, text: str | None, beam: int | str | None) -> tuple[str, Image.Image | None]:
    """English ``text`` -> French, one line per sentence, and the attention map of the first sentence."""
    try:
        beam = int(beam)
    except (TypeError, ValueError):
        beam = 0
    if beam not in BEAMS:
        raise gr.Error(f"Beam size must be one of {', '.join(map(str, BEAMS))} (1 is greedy decoding).")
    task = task_for(run)
    sentences = checked_sentences(task, text)
    with torch.inference_mode():
        outputs = task.translate(sentences, beam_size=beam)
        picture = attention_picture(task, sentences[0])
    # One line per sentence whatever the model emits (newlines inside an output would shift the lines).
    return "\n".join(" ".join(out.split()) or "(no words)" for out in outputs), picture


def title(run: str) -> str:
    """The line naming the run in use."""
    return f"**English -> French** with the run `{run}`. Sentences end at `.`, `!`, `?` or a line break."


def tab(runs: Sequence[Path]) -> None:
    """The translation tab (zoo.runtime.serve calls it inside an open gr.Tab) for the runs, newest first."""
    if not runs:
        gr.Markdown(no_run_message("nlp", QUICK))
        return
    choices = [str(r) for r in runs]
    heading = gr.Markdown(title(choices[0]))
    run = run_picker(runs, "nlp-run-folder")
    with gr.Row():
        with gr.Column():
            text = gr.Textbox(label="English", lines=4, elem_id="nlp-text",
                              placeholder="The cat is big. We do not see the white house.")
            beam = gr.Radio(list(BEAMS), value=4, label="beam size (1: greedy)", elem_id="nlp-beam")
            button = gr.Button("Translate", variant="primary", elem_id="nlp-translate")
        with gr.Column():
            output = gr.Textbox(label="French (one line per sentence)", lines=4, elem_id="nlp-output",
                                interactive=False)
    attention = gr.Image(label="attention over the first sentence (greedy decoding)", type="pil",
                         elem_id="nlp-attention", interactive=False)
    run.change(title, run, heading)
    button.click(translate, [run, text, beam], [output, attention])
