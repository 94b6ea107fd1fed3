"""`zoo rl uci`: the protocol in process (a fixed evaluator, no network) and the real engine as a subprocess, in a
whole game against Stockfish through python-chess's engine client and in a GUI's `go infinite` / `stop`."""

import shutil
import statistics
import subprocess
import sys
import threading
import time

import chess
import chess.engine
import numpy as np
import pytest

from apps.rl.games.chess_game import Chess
from apps.rl.uci import Engine, GoLimits, centipawns, position_from

STOCKFISH = shutil.which("stockfish") or shutil.which("stockfish", path="/usr/games")


def uniform(game):
    """Priors spread evenly over the legal moves, every value 0: a search that depends on nothing but the rules."""
    def evaluate(states):
        masks = np.stack([game.legal_mask(s) for s in states]).astype(np.float32)
        return masks / np.maximum(masks.sum(1, keepdims=True), 1), np.zeros(len(states), dtype=np.float32)
    return evaluate


class Lines:
    """What the engine writes, and a wait for a line that starts with a prefix."""

    def __init__(self):
        self.lines, self.changed = [], threading.Condition()

    def __call__(self, line):
        with self.changed:
            self.lines.append(line)
            self.changed.notify_all()

    def wait_for(self, prefix, timeout=10.0):
        with self.changed:
            assert self.changed.wait_for(lambda: any(x.startswith(prefix) for x in self.lines), timeout), self.lines
            return next(x for x in self.lines if x.startswith(prefix))


@pytest.fixture
def engine():
    lines = Lines()
    e = Engine(uniform(Chess()), simulations=16, write=lines)
    e.lines = lines
    yield e
    e.stop()


def test_handshake_and_options(engine):
    for line in ("uci", "isready", "setoption name Simulations value 7"):
        assert engine.handle(line)
    assert engine.lines.lines[-2:] == ["uciok", "readyok"]
    assert any(x.startswith("option name Simulations type spin") for x in engine.lines.lines)
    assert engine.simulations == 7
    engine.handle("setoption name Simulations value lots")
    engine.handle("setoption name Simulations value ²")  # str.isdigit() says yes, int() says no
    engine.handle("setoption name Hash value 16")
    assert engine.simulations == 7
    assert engine.lines.lines[-3:] == ["info string Simulations must be a whole number from 1 to 1000000, got 'lots'",
                                       "info string Simulations must be a whole number from 1 to 1000000, got '²'",
                                       "info string unknown option 'Hash' ignored"]
    assert not engine.handle("quit")


def test_go_with_nodes_answers_a_legal_move_of_the_position(engine):
    engine.handle("position startpos moves e2e4 e7e5 g1f3")
    engine.handle("go nodes 12")
    move = chess.Move.from_uci(engine.lines.wait_for("bestmove").split()[1])
    board = chess.Board()
    for m in ("e2e4", "e7e5", "g1f3"):
        board.push_uci(m)
    assert move in board.legal_moves
    info = [x for x in engine.lines.lines if x.startswith("info depth")][-1]
    assert " nodes 12 " in info and " pv " in info


@pytest.mark.parametrize("line, said", [
    ("fly to the moon", "unknown command 'fly'"),
    ("position startpos moves e2e5", "position ignored: e2e5 is not legal"),
    ("position startpos moves e2", "position ignored: 'e2' is not a move"),
    ("position fen not a fen", "position ignored: bad FEN"),
    ("position", "position ignored: position must be followed by startpos or fen"),
    ("go nodes", "go ignored: go nodes needs a whole number"),
    ("go sideways 3", "go ignored: go: unknown argument 'sideways'"),
])
def test_malformed_lines_are_ignored_with_a_reason(engine, line, said):
    engine.handle("position startpos moves d2d4")
    assert engine.handle(line)
    assert said in engine.lines.lines[-1]
    assert engine.state.board.fen() == chess.Board("rnbqkbnr/pppppppp/8/8/3P4/8/PPP1PPPP/RNBQKBNR b KQkq - 0 1").fen()
    assert not engine.searching


