"""Fuzzing the RL readers: on any input the PGN reader, the puzzle CSV reader, the FEN reader, the UCI/SAN move
parser and the arena player-spec parser give a valid result or a ValueError (InputError included), never another
exception."""

import os
import re
import tempfile
from pathlib import Path

import chess
import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.rl.chess_data import read_pgn, read_puzzles
from apps.rl.cli import make_player
from apps.rl.games import make_game
from apps.rl.games.chess_game import NUM_PLANES, Chess
from apps.rl.player_spec import MAX_DEPTH, MAX_SIMULATIONS, MAX_SKILL, PlayerSpec, parse_player_spec
from apps.rl.task import unpack_bits

# The same examples on every run (CI must not fail by luck); ZOO_FUZZ_RANDOM=1 explores new ones
DERANDOMIZE = not os.environ.get("ZOO_FUZZ_RANDOM")
SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    derandomize=DERANDOMIZE)  # 1-4 s each: bounded for CI

# Pieces near each format find more than noise: tags, moves legal and not, comments, variations, NAGs, results,
# a BOM, Latin-1 and NUL bytes, FEN and variant headers.
PGN_PIECES = [b'[Event "x"]\n', b'[Result "1-0"]\n', b'[Result "*"]\n', b'[White "Jos\xc3\xa9"]\n', b'[White "\xe9"]\n',
              b'[FEN "8/8/8/8/8/8/8/8 w - - 0 1"]\n', b'[FEN "4k3/8/8/8/8/8/8/4K2R w K - 0 1"]\n', b'[SetUp "1"]\n',
              b'[Variant "Crazyhouse"]\n', b'[Variant "Chess960"]\n', b"\n", b"\r\n", b"1. ", b"e4 ", b"e5 ", b"Nf3 ",
              b"Ke7 ", b"Ke3 ) ", b"O-O ", b"Qxf7# ", b"{ a comment ", b"} ", b"( ", b") ", b"$1 ", b"1-0", b"0-1", b"1/2-1/2",
              b"*", b"\xef\xbb\xbf", b"\x00", b"% escape\n", b"; rest of line\n", b"[", b"]", b'"',
              b'[Result "1-0"]\n\n1. e4 e5 2. Qh5 Nc6 3. Bc4 Nf6 4. Qxf7# 1-0\n\n']
PGN_BYTES = st.one_of(st.binary(max_size=300), st.lists(st.sampled_from(PGN_PIECES), max_size=40).map(b"".join))
FEN_TEXT = st.one_of(
    st.text(max_size=80),
    st.builds(" ".join, st.lists(st.one_of(st.text("pnbrqkPNBRQK12345678/", max_size=40),
                                           st.sampled_from(["w", "b", "KQkq", "-", "e3", "0", "1", "-5", "99999"])),
                                 max_size=7)),
    st.sampled_from([chess.STARTING_FEN, "8/8/8/8/8/8/8/8 w - - 0 1", "4k3/8/8/8/8/8/8/4K3 w - - 0 1",
                     "7k/5Q2/6K1/8/8/8/8/8 b - - 0 1", "k7/8/1Q6/8/8/8/8/7K b - - 0 1"]))
SPEC_TEXT = st.one_of(st.text(max_size=30), st.lists(st.sampled_from(
    ["random", "win-block", "perfect", "alphabeta", "stockfish", "-", "+mcts", "runs/model", "/", "0", "5", "-5",
     "21", "abc", "\u00b2", " ", "99999999"]), max_size=5).map("".join))


def in_folder(name: str, data: bytes, test) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        test(path)


def check_pgn(path: Path, skip_bad: bool) -> None:
    try:
        (planes, moves, results, legal), stats = read_pgn([path], skip_bad=skip_bad)
    except ValueError as e:
        assert path.name in str(e)
        return
    n = stats["positions"]
    assert n > 0 and planes.shape == (n, NUM_PLANES, 8, 8) and moves.shape == results.shape == (n,)
    assert set(np.unique(results)) <= {-1.0, 0.0, 1.0}
    mask = unpack_bits(torch.from_numpy(legal), Chess.num_actions).numpy()
    assert mask[np.arange(n), moves].all()  # every move played is among the legal moves beside it


@SETTINGS
@given(data=PGN_BYTES, skip_bad=st.booleans())
def test_pgn_reader(data, skip_bad):
    in_folder("games.pgn", data, lambda path: check_pgn(path, skip_bad))


@SETTINGS
@given(fen=FEN_TEXT)
def test_fen_reader(fen):
    game = Chess()
    try:
        state = game.initial(fen)
    except ValueError as e:
        assert "bad FEN" in str(e)
        return
    assert state.board.is_valid() and game.planes(state).shape == (NUM_PLANES, 8, 8)
    mask = game.legal_mask(state)
    assert (game.outcome(state) is None) == bool(mask.any())


def check_puzzles(path: Path) -> None:
    try:
        puzzles = read_puzzles(path)
    except ValueError as e:
        assert path.name in str(e)
        return
    for p in puzzles:
        board = chess.Board(p["fen"])
        for uci in p["moves"]:  # the reader promised legal moves: replaying them must work
            move = chess.Move.from_uci(uci)
            assert board.is_legal(move)
            board.push(move)


@SETTINGS
@given(fen=FEN_TEXT, moves=st.lists(st.sampled_from(["e2e4", "e7e5", "g1f3", "0000", "e4", "h7h8q", "zz"]),
                                    max_size=4).map(" ".join), rating=st.sampled_from(["1500", "x", "", "\u00b2"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
def test_puzzle_reader(fen, moves, rating, encoding):
    text = f"PuzzleId,FEN,Moves,Rating\n1,{fen},{moves},{rating}\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass")
    in_folder("puzzles.csv", data, check_puzzles)


@SETTINGS
@given(text=st.one_of(st.text(max_size=12), st.sampled_from(["e2e4", "e7e8q", "Nf3", "O-O", "0000", "e2e9", "a1a1"])))
def test_move_parser(text):
    game = Chess()
    state = game.initial()
    try:
        action = game.parse_action(state, text)
    except ValueError:
        return
    assert game.legal_mask(state)[action]


@SETTINGS
@given(spec=SPEC_TEXT)
def test_player_spec_parser(spec):
    try:
        p = parse_player_spec(spec)
    except ValueError as e:
        assert repr(spec) in str(e) and "valid players:" in str(e)
        return
    assert isinstance(p, PlayerSpec)
    if p.kind == "alphabeta":
        assert 1 <= p.number <= MAX_DEPTH
    elif p.kind == "stockfish":
        assert 0 <= p.number <= MAX_SKILL
    elif p.kind == "model":
        assert p.path.strip() and "+mcts" not in p.path and 0 <= p.simulations <= MAX_SIMULATIONS
    else:
        assert p.kind in ("random", "win-block", "perfect") and spec == p.kind


@SETTINGS
@given(spec=SPEC_TEXT.filter(lambda s: not re.fullmatch(r"\s*[./]*\s*", s.partition("+mcts")[0])))
def test_make_player_on_names(spec):
    """Building the player too (tic-tac-toe: Stockfish refuses before starting an engine); a folder that exists,
    like '.', is left out: it holds no model, which is a FileNotFoundError (an OSError) by design."""
    try:
        player = make_player(spec, make_game("tictactoe"))
    except ValueError:
        return
    assert player.choose([make_game("tictactoe").initial()])
