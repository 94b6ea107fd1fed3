"""The translation tab of `zoo serve` without a browser: its handlers on a tiny real run (the app's tokenizer
and task), every refused input with its message, and the tab built inside a page."""

from __future__ import annotations

import shutil

import pytest

gr = pytest.importorskip("gradio", reason="gradio is not installed (pip install 'zoo-suite[serve]')")

from apps.nlp import serve  # noqa: E402
from tests.apps.nlp.serve_runs import TASK, tiny_run  # noqa: E402
from tests.serve_tabs import built_tab  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return str(tiny_run(tmp_path_factory.mktemp("runs")))


def test_the_tiny_run_looks_like_a_real_one(run):
    from pathlib import Path

    from zoo.runtime.record import RunRecord
    from zoo.runtime.serve import app_of

    folder = Path(run)
    for name in ("config.json", "model.safetensors", "README.md", "tokenizer.json", "examples.safetensors"):
        assert (folder / "model" / name).is_file(), name
    assert app_of(folder) == "nlp" and RunRecord.read(folder).app == "nlp"


def test_the_run_is_loaded_once_with_its_decoding_settings(run):
    task = serve.load_run(run)
    assert serve.load_run(run) is task
    assert task.hparams.max_decode_len == TASK["max_decode_len"]
    assert task.hparams.length_penalty == TASK["length_penalty"]
    assert task.max_input_tokens == 4 * TASK["max_decode_len"]
    assert not task.training


def test_sentences_are_split_at_their_ends_and_at_line_breaks():
    text = "The cat sleeps.  I like apples!\nWhere are you?\n\n  We eat"
    assert serve.split_sentences(text) == ["The cat sleeps.", "I like apples!", "Where are you?", "We eat"]


@pytest.mark.parametrize("beam", [1, 2, 4, 8])
def test_one_french_line_per_sentence_as_the_app_translates(run, beam):
    text = "The cat sleeps. I like apples.\nWe do not see the white house."
    french, picture = serve.translate(run, text, beam)
    lines = french.split("\n")
    assert len(lines) == 3 and all(line.strip() for line in lines)
    expected = serve.load_run(run).translate(serve.split_sentences(text), beam_size=beam)
    assert lines == [" ".join(e.split()) or "(no words)" for e in expected]
    assert picture.mode == "RGB" and min(picture.size) > 50  # the app's attention plot, as a picture


def test_the_attention_map_is_the_first_sentences(run):
    from apps.nlp.plots import source_attention

    src, out, attn = source_attention(serve.load_run(run), "The cat sleeps.")
    assert attn.shape == (len(out), len(src))
    assert attn.sum(-1).sub(1).abs().max() < 1e-4  # each step's attention is a distribution over the source


@pytest.mark.parametrize("text,message", [
    ("", "empty"), ("   \n\t ", "empty"), (None, "empty"),
    ("word " * 2001, r"10,005 characters long; the limit is 10,000"),
    ("Ж" * 60 + ".", r"Sentence 1: sentence of \d+ tokens \(more than 64, the most this model translates\)"),
    ("The cat sleeps. " + "a" * 450 + ".", r"Sentence 2: sentence of 451 characters \(more than 400\)"),
])
def test_bad_text_is_a_message(run, text, message):
    with pytest.raises(gr.Error, match=message):
        serve.translate(run, text, 4)


@pytest.mark.parametrize("beam", [0, 3, 16, "four", None])
def test_a_beam_size_not_offered_is_a_message(run, beam):
    with pytest.raises(gr.Error, match="Beam size must be one of 1, 2, 4, 8"):
        serve.translate(run, "The cat sleeps.", beam)


def test_a_run_that_cannot_be_loaded_is_a_message(run, tmp_path):
    broken = tmp_path / "nlp" / "broken"
    shutil.copytree(run, broken)
    (broken / "model" / "tokenizer.json").unlink()
    with pytest.raises(gr.Error, match="Cannot load the run .*tokenizer.json is missing"):
        serve.translate(str(broken), "The cat sleeps.", 1)


def test_the_tab_builds_with_runs_and_without(run):
    page, ids = built_tab(serve.tab, run)
    assert {"nlp-text", "nlp-beam", "nlp-translate", "nlp-output", "nlp-attention"} <= ids
    texts = [b.value for b in page.blocks.values() if isinstance(b, gr.Markdown)]
    assert any(run in t for t in texts)
    assert any("No finished nlp run yet" in t and "generated_quick.yaml" in t for t in texts)
