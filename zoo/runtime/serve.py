"""`zoo serve [RUN_DIR ...] [--port N]`: one local web page (Gradio) with a tab per app, to try trained models.

Each tab is the app's own (``declare_app(serve="module:function")``): the function is called inside an open
``gr.Tab`` with the app's finished runs, newest first (the folders given on the command line before the rest), and
builds the tab's components. The zoo imports no app: it only finds runs and calls what the app declared.

A finished run is a folder with ``model/config.json`` (a ``save_pretrained`` folder); a run folder given on the
command line belongs to the app its ``metrics.json`` names. A tab with no run says how to train one. Input
problems inside a tab are ``gr.Error`` messages in the page; a run that cannot be loaded is a message in its tab,
never a dead server. The server binds to 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from ..errors import EXPECTED, InputError, one_line
from ..trust.reader import read_mapping
from .apps import App

MAX_RUNS = 20  # finished runs a tab is offered (newest first)
T = TypeVar("T")


def finished_runs(runs_dir: Path, app: App) -> list[Path]:
    """The app's run folders under ``runs_dir`` that hold a saved model, newest first."""
    folder = Path(runs_dir) / app.folder
    runs = [d for d in folder.glob("*") if (d / "model" / "config.json").is_file()] if folder.is_dir() else []
    return sorted(runs, key=lambda d: (d / "model" / "config.json").stat().st_mtime, reverse=True)[:MAX_RUNS]


def app_of(run: Path) -> str:
    """The app a run folder belongs to, from its ``metrics.json``; an InputError naming what is missing."""
    record = run / "metrics.json"
    if not (run / "model" / "config.json").is_file():
        raise InputError(f"{run}: not a finished run (no model/config.json); give a run folder such as "
                         "runs/vision/digits_quick")
    try:
        app = read_mapping(record, root=run, nonfinite=True).get("app")  # bounded plain JSON (zoo.trust.reader)
    except (OSError, ValueError) as e:
        raise InputError(f"{record}: cannot tell which app made this run ({one_line(e)})") from None
    if not isinstance(app, str):
        raise InputError(f"{record}: no \"app\" field: cannot tell which app made this run")
    return app


def runs_by_app(apps: dict[str, App], given: Sequence[Path], runs_dir: Path) -> dict[str, list[Path]]:
    """Every serving app's runs: the given folders first, then what ``runs_dir`` holds."""
    chosen: dict[str, list[Path]] = {name: [] for name, app in apps.items() if app.serve}
    by_folder = {apps[name].folder: name for name in chosen}  # a run records its app's folder ("pde") or name
    for run in given:
        made_by = app_of(Path(run))
        name = made_by if made_by in chosen else by_folder.get(made_by)
        if name is None:
            raise InputError(f"{run}: made by {made_by!r}, which has no page (apps with one: {', '.join(chosen)})")
        chosen[name].append(Path(run))
    for name in chosen:
        chosen[name] += [r for r in finished_runs(runs_dir, apps[name]) if r not in chosen[name]]
    return chosen


def build_page(apps: dict[str, App], runs: dict[str, list[Path]]):
    """The page: one tab per serving app."""
    import gradio as gr

    with gr.Blocks(title="zoo-suite") as page:
        gr.Markdown("# zoo-suite\nTrained models, one tab per app. Runs are read from their folders; nothing "
                    "leaves this machine.")
        for name, app_runs in runs.items():
            with gr.Tab(name.replace("/", " "), elem_id=f"tab-{name.replace('/', '-')}"):
                build_tab(apps[name], app_runs)
    return page


def build_tab(app: App, runs: list[Path]) -> None:
    """The app's tab, or a message saying why it could not be built (the rest of the page still works)."""
    import gradio as gr

    try:
        app.serve(runs)
    except EXPECTED as e:
        gr.Markdown(f"**{app.name}: cannot show this tab.** {one_line(e)}")


def main(args, apps: dict[str, App]) -> int:
    try:
        import gradio  # noqa: F401  (here, with the install hint, not inside a tab)
    except ImportError:
        raise InputError("zoo serve needs gradio: pip install 'zoo-suite[serve]'") from None

    runs = runs_by_app(apps, [Path(r) for r in args.run_dirs], Path(args.runs_dir))
    page = build_page(apps, runs)
    served = ", ".join(f"{name}: {rs[0] if rs else 'no run yet'}" for name, rs in runs.items())
    print(f"zoo serve: {served}")
    page.queue(default_concurrency_limit=1).launch(server_name=args.host, server_port=args.port, inbrowser=False,
                                                   show_error=True, quiet=False)
    return 0


def no_run_message(app_name: str, command: str) -> str:
    """What a tab says when its app has no finished run."""
    return f"No finished {app_name} run yet. Train one, then reload this page:\n\n```bash\n{command}\n```"


# -- what the apps' tabs share ---------------------------------------------------------------------------------
def loaded(load: Callable[[str], T], run: str | None, app: str) -> T:
    """``load(run)`` (the app's loader, cached by run folder), with what can go wrong as a message in the page:
    no run chosen, or a run that cannot be loaded (the reason in one line)."""
    import gradio as gr

    if not run:
        raise gr.Error(f"No run chosen: pick a trained {app} run above.")
    try:
        check_model_inside(run)
        return load(str(run))
    except EXPECTED as e:
        raise gr.Error(f"Cannot load the run {run}: {one_line(e)}") from None


def check_model_inside(run: str | Path) -> Path:
    """The run's ``model/`` folder, refused if it (or the run) is a link that leads out of the run folder: the page
    serves what the run trained, never files elsewhere on the machine."""
    from zoo.trust.reader import check_inside

    return check_inside(Path(run) / "model", run)


def run_picker(runs: Sequence[Path], elem_id: str):
    """The dropdown of a tab's runs (newest first, the first chosen), shown when there is more than one."""
    import gradio as gr

    choices = [str(r) for r in runs]
    return gr.Dropdown(choices, value=choices[0], label="run", elem_id=elem_id, visible=len(choices) > 1)
