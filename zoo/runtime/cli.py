"""The `zoo` command: `zoo models`, `zoo demo`, the course's lessons as tools (`zoo sweep`, `zoo study depth`,
`zoo compare`), and `zoo <app> ...` for every installed app."""

from __future__ import annotations

import sys

from rich.table import Table

from .args import CommandParser
from .console import make_console


def models_table(pattern: str = "*", kind: str | None = None) -> Table:
    """Name, family, input kinds and parameter count (built for the first kind with the reference shapes)."""
    import zoo
    from zoo.reference import build_reference

    table = Table(title="zoo models (parameters at the reference input of the first kind)")
    for col in ("name", "family", "input kinds", "parameters", "description"):
        table.add_column(col, justify="right" if col == "parameters" else "left", no_wrap=col != "description")
    for name in zoo.list_models(pattern, kind=kind):
        info = zoo.model_info(name)
        model = build_reference(name, kind or info.kinds[0])
        params = sum(p.numel() for p in model.parameters())
        table.add_row(name, info.family, ", ".join(info.kinds), f"{params:,}", info.description)
    return table


def main(argv: list[str] | None = None) -> int:
    """The `zoo` command. Expected errors (``zoo.errors.as_expected``: ``EXPECTED``, or a write refused by a full
    disk) print one line and exit 2; ``--debug`` anywhere on the line shows the traceback instead."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    from zoo.errors import as_expected, one_line

    from .console import quiet_libraries

    quiet_libraries()

    try:
        return dispatch(argv)
    except Exception as e:
        known = as_expected(e)  # an expected error, or a write the full disk refused; else a bug: the traceback
        if debug or known is None:
            raise
        command = " ".join(argv[:1]) or "zoo"
        print(f"zoo {command}: error: {one_line(known)} (--debug shows the traceback)", file=sys.stderr)
        return 2


def dispatch(argv: list[str]) -> int:
    from zoo.runtime.apps import discover_apps

    apps = discover_apps()
    app, words = find_app(argv, apps)
    if app is not None:  # everything after the app's words is the app's own
        return app.main(argv[words:]) or 0
    groups = app_groups(apps)
    if argv and argv[0] in groups:
        return group_main(argv[0], groups[argv[0]], argv[1:])

    parser = CommandParser(prog="zoo", description="zoo-suite: one model zoo, many applications.",
                                     epilog="apps: " + ", ".join(f"{a.name.replace('/', ' ')} ({a.help})"
                                                                 for a in apps.values()))
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("models", help="list the zoo")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style pattern, e.g. 'resnet*'")
    p.add_argument("--kind", help="only models that take this input kind")
    p = sub.add_parser("demo", help="every app's demo step on its default data, then one report")
    p.add_argument("--preset", default="demo", help="demo (CPU, minutes), quick, or gpu")
    p.add_argument("--runs-dir", default="runs")
    p.add_argument("--apps", help="comma-separated app names (default: all installed)")
    p.add_argument("--no-lessons", action="store_true", help="skip the quick sweep and leaderboard")
    p.add_argument("--record", action="store_true", help="also write results/demo.json (the README's step times)")
    p.add_argument("--max-seconds", type=float, help="a time cap on each step's training, below the presets' own "
                   "safety caps; a step it stops is reported as timed out and the demo exits non-zero")
    p = sub.add_parser("export", help="a run's model as ONNX, checked in onnxruntime (needs onnx, onnxruntime, "
                       "onnxscript: pip install 'zoo-suite[export]')")
    p.add_argument("run_dir", help="a run folder (its model/ is exported) or a model folder")
    p.add_argument("--format", default="onnx", help="onnx (the only one)")
    p.add_argument("--out", help="where to write (default: RUN_DIR/export/onnx)")
    p = sub.add_parser("serve", help="a local web page to try every app's trained models (needs gradio: pip install "
                       "'zoo-suite[serve]')")
    p.add_argument("run_dirs", nargs="*", help="run folders to show first (default: each app's newest run)")
    p.add_argument("--runs-dir", default="runs", help="where to look for finished runs")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (0.0.0.0: every interface)")
    add_lesson_parsers(sub)
    add_bench_parser(sub)
    add_perf_parser(sub)
    for app in apps.values():
        if "/" not in app.name:
            sub.add_parser(app.name, help=app.help, add_help=False)
    for group, members in groups.items():
        sub.add_parser(group, help=", ".join(a.name.split("/", 1)[1] for a in members), add_help=False)
    args = parser.parse_args(argv)
    if args.command in ("sweep", "study", "compare"):
        try:
            return run_lesson(args, apps)
        except ValueError as e:  # bad grids, names and budgets are reported before anything trains
            parser.exit(2, f"zoo {args.command}: error: {e}\n")

    if args.command == "bench":
        from zoo.runtime.bench import main as bench_main

        return bench_main(args, apps)
    if args.command == "perf":
        from zoo.runtime.perf_run import main as perf_main

        return perf_main(args, apps)
    if args.command == "serve":
        from zoo.runtime.serve import main as serve_main

        return serve_main(args, apps)
    if args.command == "export":
        from zoo.runtime.export_run import main as export_main

        return export_main(args)
    if args.command == "models":
        make_console().print(models_table(args.pattern, args.kind))
        return 0
    if args.command == "demo":
        from zoo.runtime.demo import main as demo_main

        return demo_main(args.preset, args.runs_dir, args.apps.split(",") if args.apps else None,
                         lessons=not args.no_lessons, record=args.record, max_seconds=args.max_seconds)
    return 0


def find_app(argv: list[str], apps: dict) -> tuple[object | None, int]:
    """The app the first words name, and how many words that took: `zoo science pde ...` is the app science/pde."""
    for words in (2, 1):
        name = "/".join(argv[:words])
        if len(argv) >= words and name in apps:
            return apps[name], words
    return None, 0


def app_groups(apps: dict) -> dict[str, list]:
    """Apps named ``group/app``, by group: `zoo science` holds science/pde and science/genomics."""
    groups: dict[str, list] = {}
    for app in apps.values():
        group, slash, _ = app.name.partition("/")
        if slash:
            groups.setdefault(group, []).append(app)
    return groups


def group_main(group: str, members: list, argv: list[str]) -> int:
    """`zoo science` or `zoo science --help`: the group's apps, one a line."""
    from zoo.runtime.app_builder import list_commands

    return list_commands(f"zoo {group}", f"the {group} apps", {a.name.split("/", 1)[1]: a.help for a in members},
                         argv)


