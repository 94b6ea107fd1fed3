"""`zoo nlp translate`: a bad sentence is reported by line number or argument position and the others still get
translated; stdin is decoded as UTF-8 line by line; input is translated in batches whose output streams."""

import io
import random
import re
import sys

import pytest

from apps.nlp import cli
from apps.nlp.app import APP
from apps.nlp.data import TranslationDataModule
from apps.nlp.task import TranslationTask
from tests.zoo.helpers import quiet_trainer

WORDS = {"the": "le", "cat": "chat", "dog": "chien", "sees": "voit", "big": "grand", "small": "petit"}
MAX_DECODE_LEN = 8  # so that at most 32 source tokens are translated: easy to exceed within 400 characters


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """A checkpoint of a tiny model trained for one step: the translations are nonsense, the plumbing is real."""
    folder = tmp_path_factory.mktemp("translate")
    rng = random.Random(0)
    lines = {" ".join(rng.choice(list(WORDS)) for _ in range(rng.randint(2, 5))) for _ in range(300)}
    corpus = folder / "pairs.txt"
    corpus.write_text("".join(f"{en}.\t{' '.join(WORDS[w] for w in en.split())}.\n" for en in sorted(lines)),
                      encoding="utf-8")
    dm = TranslationDataModule(str(corpus), vocab_size=120, batch_size=32)
    task = TranslationTask(model="lstm_seq2seq_small", data_spec=dm.spec, max_decode_len=MAX_DECODE_LEN)
    trainer = quiet_trainer(max_steps=1, limit_val_batches=0, num_sanity_val_steps=0)
    trainer.fit(task, datamodule=dm)
    path = folder / "tiny.ckpt"
    trainer.save_checkpoint(path)
    return str(path)


def with_stdin(monkeypatch, data: bytes) -> io.BytesIO:
    raw = io.BytesIO(data)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(raw, encoding="utf-8"))
    return raw


def test_an_over_long_line_is_named_by_its_line_number_and_the_rest_translated(ckpt, monkeypatch, capsys):
    with_stdin(monkeypatch, ("the cat.\n\n" + "the dog " * 60 + "\nthe big dog.\n").encode())
    assert APP.main(["translate", "--ckpt", ckpt, "--beam", "1"]) == 2
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert [line.split("\t")[0] for line in out] == ["the cat.", "the big dog."]
    assert "<stdin> line 3: sentence of 479 characters (more than 400)" in captured.err
    assert "1 of 3 sentences not translated" in captured.err.splitlines()[-1]


def test_too_many_tokens_names_the_argument_and_the_limit(ckpt, capsys):
    assert APP.main(["translate", "--ckpt", ckpt, "--beam", "2", "the cat.", "the cat " * 30, "a dog."]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2 and "\t" not in captured.out  # arguments: translations only
    assert re.search(rf"argument 2: sentence of \d+ tokens \(more than {4 * MAX_DECODE_LEN}\b", captured.err)


def test_an_undecodable_argument_is_reported_not_crashed_on(ckpt, capsys):
    assert APP.main(["translate", "--ckpt", ckpt, "caf\udce9.", "the cat."]) == 2  # as Python decodes bad argv
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1 and "argument 1: not UTF-8 text" in captured.err


def test_strict_stops_at_the_first_bad_line_after_printing_those_before(ckpt, monkeypatch, capsys):
    from zoo.runtime.cli import main as zoo_main

    with_stdin(monkeypatch, b"the cat.\n   \n" + b"x" * 401 + b"\nthe dog.\n")
    assert zoo_main(["nlp", "translate", "--ckpt", ckpt, "--beam", "1", "--strict"]) == 2
    captured = capsys.readouterr()
    assert [line.split("\t")[0] for line in captured.out.splitlines()] == ["the cat."]
    (error,) = captured.err.strip().splitlines()
    assert "<stdin> line 3: sentence of 401 characters (more than 400)" in error


def test_stdin_that_is_not_utf8_names_the_line_and_byte_and_a_bom_is_stripped(ckpt, monkeypatch, capsys):
    with_stdin(monkeypatch, b"\xef\xbb\xbfthe cat.\ncaf\xe9 au lait.\nthe dog.\n")
    assert APP.main(["translate", "--ckpt", ckpt, "--beam", "1"]) == 2
    captured = capsys.readouterr()
    assert [line.split("\t")[0] for line in captured.out.splitlines()] == ["the cat.", "the dog."]
    assert "<stdin> line 2: not UTF-8 (byte 15 of the input)" in captured.err


@pytest.mark.parametrize("option", ["--beam", "--batch-size"])
@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_beam_and_batch_size_must_be_at_least_one(ckpt, capsys, option, value):
    with pytest.raises(SystemExit) as exit_:
        APP.main(["translate", "--ckpt", ckpt, option, value, "the cat."])
    assert exit_.value.code == 2
    assert f"argument {option}: expected a whole number of at least 1" in capsys.readouterr().err


def test_stdin_is_read_and_printed_batch_by_batch(ckpt, monkeypatch):
    """Memory stays flat: each batch is translated before the next lines are read, and printed before the next
    batch is translated."""
    lines = [f"the {'big' if i % 2 else 'small'} cat {i}." for i in range(10)]
    raw = with_stdin(monkeypatch, "\n".join(lines).encode() + b"\n")
    stdout = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stdout)
    calls = []
    translate = TranslationTask.translate

    def spy(self, sentences, *args, **kwargs):
        calls.append((len(sentences), stdout.getvalue().count("\n"), raw.tell() < len(raw.getvalue())))
        return translate(self, sentences, *args, **kwargs)

    monkeypatch.setattr(TranslationTask, "translate", spy)
    assert APP.main(["translate", "--ckpt", ckpt, "--beam", "1", "--batch-size", "3"]) == 0
    assert [(n, printed) for n, printed, _ in calls] == [(3, 0), (3, 3), (3, 6), (1, 9)]
    assert calls[0][2]  # the first batch was translated before stdin had been read to the end
    assert [line.split("\t")[0] for line in stdout.getvalue().splitlines()] == lines


def test_progress_bar_goes_to_stderr_and_leaves_stdout_alone(ckpt, monkeypatch, capsys):
    with_stdin(monkeypatch, b"the cat.\nthe dog.\nthe big cat.\n")
    monkeypatch.setattr(cli, "show_progress", lambda total, batch_size: True)
    assert APP.main(["translate", "--ckpt", ckpt, "--beam", "1", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in out] == ["the cat.", "the dog.", "the big cat."]


def test_a_bar_only_for_large_input_and_output_that_is_not_the_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert cli.show_progress(None, 64) and cli.show_progress(65, 64) and not cli.show_progress(64, 64)
    monkeypatch.setattr(sys, "stdout", sys.stderr)
    assert not cli.show_progress(None, 64)


def test_one_output_line_per_sentence_whatever_the_model_emits(ckpt, monkeypatch, capsys):
    noisy = "le\nchat\t\u2028noir"  # byte-level BPE can emit any character, line breaks included
    monkeypatch.setattr(TranslationTask, "translate", lambda self, sentences, **kw: [noisy] * len(sentences))
    with_stdin(monkeypatch, b"the cat.\nthe dog.\n")
    assert APP.main(["translate", "--ckpt", ckpt]) == 0
    assert capsys.readouterr().out == "the cat.\tle chat noir\nthe dog.\tle chat noir\n"
