"""Chess as commit ac605c8 played it, for `zoo perf rl`'s "today's" peer: the methods our speed work changed,
restored as they were (legal moves generated move by move for the mask and again for every ``play``, twelve
bitboard unpackings per position, pure-Python Zobrist keys for repetitions, planes rebuilt on every call). Rules,
move encoding and planes are the same as ours; only their cost differs.
"""

from __future__ import annotations

import chess
import chess.polyglot
import numpy as np

from .games.chess_game import HISTORY, NUM_PLANES, PIECES, Chess, ChessState, decode_move, encode_move


def piece_planes(board: chess.Board, turn: bool) -> np.ndarray:
    """(12, 8, 8): the side ``turn``'s six piece types, then the opponent's, ranks mirrored for black."""
    out = np.zeros((12, 64), dtype=np.float32)
    for k, color in enumerate((turn, not turn)):
        for j, piece in enumerate(PIECES):
            mask = board.pieces_mask(piece, color)
            if turn == chess.BLACK:
                mask = chess.flip_vertical(mask)
            bits = np.unpackbits(np.array([mask], dtype="<u8").view(np.uint8), bitorder="little")
            out[k * 6 + j] = bits
    return out.reshape(12, 8, 8)


class TodayChess(Chess):
    """ac605c8's ``Chess``: the same game at that commit's cost."""

    def legal_mask(self, s: ChessState) -> np.ndarray:
        if "mask" not in s.cache:
            mask = np.zeros(self.num_actions, dtype=bool)
            if self.outcome(s) is None:
                for move in s.board.legal_moves:
                    mask[encode_move(move, s.board.turn)] = True
            s.cache["mask"] = mask
        return s.cache["mask"]

    def play(self, s: ChessState, action: int) -> ChessState:
        move = decode_move(action, s.board)
        if not s.board.is_legal(move):
            raise ValueError(f"action {action} ({move.uci()}) is not legal in {s.board.fen()}")
        return self.push(s, move)

    def push(self, s: ChessState, move: chess.Move) -> ChessState:
        board = s.board.copy(stack=False)
        board.push(move)
        past = (piece_planes(s.board, s.board.turn), *s.past)[: HISTORY - 1]
        return ChessState(board, (*s.keys, self.key(s)), past, s.plies + 1)

    def key(self, s: ChessState) -> int:
        """The position's Zobrist key (pure Python in `chess`, so computed once per state)."""
        if "key" not in s.cache:
            s.cache["key"] = chess.polyglot.zobrist_hash(s.board)
        return s.cache["key"]

    def _outcome(self, s: ChessState) -> float | None:
        b = s.board
        if not any(b.generate_legal_moves()):  # one move generation for mate and stalemate
            return -1.0 if b.is_check() else 0.0
        if (b.is_insufficient_material() or b.halfmove_clock >= 100 or self.repetitions(s) >= 2
                or s.plies >= self.max_plies):
            return 0.0
        return None

    def planes(self, s: ChessState) -> np.ndarray:
        b, turn = s.board, s.board.turn
        out = np.zeros((NUM_PLANES, 8, 8), dtype=np.float32)
        out[:12] = piece_planes(b, turn)
        for t, past in enumerate(s.past[: HISTORY - 1]):
            # past planes were taken from the other side's view every other ply: swap colours and mirror back
            if t % 2 == 0:
                past = np.concatenate([past[6:], past[:6]])[:, ::-1]
            out[12 * (t + 1): 12 * (t + 2)] = past
        k = 12 * HISTORY
        reps = self.repetitions(s)
        out[k], out[k + 1] = float(reps >= 1), float(reps >= 2)
        out[k + 2] = float(turn == chess.BLACK)
        for j, (color, side) in enumerate([(turn, "K"), (turn, "Q"), (not turn, "K"), (not turn, "Q")]):
            has = b.has_kingside_castling_rights(color) if side == "K" else b.has_queenside_castling_rights(color)
            out[k + 3 + j] = float(has)
        out[k + 7] = b.halfmove_clock / 100.0
        return out
