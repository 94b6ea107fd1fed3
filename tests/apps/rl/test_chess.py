"""Chess: the 4,672-action encoding is exact both ways, states are light and correct, bad input is explained."""

import random

import chess
import numpy as np
import pytest

from apps.rl.games.chess_game import NUM_PLANES, Chess, decode_move, encode_move


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
    with pytest.raises(ValueError, match="bad FEN"):
        game.initial("not a fen")
    with pytest.raises(ValueError, match="not a legal position"):
        game.initial("8/8/8/8/8/8/8/8 w - - 0 1")
    s = game.initial()
    with pytest.raises(ValueError, match="not legal here; legal moves: "):
        game.parse_action(s, "e2e5")
    with pytest.raises(ValueError, match="is not a move: write it in UCI"):
        game.parse_action(s, "hello")
