"""The names of arena players (``zoo rl arena``, ``zoo rl play --ckpt``), parsed without touching the disk.

A spec is one of ``random``, ``win-block``, ``perfect``, ``alphabeta-K``, ``stockfish`` / ``stockfish-SKILL`` or a
model folder with an optional ``+mctsN``. Parsing is kept apart from building the player so that every malformed
spec fails here, with one message naming it and the valid forms, before a model is loaded or an engine started.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zoo.errors import InputError

FORMS = ("random, win-block, perfect (tic-tac-toe), alphabeta-K (K = search depth 1-{depth}), stockfish or "
         "stockfish-SKILL (chess, SKILL 0-20), or a model folder (a run's model/) optionally followed by +mctsN "
         "(N = 1-{sims} simulations), e.g. runs/rl/tictactoe_quick/model+mcts50")
SIMPLE = ("random", "win-block", "perfect")
MAX_DEPTH = 12  # alpha-beta cost grows as branching ** depth: past this a move takes hours on any of our games
MAX_SKILL = 20  # Stockfish's own range for "Skill Level"; outside it the engine refuses the option at start
MAX_SIMULATIONS = 100_000  # far above any useful search; stops a typo (an extra zero or two) from hanging a game
NUMBER = re.compile(r"[0-9]{1,7}")  # ASCII digits only: str.isdigit() also accepts '²', which int() rejects


@dataclass(frozen=True)
class PlayerSpec:
    kind: str  # "random", "win-block", "perfect", "alphabeta", "stockfish" or "model"
    number: int = 0  # alpha-beta depth or Stockfish skill
    path: str = ""  # the model folder
    simulations: int = 0  # the model's search per move (0: raw policy)


def forms() -> str:
    return FORMS.format(depth=MAX_DEPTH, sims=MAX_SIMULATIONS)


def bad(spec: str, problem: str) -> InputError:
    return InputError(f"bad player {spec!r}: {problem}; valid players: {forms()}")


def whole_number(spec: str, text: str, what: str, low: int, high: int) -> int:
    """``text`` as an integer in [low, high], or an error naming the spec and the range."""
    if not NUMBER.fullmatch(text) or not low <= int(text) <= high:
        raise bad(spec, f"{what} must be a whole number from {low} to {high}, not {text!r}")
    return int(text)


def parse_player_spec(spec: str) -> PlayerSpec:
    """The player a spec names; an ``InputError`` naming the spec and the valid forms if it is malformed."""
    if not isinstance(spec, str) or not spec.strip():
        raise bad(str(spec), "empty")
    base, mcts, sims = spec.partition("+mcts")
    name, dash, number = base.partition("-")
    if "/" not in base and (base in SIMPLE or name in ("alphabeta", "stockfish")):  # a name, not a folder
        if mcts:
            raise bad(spec, "+mctsN applies to a model folder only")
        if base in SIMPLE:
            return PlayerSpec(base)
        if name == "alphabeta":
            return PlayerSpec("alphabeta", whole_number(spec, number, "the depth K", 1, MAX_DEPTH))
        return PlayerSpec("stockfish", whole_number(spec, number, "the skill", 0, MAX_SKILL) if dash else 0)
    if not base.strip():
        raise bad(spec, "+mctsN must follow a model folder")
    if "+mcts" in sims:
        raise bad(spec, "+mcts given twice")
    simulations = whole_number(spec, sims, "N in +mctsN", 1, MAX_SIMULATIONS) if mcts else 0
    return PlayerSpec("model", path=base, simulations=simulations)
