"""Play many games between two players, colours alternated, all games in lockstep (batched choices); score them
with an Elo difference and its 95% confidence interval."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .games import Game
from .players import Player


@dataclass
class MatchResult:
    player: str
    opponent: str
    games: int
    wins: int
    draws: int
    losses: int

    @property
    def score(self) -> float:
        return (self.wins + 0.5 * self.draws) / self.games

    def elo(self) -> tuple[float, float, float]:
        """Elo difference (player - opponent) and a 95% interval, from the per-game score variance (normal
        approximation); +-inf when the score (or a bound) is 0 or 1."""
        n, s = self.games, self.score
        var = (self.wins * (1 - s) ** 2 + self.draws * (0.5 - s) ** 2 + self.losses * s**2) / n
        half = 1.96 * math.sqrt(var / n)
        return _elo(s), _elo(s - half), _elo(s + half)

    def as_dict(self) -> dict:
        e, lo, hi = self.elo()
        return {**asdict(self), "score": self.score, "elo": e, "elo_low": lo, "elo_high": hi}

    def line(self) -> str:
        e, lo, hi = self.elo()
        return (f"{self.player} vs {self.opponent}: +{self.wins} ={self.draws} -{self.losses} in {self.games} games, "
                f"score {self.score:.1%}, Elo {e:+.0f} [{lo:+.0f}, {hi:+.0f}]")


def _elo(score: float) -> float:
    if score <= 0:
        return -math.inf
    if score >= 1:
        return math.inf
    return -400 * math.log10(1 / score - 1) + 0.0  # + 0.0: no '-0'


def play_match(game: Game, player: Player, opponent: Player, games: int, max_moves: int = 512) -> MatchResult:
    """``games`` games, ``player`` moving first in the even ones; returns the result from ``player``'s side."""
    states = [game.initial() for _ in range(games)]
    first = [i % 2 == 0 for i in range(games)]  # does `player` move first in game i?
    moves = 0
    while moves < max_moves and any(game.outcome(s) is None for s in states):
        for who in (player, opponent):
            live = [i for i, s in enumerate(states) if game.outcome(s) is None]
            mine = [i for i in live if (game.to_play(states[i]) == 0) == (first[i] == (who is player))]
            for i, a in zip(mine, who.choose([states[i] for i in mine])):
                states[i] = game.play(states[i], a)
        moves += 1
    wins = draws = losses = 0
    for i, s in enumerate(states):
        result = game.outcome(s)
        if result is None or result == 0:
            draws += 1  # unfinished after max_moves counts as a draw
            continue
        # result is for the side to move, who lost: the winner is the other side.
        winner_is_first = game.to_play(s) == 1
        if winner_is_first == first[i]:
            wins += 1
        else:
            losses += 1
    return MatchResult(player.name, opponent.name, games, wins, draws, losses)

