"""Chess: the 4,672-action encoding is exact both ways, states are light and correct, bad input is explained."""

import os
import random
from pathlib import Path

import chess
import numpy as np
import pytest
import torch

from apps.rl.games.chess_game import NUM_PLANES, Chess, decode_move, encode_move
from zoo.errors import InputError


def random_positions(n_games: int = 40, seed: int = 0):
    rng = random.Random(seed)
    for _ in range(n_games):
        board = chess.Board()
        for _ in range(rng.randint(0, 120)):
            moves = list(board.legal_moves)
            if not moves:
                break
            board.push(rng.choice(moves))
            yield board


def test_every_legal_move_round_trips():
    seen = 0
    for board in random_positions():
        actions = [encode_move(m, board.turn) for m in board.legal_moves]
        assert len(set(actions)) == len(actions) and all(0 <= a < 4672 for a in actions)
        for m, a in zip(board.legal_moves, actions):
            assert decode_move(a, board) == m
        seen += len(actions)
    # promotions (all four pieces), castling and en passant in positions built for them
    for fen in ["8/P6k/8/8/8/8/6Kp/8 w - - 0 1", "8/P6k/8/8/8/8/6Kp/8 b - - 0 1",
                "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1", "r3k2r/8/8/8/8/8/8/R3K2R b KQkq - 0 1",
                "8/8/8/3pP3/8/8/8/k6K w - d6 0 1", "1r5k/P7/8/8/8/8/8/7K w - - 0 1"]:
        board = chess.Board(fen)
        for m in board.legal_moves:
            assert decode_move(encode_move(m, board.turn), board) == m
    assert seen > 1000


def test_game_state_mask_planes_and_outcome():
    game = Chess()
    s = game.initial()
    assert game.legal_mask(s).sum() == 20 and game.planes(s).shape == (NUM_PLANES, 8, 8)
    for san in ["f3", "e5", "g4"]:
        s = game.play(s, game.parse_action(s, san))
    assert not hasattr(s.board, "move_stack") or len(s.board.move_stack) <= 1  # no whole-game copies
    mate = game.play(s, game.parse_action(s, "Qh4#"))
    assert game.outcome(mate) == -1.0 and game.to_play(mate) == 0  # white to move, mated
    # the side to move sees its own pieces in planes 0-5 from its own side of the board
    black = game.initial("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1")
    white = game.initial()
    assert np.array_equal(game.planes(black)[:6, :2], game.planes(white)[:6, :2])
    # threefold repetition is a draw
    r = game.initial()
    for _ in range(2):
        for san in ["Nf3", "Nf6", "Ng1", "Ng8"]:
            r = game.play(r, game.parse_action(r, san))
    assert game.outcome(r) == 0.0


def test_bad_fen_and_moves_are_explained():
    game = Chess()
    with pytest.raises(InputError, match="bad FEN"):
        game.initial("not a fen")
    with pytest.raises(ValueError, match="not a legal position"):
        game.initial("8/8/8/8/8/8/8/8 w - - 0 1")
    s = game.initial()
    with pytest.raises(ValueError, match="not legal here; legal moves: "):
        game.parse_action(s, "e2e5")
    with pytest.raises(ValueError, match="is not a move: write it in UCI"):
        game.parse_action(s, "hello")


SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "chess"


def test_pgn_and_puzzle_errors_name_the_file(tmp_path):
    from apps.rl.chess_data import read_pgn, read_puzzles

    good = '[Event "x"]\n[White "a"]\n[Black "b"]\n[Result "1-0"]\n\n1. e4 e5 2. Qh5 Nc6 3. Bc4 Nf6 4. Qxf7# 1-0\n\n'
    bad = '[Event "y"]\n[White "c"]\n[Black "d"]\n[Result "0-1"]\n\n1. e4 Ke7 2. Kxe9 0-1\n\n'
    pgn = tmp_path / "games.pgn"
    pgn.write_text(good + bad)
    with pytest.raises(ValueError, match=r"games.pgn: game 2 \(c vs d\)"):
        read_pgn([pgn], skip_bad=False)
    (planes, moves, results, legal), stats = read_pgn([pgn])
    assert stats == {"games": 1, "skipped": 1, "positions": 7} and planes.shape == (7, NUM_PLANES, 8, 8)
    assert list(results) == [1, -1, 1, -1, 1, -1, 1]  # white won: +1 on white's moves
    with pytest.raises(FileNotFoundError, match="PGN file .*missing.pgn does not exist"):
        read_pgn([tmp_path / "missing.pgn"])
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("PuzzleId,FEN,Moves,Rating\n1,8/8/8/8/8/8/8/8 w - - 0 1,e2e4,abc\n")
    with pytest.raises(ValueError, match=r"p.csv line 2: expected at least two UCI moves"):
        read_puzzles(csv_file)


GOOD = '[Event "x"]\n[White "a"]\n[Black "b"]\n[Result "1-0"]\n\n1. e4 e5 2. Qh5 Nc6 3. Bc4 Nf6 4. Qxf7# 1-0\n\n'


def test_pgn_that_is_not_utf8_names_the_line_and_a_bom_is_fine(tmp_path):
    from apps.rl.chess_data import read_pgn

    latin = tmp_path / "latin.pgn"
    latin.write_bytes(GOOD.encode() + '[Event "y"]\n[White "Jos\u00e9"]\n'.encode("latin-1"))
    with pytest.raises(InputError, match=r"latin\.pgn line 9: not UTF-8"):
        read_pgn([latin])
    bom = tmp_path / "bom.pgn"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert read_pgn([bom])[1]["games"] == 1


