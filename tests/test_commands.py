"""Every command answers `--help` (in-process: exit 0 and a usage line), and the `zoo` command, the demo and the
lessons still find every other app when one app's entry point is gone."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout

import pytest

from zoo.lessons.trials import resolve_targets
from zoo.runtime import apps as apps_module
from zoo.runtime import cli, demo
from zoo.runtime.apps import discover_apps

APPS = discover_apps()


def zoo_help(argv: list[str]) -> tuple[int | None, str]:
    """`zoo ARGV --help`: its exit code and what it printed."""
    out = io.StringIO()
    with redirect_stdout(out):
        try:
            code = cli.main([*argv, "--help"])
        except SystemExit as e:
            code = e.code
    return code, out.getvalue()


def top_level_commands() -> list[str]:
    """The words `zoo --help` offers, read from its usage line, so a command added later is covered too."""
    _, text = zoo_help([])
    return re.search(r"\{([^}]*)\}", text).group(1).split(",")


def every_command() -> list[list[str]]:
    words = [[w] for w in top_level_commands()]
    for app in APPS.values():
        name = app.name.split("/")
        words += [name] + [[*name, command] for command in app.commands]
    return sorted({tuple(w) for w in words})


@pytest.mark.parametrize("argv", [[]] + every_command(), ids=lambda a: " ".join(["zoo", *a, "--help"]))
def test_help_exits_0_with_a_usage_line(argv):
    code, text = zoo_help(list(argv))
    assert code in (0, None), f"exit {code}: {text[-500:]}"
    usage = text.lstrip().splitlines()[0] if text.strip() else ""
    assert usage.startswith("usage: zoo"), text[:500]
    assert all(word in usage for word in argv), usage  # the usage names the command that was asked


def test_every_app_offers_its_commands():
    assert {"vision", "nlp", "rl", "science/pde", "science/genomics"} <= set(APPS)
    assert set(APPS["vision"].commands) == {"fit", "validate", "test", "classify", "evaluate"}
    assert set(APPS["science/genomics"].commands) == {"fit", "validate", "test", "score"}
    assert set(APPS["rl"].commands) == {"train", "arena", "play", "uci", "perf-actors"}


def without(name: str, monkeypatch) -> None:
    """Uninstall one app: its entry point is no longer announced."""
    installed = list(apps_module.entry_points(group=apps_module.ENTRY_POINT_GROUP))
    assert any(ep.name == name for ep in installed)
    monkeypatch.setattr(apps_module, "entry_points", lambda group: [ep for ep in installed if ep.name != name])


@pytest.mark.parametrize("gone", sorted(APPS))
def test_the_others_still_work_without_one_app(gone, monkeypatch, capsys):
    without(gone, monkeypatch)
    left = sorted(name for name in APPS if name != gone)
    assert list(discover_apps()) == left
    steps = demo.demo_steps("demo")
    assert [app.name for _, app, _ in steps] == left  # `zoo demo` runs the others
    assert [t.label for t in resolve_targets("all")] == [label for label, _, _ in steps]
    for name in left:
        assert [t.app for t in resolve_targets(name)] == [name]
    with pytest.raises(SystemExit) as e:
        cli.main(["compare", gone])
    assert e.value.code == 2 and f"unknown app {gone!r}" in capsys.readouterr().err


def test_a_group_lists_its_apps_and_resolves_as_one(capsys):
    code, text = zoo_help(["science"])
    assert code == 0 and "pde" in text and "genomics" in text
    assert cli.main(["science"]) == 2  # no app named: usage on stderr
    assert sorted(t.label for t in resolve_targets("science")) == ["science/genomics", "science/pde"]
    assert [t.label for t in resolve_targets("science/pde")] == ["science/pde"]
    assert [t.label for t in resolve_targets("vision/images")] == ["vision/images"]
    assert [label for label, _, _ in demo.demo_steps("demo", ["science"])] == ["science/genomics", "science/pde"]