def test_infinite_search_answers_only_after_stop(engine):
    engine.handle("go infinite")
    time.sleep(0.3)
    assert not any(x.startswith("bestmove") for x in engine.lines.lines)
    engine.handle("isready")  # answered while the search runs
    assert engine.lines.lines[-1] == "readyok"
    engine.handle("position startpos moves e2e4")
    assert "still searching" in engine.lines.lines[-1]
    engine.handle("stop")
    move = engine.lines.wait_for("bestmove").split()[1]
    assert chess.Move.from_uci(move) in chess.Board().legal_moves


def test_a_finished_game_answers_the_null_move(engine):
    engine.handle("position fen 7k/6Q1/6K1/8/8/8/8/8 b - - 0 1")  # black is mated
    engine.handle("go movetime 50")
    assert engine.lines.wait_for("bestmove") == "bestmove 0000"


def test_a_position_keeps_its_history():
    state = position_from("startpos moves g1f3 g8f6 f3g1 f6g8 g1f3 g8f6 f3g1 f6g8".split(), Chess())
    assert Chess().outcome(state) == 0.0  # the third time the start position stands: a draw by repetition


def test_clock_shares_and_centipawns():
    assert GoLimits.parse("movetime 1000".split()).seconds(True) == pytest.approx(0.95)
    clock = GoLimits.parse("wtime 60000 btime 3000 winc 1000 binc 0 movestogo 10".split())
    assert clock.seconds(True) == pytest.approx((6000 + 800) / 1000 - 0.05)
    assert clock.seconds(False) == pytest.approx(0.25)
    assert GoLimits.parse(["infinite"]).seconds(True) is None and GoLimits.parse([]).seconds(True) is None
    assert centipawns(0.0) == 0 and centipawns(-0.5) == -centipawns(0.5) and centipawns(0.5) == 191
    assert centipawns(1.0) == -centipawns(-1.0) > 1000


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from apps.rl.network import build_network
    from zoo import save_pretrained

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("uci") / "model"
    save_pretrained(build_network(Chess(), "resnet_small", {"depth": 1, "width": 16}), folder)
    return folder


def engine_command(model_dir, *extra):
    return [sys.executable, "-m", "zoo", "rl", "uci", "--ckpt", str(model_dir), *extra]


@pytest.mark.skipif(STOCKFISH is None, reason="Stockfish is not installed (Debian: apt install stockfish, or "
                    "make data)")
def test_a_whole_game_against_stockfish_with_only_legal_moves(model_dir):
    board = chess.Board()
    ours = chess.engine.SimpleEngine.popen_uci(engine_command(model_dir), timeout=60)
    stockfish = chess.engine.SimpleEngine.popen_uci(STOCKFISH)
    try:
        assert ours.id["name"] == "zoo-suite chess"
        while not board.is_game_over(claim_draw=True) and board.ply() < 400:
            white = board.turn == chess.WHITE
            limit = chess.engine.Limit(nodes=8) if white else chess.engine.Limit(depth=6)
            move = (ours if white else stockfish).play(board, limit).move
            assert move in board.legal_moves, (board.fen(), move)
            board.push(move)
    finally:
        ours.quit()
        stockfish.quit()
    assert board.is_game_over(claim_draw=True), board.fen()


def test_stop_is_answered_within_100_ms(model_dir):
    """A GUI's analysis: `go infinite`, then `stop`; the median of three stops' latencies is under 100 ms."""
    proc = subprocess.Popen(engine_command(model_dir), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            bufsize=1)

    def send(line):
        proc.stdin.write(line + "\n")
        proc.stdin.flush()

    def read_until(prefix):
        while not (line := proc.stdout.readline()).startswith(prefix):
            assert line, "the engine closed its output"
        return line

    try:
        send("uci")
        read_until("uciok")
        latencies = []
        for moves in ("", " moves e2e4", " moves e2e4 c7c5"):
            send(f"position startpos{moves}")
            send("go infinite")
            time.sleep(0.5)
            t0 = time.perf_counter()
            send("stop")
            move = read_until("bestmove").split()[1]
            latencies.append(time.perf_counter() - t0)
            assert chess.Move.from_uci(move)
        send("quit")
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
    print(f"stop latencies: {[round(x * 1000, 1) for x in latencies]} ms")
    assert statistics.median(latencies) < 0.1, latencies
