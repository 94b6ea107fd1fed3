"""Real chess data: PGN games for the warm start (supervised policy + value) and lichess puzzles for evaluation.

Puzzles follow lichess's convention: the FEN is the position before the opponent's move, the first move of
``Moves`` is the opponent's and the solver's moves start with the second. A puzzle is solved when every solver
move matches (a different move that mates at once also counts, as on lichess).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import chess
import chess.pgn
import numpy as np

from .games.chess_game import Chess, encode_move

RESULTS = {"1-0": 1.0, "0-1": -1.0, "1/2-1/2": 0.0}
BANDS = [(0, 1000), (1000, 1500), (1500, 2000), (2000, 10000)]


def read_pgn(paths: list[str | Path], max_games: int = 0, skip_bad: bool = True) -> tuple[tuple, dict]:
    """Every position of every finished game: planes (N, P, 8, 8) float16, the move played (N,) int64, the result
    for the side to move (N,) float32 and the legal moves as packed bits (N, 584) uint8 (compact: a dense 4,672-way
    array per position would not fit in memory). The legal moves let training put the policy's whole mass on moves
    that exist, as the search does. A game with a parse error is reported with its file and number (skipped and
    counted with ``skip_bad``)."""
    game = Chess(max_plies=10_000)
    planes, actions, results, legal = [], [], [], []
    stats = {"games": 0, "skipped": 0, "positions": 0}
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(f"PGN file {path} does not exist")
        with path.open(encoding="utf-8", errors="replace") as f:
            number = 0
            while max_games <= 0 or stats["games"] < max_games:
                record = chess.pgn.read_game(f)
                if record is None:
                    break
                number += 1
                result = RESULTS.get(record.headers.get("Result", "*"))
                problem = record.errors[0] if record.errors else (None if result is not None else "no result")
                if problem is not None:
                    if not skip_bad:
                        raise ValueError(f"{path}: game {number} ({record.headers.get('White', '?')} vs "
                                         f"{record.headers.get('Black', '?')}): {problem}")
                    stats["skipped"] += 1
                    continue
                state = game.initial(record.board().fen())
                for move in record.mainline_moves():
                    if game.outcome(state) is not None:
                        break  # over by our rules (e.g. a threefold repetition no one claimed): stop here
                    planes.append(game.planes(state).astype(np.float16))
                    actions.append(encode_move(move, state.board.turn))
                    results.append(result if state.board.turn == chess.WHITE else -result)
                    legal.append(np.packbits(game.legal_mask(state)))
                    state = game.push(state, move)
                stats["games"] += 1
    stats["positions"] = len(actions)
    if not actions:
        raise ValueError(f"no usable games in {', '.join(map(str, paths))}")
    return (np.stack(planes).astype(np.float16), np.array(actions, dtype=np.int64),
            np.array(results, dtype=np.float32), np.stack(legal)), stats


def read_puzzles(path: str | Path, limit: int = 0) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"puzzle file {path} does not exist (lichess_db_puzzle.csv format)")
    puzzles = []
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = {"FEN", "Moves", "Rating"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)} (expected the lichess puzzle CSV header)")
        for line, row in enumerate(reader, start=2):
            moves = row["Moves"].split()
            if len(moves) < 2 or not row["Rating"].isdigit():
                raise ValueError(f"{path}:{line}: expected at least two UCI moves and an integer rating")
            puzzles.append({"id": row.get("PuzzleId", str(line)), "fen": row["FEN"], "moves": moves,
                            "rating": int(row["Rating"])})
            if limit and len(puzzles) >= limit:
                break
    return puzzles


def solve_rate(player, puzzles: list[dict]) -> dict:
    """Solved share per rating band (and overall) for ``player`` (a Player on the Chess game)."""
    game = player.game
    solved: dict[str, list[bool]] = defaultdict(list)
    for p in puzzles:
        state = game.initial(p["fen"])
        ok = True
        for i, uci in enumerate(p["moves"]):
            move = chess.Move.from_uci(uci)
            if i % 2 == 1:  # the solver's turn
                mine = chess.Move.from_uci(game.action_name(state, player.choose([state])[0]))
                if mine != move:
                    after = state.board.copy(stack=False)
                    after.push(mine)
                    ok = after.is_checkmate()
                    break
            state = game.push(state, move)
        band = next(f"{lo}-{hi - 1}" if hi < 10000 else f"{lo}+" for lo, hi in BANDS if lo <= p["rating"] < hi)
        solved[band].append(ok)
        solved["all"].append(ok)
    return {band: {"puzzles": len(v), "solved": int(sum(v)), "rate": sum(v) / len(v)} for band, v in solved.items()}