def add_lesson_parsers(sub) -> None:
    p = sub.add_parser("sweep", help="learning rate x batch size grid on an app (Optuna, resumable)")
    p.add_argument("app", help="an app (e.g. vision or science/genomics), or app/step")
    p.add_argument("-c", "--config", help="a config file instead of the app's preset")
    p.add_argument("--preset", default="quick", help="the app's preset (default: quick)")
    p.add_argument("--lr", default="1e-4:1e-1:7:log", help="LOW:HIGH:N[:log|lin] or a list a,b,c")
    p.add_argument("--batch-size", default="32,128,512", help="comma-separated batch sizes")
    p.add_argument("--schedule", help="comma-separated schedules (constant, cosine, ...; default: the preset's)")
    p.add_argument("--seeds", type=int, default=1, help="seeds per setting (mean and spread)")
    p.add_argument("--budget", default="2epochs", help="per trial: N steps, N epochs or N s, e.g. 300steps")
    p.add_argument("--max-trials", type=int, help="run at most this many of the missing trials now")
    p.add_argument("--storage", help="Optuna storage URL shared by several machines (default: SQLite in the run folder)")
    p.add_argument("--out", help="run folder (default: runs/sweep/<app>-<step>)")
    p = sub.add_parser("study", help="depth x initialisation study of gradient health on an app")
    p.add_argument("what", choices=["depth"], help="the study")
    p.add_argument("app", help="an app, or app/step")
    p.add_argument("-c", "--config", help="a config file instead of the app's preset")
    p.add_argument("--preset", default="quick")
    p.add_argument("--families", default="cnn,resnet")
    p.add_argument("--depths", default="2,4,8,16,32", help="weight layers in the trunk")
    p.add_argument("--init", default="default,kaiming,xavier,orthogonal", help="initialisation schemes")
    p.add_argument("--budget", default="100steps", help="per configuration, e.g. 100steps")
    p.add_argument("--model-kwargs", default="{}", help='extra model arguments as JSON, e.g. \'{"norm": "none"}\'')
    p.add_argument("--out", help="run folder (default: runs/study/depth-<app>-<step>)")
    p = sub.add_parser("compare", help="every family on an app's preset (or on all apps): the leaderboard")
    p.add_argument("app", help="an app, app/step, a comma-separated list, or all")
    p.add_argument("--families", help="comma-separated families (default: the registry's core families; a family "
                   "without a model for an app's inputs is marked n/a)")
    p.add_argument("--preset", default="quick")
    p.add_argument("--seeds", type=int, help="seeds per cell (default: 2 for one app, 1 for several)")
    p.add_argument("--time-limit", type=float, default=40.0, help="minutes for the whole comparison")
    p.add_argument("--run-seconds", type=float, help="training cap per run (default: from --time-limit)")
    p.add_argument("--out", help="run folder (default: runs/compare/<app>)")


