"""Every command that reads a file x every hostile kind of file (issue 27's matrix).

``TABLE[command][kind]`` is either a ``Feed`` (how to give that command that kind: argv for `zoo`, or a call for
the library and for what `zoo serve` runs before it listens) or a string saying why the kind has no form there.
Each fed cell must answer with exit 2 and one line on stderr, no traceback (or exit 0 where the kind is harmless
for that command: ``Feed.why`` says why), and in every case: no code ran (``hostile.MARKER``), no Hub request,
nothing written outside (``outside/`` and the shared artifacts unchanged, the secret copied nowhere), a foreign
folder untouched, an answer within 5 s. A command the CLI gains without a row here fails
``test_the_table_covers_every_command``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import resource
from pathlib import Path

import pytest

from tests.security import hostile
from tests.security.hostile import KINDS
from tests.security.matrix_table import LIGHTNING, TABLE, Cell, Feed, Probe
from zoo.runtime import cli

SECONDS = 5.0  # the bound on every refusal: a hostile file is answered at once, whatever the machine is doing
# A cell whose input is harmless does the command's real work (loads a model, translates): on a busy machine,
# beside the parallel suite's other worker, that alone may pass 5 s; it is bounded only against a hang
WORKING_SECONDS = 30.0
MEMORY = 12 * 2**30  # address space for the whole matrix: a huge allocation fails here instead of on the machine



# -- what the CLI has ---------------------------------------------------------------------------------------------
def commands() -> set[str]:
    """Every command, read from the code: `zoo --help`'s verbs, each app's declared commands (and every
    subcommand ZooCLI answers for a LightningCLI app), and the library's ``zoo.from_pretrained``."""
    from zoo.runtime.apps import discover_apps
    from zoo.runtime.lightning_cli import LIGHTNING_SUBCOMMANDS

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        cli.main(["--help"])
    verbs = re.search(r"\{([^}]*)\}", out.getvalue()).group(1).split(",")
    apps = discover_apps()
    groups = {name.split("/")[0] for name in apps}
    names = {verb for verb in verbs if verb not in groups} | {"from_pretrained"}
    for app in apps.values():
        assert app.commands, f"app {app.name} declares no commands: the matrix cannot know what it reads"
        words = {*app.commands, *(LIGHTNING_SUBCOMMANDS if "fit" in app.commands else ())}
        names |= {f"{app.name.replace('/', ' ')} {word}" for word in words}
    return names


def test_the_table_covers_every_command():
    have, want = set(TABLE), commands()
    assert have == want, f"missing from the table: {sorted(want - have)}; not commands: {sorted(have - want)}"


def test_every_row_says_something_for_every_kind():
    for command, row in TABLE.items():
        assert tuple(row) == KINDS or set(row) == set(KINDS), (command, sorted(set(KINDS) ^ set(row)))
        for kind, cell in row.items():
            assert isinstance(cell, Feed) or (isinstance(cell, str) and cell), (command, kind)
            assert not isinstance(cell, Feed) or cell.expect == 2 or cell.why, (command, kind)


@pytest.mark.parametrize("app", LIGHTNING)
def test_the_inputs_the_cells_start_from_are_accepted(app, artifacts, tmp_path, capsys):
    """Unpoisoned, the config and checkpoint the cells poison pass every check (so a refusal is the kind's)."""
    config, ckpt = artifacts.base_config_file(app), artifacts.base_ckpt(app)  # built first: their logs are not ours
    for sub, extra in (("fit", []), ("validate", ["--ckpt_path", str(ckpt)])):
        capsys.readouterr()
        argv = [*LIGHTNING[app], sub, "-c", str(config), "--runs_dir", str(tmp_path), *extra, "--print_config"]
        with contextlib.suppress(SystemExit):
            assert cli.main(argv) in (0, None), capsys.readouterr().err
        assert not hostile.message_lines(capsys.readouterr().err), sub
    if app == "vision":  # and the self-play settings the rl cells poison
        from apps.rl.checks import check_settings
        from apps.rl.train import Settings

        check_settings(Settings(**hostile.RL_CONFIG))


CELLS = [(command, kind) for command, row in TABLE.items() for kind in KINDS if isinstance(row[kind], Feed)]


# -- running a cell -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def artifacts(vision_run, tmp_path_factory) -> hostile.Hostile:
    return hostile.Hostile(tmp_path_factory.mktemp("matrix"), vision_run)


