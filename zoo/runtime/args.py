"""The argument parser every command's own flags go through: a bad flag is one line (exit 2), not argparse's
usage block followed by the error."""

from __future__ import annotations

import argparse


class CommandParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line naming the command, with a pointer to ``--help``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")