def add_perf_parser(sub) -> None:
    from .perf_run import add_perf_parser as add

    add(sub)


def add_bench_parser(sub) -> None:
    p = sub.add_parser("bench", help="an app's benchmark matrix (configs/bench.yaml): one table, JSON in runs/bench/")
    p.add_argument("app", help="an app, app/step (e.g. science/genomics), a comma-separated list, or all")
    p.add_argument("--families", help="comma-separated subset of the bench file's families")
    p.add_argument("--datasets", help="comma-separated datasets (default: the bench file's default ones)")
    p.add_argument("--minutes", type=float, help="training cap of every cell (default: the bench file's)")
    p.add_argument("--record", action="store_true", help="also write results/<app>.json (the README's tables)")
    p.add_argument("--out", default="runs/bench", help="folder for the runs and <app>.json (default: runs/bench)")


def _list(spec: str, cast, what: str) -> list:
    try:
        values = [cast(v) for v in spec.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{what} {spec!r}: expected comma-separated values") from None
    if not values:
        raise ValueError(f"{what} is empty")
    return values


def run_lesson(args, apps) -> int:
    """Parse and check everything (grids, names, budgets) first; then train."""
    import json
    from pathlib import Path

    from zoo.lessons.trials import parse_budget, resolve_targets
    from zoo.lessons.tuning import parse_grid

    config = Path(args.config) if getattr(args, "config", None) else None
    if config is not None and not config.is_file():
        raise ValueError(f"config {config} not found")
    if config is not None:  # refused here, with one line, not inside a trial (where Optuna logs a traceback)
        from zoo.trust.reader import read_mapping

        read_mapping(config, allow_classes=True)
    targets = resolve_targets(args.app, apps)
    if args.command == "compare":
        import zoo
        from zoo.lessons.compare import run_compare

        out = Path(args.out or f"runs/compare/{args.app.replace('/', '-').replace(',', '+')}")
        families = _list(args.families, str, "--families") if args.families else zoo.list_families()
        run_compare(targets, families, out, args.preset, args.seeds,
                    args.time_limit, args.run_seconds)
        return 0
    if len(targets) > 1:
        raise ValueError(f"{args.app} has several steps; name one: {', '.join(t.label for t in targets)}")
    target = targets[0]
    budget = parse_budget(args.budget)
    slug = target.label.replace("/", "-")
    if args.command == "sweep":
        from zoo.lessons.sweep import SweepSpec, run_sweep

        if args.max_trials is not None and args.max_trials < 0:
            raise ValueError(f"--max-trials must be 0 or more, got {args.max_trials}")
        lrs = parse_grid(args.lr)
        schedules = _list(args.schedule, str, "--schedule") if args.schedule else [None]
        spec = SweepSpec(lrs, _list(args.batch_size, int, "--batch-size"), schedules, list(range(args.seeds)),
                         budget, args.preset, config)
        spec.validate()
        run_sweep(target, spec, Path(args.out or f"runs/sweep/{slug}"), args.max_trials, storage=args.storage)
        return 0
    from zoo.lessons.study import run_depth_study

    try:
        extra = json.loads(args.model_kwargs)
    except json.JSONDecodeError as e:
        raise ValueError(f"--model-kwargs {args.model_kwargs!r} is not JSON: {e}") from None
    run_depth_study(target, _list(args.families, str, "--families"), _list(args.depths, int, "--depths"),
                    _list(args.init, str, "--init"), budget, Path(args.out or f"runs/study/depth-{slug}"),
                    args.preset, config, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
