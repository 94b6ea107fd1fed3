"""The `zoo` command: `zoo models`, `zoo demo`, and `zoo <app> ...` for every installed app."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.table import Table


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
    argv = list(sys.argv[1:] if argv is None else argv)
    from zoo.apps import discover_apps

    apps = discover_apps()
    if argv and argv[0] in apps:  # everything after the app name is the app's own
        return apps[argv[0]].main(argv[1:]) or 0

    parser = argparse.ArgumentParser(prog="zoo", description="zoo-suite: one model zoo, many applications.",
                                     epilog="apps: " + ", ".join(f"{a.name} ({a.help})" for a in apps.values()))
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("models", help="list the zoo")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style pattern, e.g. 'resnet*'")
    p.add_argument("--kind", help="only models that take this input kind")
    p = sub.add_parser("demo", help="every app's demo step on its default data, then one report")
    p.add_argument("--preset", default="demo", help="demo (CPU, minutes), quick, or gpu")
    p.add_argument("--runs-dir", default="runs")
    p.add_argument("--apps", help="comma-separated app names (default: all installed)")
    for app in apps.values():
        sub.add_parser(app.name, help=app.help, add_help=False)
    args = parser.parse_args(argv)

    if args.command == "models":
        Console().print(models_table(args.pattern, args.kind))
        return 0
    if args.command == "demo":
        from zoo.demo import main as demo_main

        return demo_main(args.preset, args.runs_dir, args.apps.split(",") if args.apps else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