@pytest.fixture(scope="module", autouse=True)
def bounded_memory():
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = MEMORY if hard == resource.RLIM_INFINITY else min(MEMORY, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.fixture
def hub_requests(monkeypatch) -> list[str]:
    import zoo._hub

    asked: list[str] = []

    def refuse(*args, **kwargs):
        asked.append(str(args[0] if args else kwargs))
        raise OSError("the matrix allows no Hub request")

    monkeypatch.setattr(zoo._hub, "download", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    try:
        import huggingface_hub

        for name in ("snapshot_download", "hf_hub_download"):
            monkeypatch.setattr(huggingface_hub, name, refuse)
    except ImportError:
        pass
    return asked


def check(label: str, probe: Probe, feed: Feed, cell: Cell, capsys, monkeypatch, hub_requests) -> list[str]:
    """Run ``probe`` and say everything that went wrong (nothing: the cell holds)."""
    h, shared = cell.h, [cell.h.art, *([cell.h._bases["vision"]] if "vision" in cell.h._bases else [])]
    outside, art = hostile.snapshot(h.outside, True), [hostile.snapshot(p, False) for p in shared]
    theirs = [hostile.snapshot(p, True) for p in cell.watched]
    code, err, took = hostile.run(probe.call, probe.stdin, cli.main, capsys, monkeypatch)
    said, problems = hostile.message_lines(err), []
    if os.environ.get("MATRIX_LOG"):
        with open(os.environ["MATRIX_LOG"], "a") as log:
            log.write(f"{label}\t{code}\t{took:.2f}\t{' | '.join(said)[:300]}\n")
    if code != feed.expect:
        problems.append(f"exit {code}, expected {feed.expect}: {err.strip()[-1500:]}")
    elif code == 2 and ("Traceback" in err or len(said) != 1):
        problems.append(f"exit 2 but not one line: {err.strip()[-1500:]}")
    if h.marker.exists():
        problems.append("a hostile file ran code (the marker exists)")
        h.marker.unlink()
    if hub_requests:
        problems.append(f"Hub requests: {hub_requests}")
        hub_requests.clear()
    problems += [f"wrote outside: {d[:5]}" for d in [hostile.changed(outside, hostile.snapshot(h.outside, True))] if d]
    problems += [f"wrote into the shared artifacts {p}: {d[:5]}"
                 for p, before in zip(shared, art) for d in [hostile.changed(before, hostile.snapshot(p, False))] if d]
    problems += [f"changed a foreign folder {p}: {d[:5]}"
                 for p, before in zip(cell.watched, theirs) for d in [hostile.changed(before, hostile.snapshot(p, True))] if d]
    problems += [f"copied the outside secret into {hits}" for hits in [hostile.holds_secret(cell.tmp)] if hits]
    bound = SECONDS if feed.expect == 2 else WORKING_SECONDS
    if took > bound:
        problems.append(f"took {took:.1f} s (bound {bound:g} s)")
    return problems


def shown(call) -> str:
    """A probe as a person would type it, paths by their last two parts."""
    if not isinstance(call, list):
        return call.__qualname__
    return "zoo " + " ".join("/".join(Path(a).parts[-2:]) if a.startswith("/") else a for a in call)


@pytest.mark.parametrize("command,kind", CELLS, ids=[f"{c.replace(' ', '_')}-{k}" for c, k in CELLS])
def test_hostile_cell(command, kind, artifacts, tmp_path, monkeypatch, capsys, hub_requests):
    import apps.rl.ray_actors

    def no_ray(*args, **kwargs):
        raise AssertionError("a Ray cluster would start: the hostile preset was accepted")

    monkeypatch.setattr(apps.rl.ray_actors, "start_ray", no_ray)
    feed: Feed = TABLE[command][kind]
    monkeypatch.chdir(tmp_path)
    cell = Cell(artifacts, tmp_path)
    report = []
    probes = feed.probes(cell)
    for i, probe in enumerate(probes, 1):
        name = shown(probe.call)
        report += [f"probe {i}/{len(probes)} {name}: {problem}"
                   for problem in check(f"{command} x {kind} #{i}", probe, feed, cell, capsys, monkeypatch,
                                        hub_requests)]
    if report:
        pytest.fail(f"{command} x {kind}:\n  " + "\n  ".join(report), pytrace=False)