def test_bad_pgn_games_name_their_line_and_odd_ones_are_skipped(tmp_path):
    from apps.rl.chess_data import read_pgn

    bad = '[Event "y"]\n[White "c"]\n[Black "d"]\n[Result "0-1"]\n\n1. e4 Ke7 0-1\n\n'
    crazyhouse = '[Variant "Crazyhouse"]\n[Result "1-0"]\n\n1. e4 e5 1-0\n\n'
    bad_fen = '[FEN "8/8/8/8/8/8/8/8 w - - 0 1"]\n[SetUp "1"]\n[Result "1-0"]\n\n1. e4 1-0\n\n'
    pgn = tmp_path / "games.pgn"
    pgn.write_text(GOOD + bad + crazyhouse + bad_fen, encoding="utf-8")
    with pytest.raises(InputError, match=r"games\.pgn: game 2 \(c vs d\), line 8: .*Ke7"):
        read_pgn([pgn], skip_bad=False)
    assert read_pgn([pgn])[1] == {"games": 1, "skipped": 3, "positions": 7}
    unbalanced = '[Result "1-0"]\n\n1. e4 e5 2. Ke3 ) Nf3 1-0\n\n'  # python-chess 1.11 itself fails on this one
    pgn.write_text(unbalanced + GOOD, encoding="utf-8")
    with pytest.raises(InputError, match=r"games\.pgn: game 1, line 1: moves python-chess cannot parse"):
        read_pgn([pgn], skip_bad=False)
    assert read_pgn([pgn])[1] == {"games": 1, "skipped": 1, "positions": 7}
    pgn.write_text(crazyhouse, encoding="utf-8")
    with pytest.raises(InputError, match="game 1 .*line 1: variant 'Crazyhouse' is not standard chess"):
        read_pgn([pgn], skip_bad=False)
    pgn.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="no usable games"):
        read_pgn([pgn])
    with pytest.raises(InputError, match="PGN file .* is not a file"):
        read_pgn([tmp_path])


@pytest.mark.parametrize("row, problem", [
    ("1,not a fen,e2e4 e7e5,1500", r"line 3: bad FEN 'not a fen'"),
    (f"1,{chess.STARTING_FEN},e2e4 e2e4,1500", r"line 3: move 2 'e2e4' is not a legal UCI move"),
    (f"1,{chess.STARTING_FEN},e2e4 zz,1500", r"line 3: move 2 'zz' is not a legal"),
    (f"1,{chess.STARTING_FEN}", r"line 3: too few columns"),
    (f"1,{chess.STARTING_FEN},e2e4 e7e5,\u00b2", r"line 3: expected at least two UCI moves and an integer rating"),
])
def test_bad_puzzle_rows_are_reported_when_read(tmp_path, row, problem):
    from apps.rl.chess_data import read_puzzles

    path = tmp_path / "p.csv"
    path.write_text(f"PuzzleId,FEN,Moves,Rating\n0,{chess.STARTING_FEN},e2e4 e7e5,900\n{row}\n", encoding="utf-8")
    with pytest.raises(InputError, match=problem):
        read_puzzles(path)


def test_puzzle_file_encoding(tmp_path):
    from apps.rl.chess_data import read_puzzles

    path = tmp_path / "p.csv"
    path.write_bytes(f"\ufeffFEN,Moves,Rating\n{chess.STARTING_FEN},e2e4 e7e5,900\n".encode())
    assert read_puzzles(path) == [{"id": "2", "fen": chess.STARTING_FEN, "moves": ["e2e4", "e7e5"], "rating": 900}]
    path.write_bytes(f"FEN,Moves,Rating\n{chess.STARTING_FEN},e2e4 e7e5,900 \xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"p\.csv line 2: not UTF-8"):
        read_puzzles(path)


def test_missing_stockfish_is_explained():
    from apps.rl.stockfish import find_stockfish

    with pytest.raises(FileNotFoundError, match="apt install stockfish"):
        find_stockfish("/nowhere/stockfish")


@pytest.mark.skipif(not any(os.path.exists(p) for p in ("/usr/games/stockfish", "/usr/bin/stockfish")),
                    reason="Stockfish is not installed (Debian: apt install stockfish, or make data)")
def test_stockfish_plays_legal_moves():
    from apps.rl.arena import play_match
    from apps.rl.players import RandomPlayer
    from apps.rl.stockfish import StockfishPlayer

    game = Chess(max_plies=40)
    engine = StockfishPlayer(game, skill=0, seconds=0.01)
    try:
        result = play_match(game, engine, RandomPlayer(game, 0), 2)
    finally:
        engine.close()
    assert result.losses == 0


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/chess (real games, puzzles) is not present")
def test_real_puzzles_and_games_load():
    from apps.rl.chess_data import read_pgn, read_puzzles, solve_rate
    from apps.rl.players import RandomPlayer

    puzzles = read_puzzles(SHARED / "lichess_db_puzzle.csv", limit=30)
    rates = solve_rate(RandomPlayer(Chess(), 0), puzzles)
    assert rates["all"]["puzzles"] == 30 and 0 <= rates["all"]["rate"] <= 1
    (_, moves, _, legal), stats = read_pgn([SHARED / "lichess_DannyTheDonkey_2019-01-29.pgn"], max_games=5)
    assert stats["games"] == 5 and len(moves) > 100
    # Every move played is among the legal moves stored beside it (what the supervised loss normalises over).
    from apps.rl.task import unpack_bits

    mask = unpack_bits(torch.from_numpy(legal), Chess.num_actions).numpy()
    assert mask[np.arange(len(moves)), moves].all() and (mask.sum(1) < 219).all()
