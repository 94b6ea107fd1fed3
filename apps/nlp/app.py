"""The translation app's entry for `zoo`. Its `zoo demo` step comes with its demo preset (not yet)."""

from __future__ import annotations

from zoo.apps import App


def main(argv: list[str]) -> int:
    from .cli import main as cli_main

    return cli_main(argv)


APP = App(name="nlp", help="English -> French translation: fit|validate|test (LightningCLI), translate --ckpt",
          main=main)
