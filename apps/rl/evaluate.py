"""Judging an agent: the fixed opponent ladder per game, matches with the raw policy and with search, and the
Elo-vs-iteration plot."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from zoo.runtime.report import save_figure  # noqa: E402

from .arena import MatchResult, play_match  # noqa: E402
from .games import Game  # noqa: E402
from .players import AlphaBetaPlayer, NetworkPlayer, PerfectPlayer, Player, RandomPlayer, WinBlockPlayer  # noqa: E402


def ladder(game: Game, seed: int = 0) -> list[Player]:
    """Fixed opponents, weakest first, that no one here trained."""
    players: list[Player] = [RandomPlayer(game, seed), WinBlockPlayer(game, seed + 1)]
    if game.name == "tictactoe":
        players.append(PerfectPlayer(game, seed + 2))
    elif game.name == "connect4":
        players += [AlphaBetaPlayer(game, 2, seed + 2), AlphaBetaPlayer(game, 4, seed + 3)]
    elif game.name == "chess":
        players = [RandomPlayer(game, seed)]  # one-move tactics need Stockfish below
        from .stockfish import StockfishPlayer, find_stockfish

        try:
            find_stockfish()
        except FileNotFoundError as e:
            print(f"chess ladder without Stockfish: {e}")
        else:
            players.append(StockfishPlayer(game, skill=0))
    return players


def evaluate_agent(game: Game, evaluate, opponents: list[Player], games: int, simulations: int,
                   seed: int = 0) -> list[MatchResult]:
    """The network's raw policy and (when ``simulations`` > 0) its search against each opponent."""
    agents = [NetworkPlayer(game, evaluate, 0, seed=seed)]
    if simulations:
        agents.append(NetworkPlayer(game, evaluate, simulations, seed=seed))
    return [play_match(game, agent, opp, games) for agent in agents for opp in opponents]


def plot_elo(history: list[dict], path: Path, title: str) -> Path | None:
    """Elo difference of the raw policy against each ladder opponent, by iteration (infinite values clipped)."""
    points: dict[str, list[tuple[int, float, float, float]]] = {}
    for entry in history:
        for m in entry.get("matches", []):
            if m["player"] == "network":
                points.setdefault(m["opponent"], []).append(
                    (entry["iteration"], m["elo"], m["elo_low"], m["elo_high"]))
    if not points:
        return None
    clip = 800.0
    fig, ax = plt.subplots(figsize=(7, 4))
    for opp, pts in points.items():
        it = [p[0] for p in pts]
        e, lo, hi = ([max(-clip, min(clip, p[k])) if math.isfinite(p[k]) else math.copysign(clip, p[k]) for p in pts]
                     for k in (1, 2, 3))
        ax.plot(it, e, marker="o", label=f"vs {opp}")
        ax.fill_between(it, lo, hi, alpha=0.15)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"Elo difference (clipped at ±{clip:.0f})")
    ax.set_title(title)
    ax.legend()
    return save_figure(fig, path)
