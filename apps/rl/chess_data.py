"""Real chess data: PGN games for the warm start (supervised policy + value) and lichess puzzles for evaluation.

Puzzles follow lichess's convention: the FEN is the position before the opponent's move, the first move of
``Moves`` is the opponent's and the solver's moves start with the second. A puzzle is solved when every solver
move matches (a different move that mates at once also counts, as on lichess).
"""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import chess
import chess.pgn
import numpy as np

from zoo.errors import InputError, iter_lines

from .games.chess_game import Chess, encode_move

RESULTS = {"1-0": 1.0, "0-1": -1.0, "1/2-1/2": 0.0}
BANDS = [(0, 1000), (1000, 1500), (1500, 2000), (2000, 10000)]


def check_readable(path: str | Path, what: str) -> Path:
    """``path`` if it is a file that can be read, else an error naming ``what`` (e.g. "puzzle file") and why: used
    before a long run starts, so that a typo does not surface only after hours of training."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist")
    if not path.is_file():
        raise InputError(f"{what} {path} is not a file")
    try:
        with path.open("rb") as f:
            f.read(1)
    except OSError as e:
        raise InputError(f"{what} {path} cannot be read ({e.strerror or e})") from None
    return path


class TextLines:
    """A binary file read as strict UTF-8 text line by line (BOM dropped): a line that is not UTF-8 raises an
    ``InputError`` naming the file, line and byte, where ``errors="replace"`` would silently corrupt moves and
    names. ``readline`` is all that ``chess.pgn.read_game`` needs; ``first`` is the first non-blank line read since
    ``mark()``, i.e. where the game being read starts."""

    def __init__(self, f, source: str):
        self.lines = iter_lines(f, source)
        self.first = 0

    def mark(self) -> None:
        self.first = 0

    def readline(self) -> str:
        for number, text in self.lines:
            if isinstance(text, InputError):
                raise text
            if not self.first and text.strip():
                self.first = number
            return text + "\n"
        return ""

    def skip_game(self) -> None:
        """Read up to the blank line that ends the current game (or the end of the file)."""
        while (line := self.readline()) and not line.isspace():
            pass

    def __iter__(self):  # for the csv module
        return iter(self.readline, "")


def game_problem(record: chess.pgn.Game) -> str | None:
    """Why a parsed PGN game cannot be used for training, or None."""
    if record.errors:
        return str(record.errors[0])
    if RESULTS.get(record.headers.get("Result", "*")) is None:
        return "no result (1-0, 0-1 or 1/2-1/2)"
    try:
        if record.headers.variant() is not chess.Board or record.headers.is_chess960():
            return f"variant {record.headers.get('Variant', 'Chess960')!r} is not standard chess"
        Chess().initial(record.board().fen())  # a [FEN] header must be a legal position
    except ValueError as e:
        return str(e)
    return None


def read_pgn(paths: list[str | Path], max_games: int = 0, skip_bad: bool = True) -> tuple[tuple, dict]:
    """Every position of every finished game: planes (N, P, 8, 8) float16, the move played (N,) int64, the result
    for the side to move (N,) float32 and the legal moves as packed bits (N, 584) uint8 (compact: a dense 4,672-way
    array per position would not fit in memory). The legal moves let training put the policy's whole mass on moves
    that exist, as the search does. A game with a parse error is reported with its file, number and line (skipped
    and counted with ``skip_bad``); a file that is not UTF-8 is always an error naming the line."""
    game = Chess(max_plies=10_000)
    planes, actions, results, legal = [], [], [], []
    stats = {"games": 0, "skipped": 0, "positions": 0}
    for path in map(Path, paths):
        with closing(pgn_games(check_readable(path, "PGN file"), skip_bad, stats)) as records:
            for record in records:
                if 0 < max_games <= stats["games"]:
                    break
                result = RESULTS[record.headers["Result"]]
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
        raise InputError(f"no usable games in {', '.join(map(str, paths))} ({stats['skipped']} skipped as bad)")
    return (np.stack(planes).astype(np.float16), np.array(actions, dtype=np.int64),
            np.array(results, dtype=np.float32), np.stack(legal)), stats


def pgn_games(path: Path, skip_bad: bool, stats: dict) -> Iterator[chess.pgn.Game]:
    """The usable games of one PGN file in order; a bad one is counted in ``stats["skipped"]`` (``skip_bad``) or is
    an ``InputError`` naming the file, the game's number and its first line."""
    with path.open("rb") as f:
        lines = TextLines(f, str(path))
        for number in itertools.count(1):
            lines.mark()
            try:
                record = chess.pgn.read_game(lines)
            except IndexError:  # python-chess 1.11 fails on a ')' closing no variation after an illegal move
                lines.skip_game()
                record, problem = None, "moves python-chess cannot parse (a ')' that closes no variation?)"
            else:
                if record is None:
                    return
                problem = game_problem(record)
            if problem is None:
                yield record
            elif skip_bad:
                stats["skipped"] += 1
            else:
                who = f" ({record.headers.get('White', '?')} vs {record.headers.get('Black', '?')})" if record else ""
                raise InputError(f"{path}: game {number}{who}, line {lines.first}: {problem}")


def read_puzzles(path: str | Path, limit: int = 0) -> list[dict]:
    """Puzzles of a lichess puzzle CSV (PuzzleId, FEN, Moves, Rating, ...), each checked: a legal position and moves
    that are legal in turn, so that a bad row is reported here with its line and not in the middle of a run."""
    path = check_readable(path, "puzzle file")
    puzzles = []
    with path.open("rb") as f:
        reader = csv.DictReader(TextLines(f, str(path)))
        try:
            missing = {"FEN", "Moves", "Rating"} - set(reader.fieldnames or [])
            if missing:
                raise InputError(f"{path} line 1: missing columns {sorted(missing)} (expected the lichess puzzle "
                                 "CSV header: PuzzleId,FEN,Moves,Rating,...)")
            for row in reader:
                puzzles.append(parse_puzzle(row, f"{path} line {reader.line_num}"))
                if limit and len(puzzles) >= limit:
                    break
        except csv.Error as e:  # e.g. a field past the csv module's size limit: not a ValueError, so convert
            raise InputError(f"{path} line {reader.line_num}: not CSV ({e})") from None
    return puzzles


def parse_puzzle(row: dict, where: str) -> dict:
    """One CSV row -> {"id", "fen", "moves", "rating"}, or an ``InputError`` starting with ``where``."""
    fen, moves, rating = (row.get(k) for k in ("FEN", "Moves", "Rating"))
    if fen is None or moves is None or rating is None:
        raise InputError(f"{where}: too few columns (FEN, Moves and Rating are needed)")
    moves, rating = moves.split(), rating.strip()
    if len(moves) < 2 or not (rating.isascii() and rating.isdigit()):
        raise InputError(f"{where}: expected at least two UCI moves and an integer rating")
    try:
        board = Chess().initial(fen).board
    except ValueError as e:
        raise InputError(f"{where}: {e}") from None
    for i, uci in enumerate(moves, start=1):
        try:
            move = chess.Move.from_uci(uci)
        except ValueError:
            move = None
        if move is None or not board.is_legal(move):
            raise InputError(f"{where}: move {i} {uci!r} is not a legal UCI move after the earlier ones")
        board.push(move)
    return {"id": row.get("PuzzleId") or where.rpartition(" ")[2], "fen": fen, "moves": moves, "rating": int(rating)}


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
