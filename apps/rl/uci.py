"""`zoo rl uci --ckpt DIR`: the chess network and its search as a UCI engine, for any chess GUI or tournament
manager (cutechess, Arena, Banksia, python-chess's engine client).

Understood: ``uci``, ``isready``, ``ucinewgame``, ``setoption name Simulations value N``, ``position startpos|fen
FEN [moves M ...]``, ``go`` with ``movetime``, ``nodes``, ``wtime``/``btime``/``winc``/``binc``/``movestogo`` or
``infinite``, ``stop`` and ``quit``. The search runs in a thread, so ``stop``, ``isready`` and ``quit`` are answered
while it thinks: it looks at the stop flag between network calls (a few milliseconds each). Lines the engine does
not understand are ignored, as the protocol says, with an ``info string`` saying why; nothing a GUI sends crashes it.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import chess
import numpy as np

from zoo.errors import InputError

from .games.chess_game import Chess, ChessState
from .mcts import SearchSettings, Tree, answer

NAME = "zoo-suite chess"
MOVE_OVERHEAD = 0.05  # seconds kept back from every clock budget for the GUI's and the pipe's latency
INFO_EVERY = 1.0  # seconds between `info` lines while searching
UNLIMITED_CHUNK = 64  # visits a search without a node limit adds between looks at the clock and the stop flag
MAX_SIMULATIONS = 1_000_000  # the Simulations option's range, as `uci` announces it
# The longest legal chess game (the 75-move rule ends it) has under 12,000 plies; a longer `position` line is not a
# game, and replaying it would block the engine (each ply copies the history for repetitions)
MAX_POSITION_PLIES = 12_000
MAX_LINE = 128 * 1024  # characters: a whole game of moves fits, and a line is refused before it is split


@dataclass
class GoLimits:
    """What one ``go`` asks for; ``None`` where it says nothing."""

    nodes: int | None = None
    movetime: int | None = None  # milliseconds
    wtime: int | None = None
    btime: int | None = None
    winc: int = 0
    binc: int = 0
    movestogo: int | None = None
    infinite: bool = False

    @classmethod
    def parse(cls, words: list[str]) -> GoLimits:
        """``go``'s arguments; an unknown word or a missing or non-integer number is a ``ValueError``. ``depth``,
        ``mate``, ``ponder`` and ``searchmoves`` are read and ignored (a tree search has no fixed depth)."""
        limits, i = cls(), 0
        numeric = {"nodes", "movetime", "wtime", "btime", "winc", "binc", "movestogo", "depth", "mate"}
        while i < len(words):
            word = words[i]
            if word == "infinite":
                limits.infinite = True
            elif word == "ponder":
                pass
            elif word == "searchmoves":
                break  # a list of moves follows to the end of the line
            elif word in numeric:
                number = words[i + 1].lstrip("-") if i + 1 < len(words) else ""
                if not (number.isascii() and number.isdigit()):  # not '²': isdigit() alone accepts it
                    raise ValueError(f"go {word} needs a whole number")
                if word not in ("depth", "mate"):
                    setattr(limits, word, int(words[i + 1]))
                i += 1
            else:
                raise ValueError(f"go: unknown argument {word!r}")
            i += 1
        return limits

    def seconds(self, white: bool) -> float | None:
        """The time this move may take: ``movetime``, else a share of the clock (remaining / moves to go, 30 when
        not told, plus most of the increment, never more than a third of what is left), else None (no limit)."""
        if self.infinite:
            return None
        if self.movetime is not None:
            return max(0.01, self.movetime / 1000 - MOVE_OVERHEAD)
        remaining, increment = (self.wtime, self.winc) if white else (self.btime, self.binc)
        if remaining is None:
            return None
        share = remaining / (self.movestogo or 30) + 0.8 * increment
        return max(0.01, min(share, remaining / 3) / 1000 - MOVE_OVERHEAD)


def centipawns(value: float) -> int:
    """The search value in [-1, 1] as centipawns: the logistic (Elo) scale on which an expected score of
    (1 + v) / 2 is worth cp = 400 log10((1 + v) / (1 - v)); clipped at +-10,000."""
    v = min(max(value, -0.999), 0.999)
    return int(round(min(10_000.0, max(-10_000.0, 400 * math.log10((1 + v) / (1 - v))))))


def position_from(words: list[str], game: Chess) -> ChessState:
    """The state ``position`` describes (history included: repetitions and the network's past planes); a
    ``ValueError`` naming the bad FEN or the first illegal move."""
    if not words or words[0] not in ("startpos", "fen"):
        raise ValueError("position must be followed by startpos or fen")
    cut = words.index("moves") if "moves" in words else len(words)
    fen = chess.STARTING_FEN if words[0] == "startpos" else " ".join(words[1:cut])
    try:
        state = game.initial(fen)
    except InputError as e:  # it names what is wrong with the FEN
        raise ValueError(str(e)) from None
    if len(words) - cut - 1 > MAX_POSITION_PLIES:
        raise ValueError(f"{len(words) - cut - 1:,} moves; a game has at most {MAX_POSITION_PLIES:,}")
    for text in words[cut + 1:]:
        try:
            move = chess.Move.from_uci(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a move in UCI notation") from None
        if not state.board.is_legal(move):
            raise ValueError(f"{text} is not legal in {state.board.fen()}")
        state = game.push(state, move)
    return state


def principal_variation(tree: Tree, game: Chess, longest: int = 10) -> list[str]:
    """The most visited line from the root, as UCI moves."""
    node, line = tree.root, []
    while node is not None and node.expanded and node.n and len(line) < longest:
        i = int(node.visits.argmax())
        line.append(game.action_name(node.state, int(node.actions[i])))
        node = node.children[i]
    return line


class Engine:
    """The protocol's state (position, options, the running search) around one network evaluator."""

    def __init__(self, evaluate: Callable, simulations: int, write: Callable[[str], None], seed: int = 0,
                 leaves_per_call: int = 4):
        self.game = Chess(max_plies=10**9)  # a GUI adjudicates long games, not the engine
        self.evaluate, self.simulations, self.leaves_per_call = evaluate, simulations, leaves_per_call
        self.rng = np.random.default_rng(seed)
        self.state = self.game.initial()
        self._write, self._lock = write, threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thinking = False  # a search is running and has not said bestmove yet

    def say(self, line: str) -> None:
        with self._lock:  # the search thread's info lines and the main loop's answers never interleave
            self._write(line)

    # -- the commands ------------------------------------------------------------------------------
    def handle(self, line: str) -> bool:
        """Carry out one line; False after ``quit``."""
        if len(line) > MAX_LINE:
            self.say(f"info string a line of {len(line):,} characters ignored (at most {MAX_LINE:,})")
            return True
        words = line.split()
        if not words:
            return True
        command, rest = words[0], words[1:]
        if command == "quit":
            self.stop()
            return False
        if command == "uci":
            self.say(f"id name {NAME}")
            self.say("id author zoo-suite")
            self.say(f"option name Simulations type spin default {self.simulations} min 1 max {MAX_SIMULATIONS}")
            self.say("uciok")
        elif command == "isready":
            self.say("readyok")
        elif command == "stop":
            self.stop()
        elif command in ("ucinewgame", "position", "go", "setoption") and self.searching:
            self.say(f"info string ignored {command!r}: still searching (send stop first)")
        elif command == "ucinewgame":
            self.state = self.game.initial()
        elif command == "position":
            self.set_position(rest)
        elif command == "go":
            self.go(rest)
        elif command == "setoption":
            self.set_option(rest)
        elif command in ("debug", "register", "ponderhit"):
            pass  # nothing to do for this engine
        else:
            self.say(f"info string unknown command {command[:80]!r} ignored")
        return True

    def set_position(self, words: list[str]) -> None:
        try:
            self.state = position_from(words, self.game)
        except ValueError as e:
            self.say(f"info string position ignored: {str(e)[:200]}")

    def set_option(self, words: list[str]) -> None:
        text = " ".join(words)
        name, _, value = text.removeprefix("name ").partition(" value ")
        value = value.strip()
        # ASCII digits only: str.isdigit() also accepts '²' or '٣', which int() then refuses
        if name.strip().lower() != "simulations":
            self.say(f"info string unknown option {name.strip()[:80]!r} ignored")
        elif not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_SIMULATIONS:
            self.say(f"info string Simulations must be a whole number from 1 to {MAX_SIMULATIONS}, got "
                     f"{value[:80]!r}")
        else:
            self.simulations = int(value)

    def go(self, words: list[str]) -> None:
        try:
            limits = GoLimits.parse(words)
        except ValueError as e:
            self.say(f"info string go ignored: {e}")
            return
        self._stop.clear()
        self._thinking = True
        self._thread = threading.Thread(target=self.think, args=(self.state, limits), daemon=True)
        self._thread.start()

    @property
    def searching(self) -> bool:
        # Not the thread's liveness: it is still alive for a moment after `bestmove`, and a GUI's next `position`
        # sent in that moment was ignored (the engine then answered for the old position)
        return self._thinking

    def stop(self) -> None:
        """End the running search (it answers with its best move) and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread, self._thinking = None, False

    # -- the search --------------------------------------------------------------------------------
    def think(self, state: ChessState, limits: GoLimits) -> None:
        """Search until the limits or ``stop``, then say ``bestmove`` (after ``stop`` only, under ``infinite``)."""
        if self.game.outcome(state) is not None:
            self.say("info string the game is over in this position")
            move = "0000"
        else:
            try:
                move = self.search(state, limits)
            except Exception as e:  # a GUI waits for bestmove whatever happens: a legal move, and why
                self.say(f"info string search failed ({type(e).__name__}: {e}); playing the first legal move")
                move = next(iter(state.board.legal_moves)).uci()
        if limits.infinite:
            self._stop.wait()  # the protocol: no bestmove before stop
        self._thinking = False  # before the answer: whatever the GUI sends on reading it is taken
        self.say(f"bestmove {move}")

    def search(self, state: ChessState, limits: GoLimits) -> str:
        """The move to play, in UCI notation, after searching within ``limits``."""
        start = time.perf_counter()
        seconds = limits.seconds(state.board.turn == chess.WHITE)
        # Without a node limit, time or `stop` ends the search: the tree is given its visits a chunk at a time so
        # that a tree whose every line ends in a finished game (no leaf to evaluate) still comes back to check.
        unlimited = limits.nodes is None and (limits.infinite or seconds is not None)
        settings = SearchSettings(simulations=limits.nodes or self.simulations, noise_fraction=0.0,
                                  leaves_per_call=self.leaves_per_call)
        tree = Tree(self.game, state, settings, self.rng)
        last_info = start
        while True:
            if unlimited:
                settings.simulations = tree.root.n + UNLIMITED_CHUNK
            leaves = tree.next_leaves()
            if leaves:
                answer([(tree, leaves)], self.evaluate)
            elif not unlimited:
                break  # the node budget is spent
            now = time.perf_counter()
            if self._stop.is_set() or (seconds is not None and now - start >= seconds):
                break
            if now - last_info >= INFO_EVERY:
                self.say(self.info(tree, now - start))
                last_info = now
        self.say(self.info(tree, time.perf_counter() - start))
        root = tree.root
        # Stopped before any simulation finished, the visits are all 0: the network's favourite move then.
        best = root.visits.argmax() if root.n else root.prior.argmax()
        return self.game.action_name(state, int(root.actions[int(best)]))

    def info(self, tree: Tree, seconds: float) -> str:
        pv = principal_variation(tree, self.game)
        nodes = tree.root.n
        return (f"info depth {max(1, len(pv))} nodes {nodes} nps {int(nodes / max(seconds, 1e-6))} "
                f"time {int(seconds * 1000)} score cp {centipawns(tree.value())} pv {' '.join(pv)}")


def serve(engine: Engine, lines) -> None:
    """Feed the engine ``lines`` (stdin) until ``quit`` or the end of input. A line the engine fails on is answered
    with an ``info string`` and the engine goes on: a GUI's engine must never die of what it was sent."""
    for line in lines:
        try:
            if not engine.handle(line):
                return
        except Exception as e:  # a bug on one odd line: say so, keep serving
            engine.say(f"info string ignored {line.strip()[:80]!r}: {type(e).__name__}: {' '.join(str(e).split())}")
    engine.stop()


def write_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
