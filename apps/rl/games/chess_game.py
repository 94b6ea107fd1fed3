"""Chess through the `chess` package, with AlphaZero's move encoding and input planes.

Moves: 8x8 from-squares x 73 move types = 4,672 actions, in the frame of the side to move (ranks mirrored for
black): 56 queen-like moves (8 directions x distances 1-7), 8 knight jumps, 9 under-promotions (knight, bishop, rook
x capture left, straight, capture right); a queen promotion is the plain pawn move to the last rank.

A state is light: a board copied without its move stack, the repetition keys of earlier positions (repetitions) and
the piece planes of the last two positions (history), so a search tree never copies a whole game.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import chess
import numpy as np

from zoo.errors import InputError

from .base import Game

DIRECTIONS = [(0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1)]  # (file, rank): N, NE, E, ...
KNIGHT = [(1, 2), (2, 1), (2, -1), (1, -2), (-1, -2), (-2, -1), (-2, 1), (-1, 2)]
UNDER = [chess.KNIGHT, chess.BISHOP, chess.ROOK]
PIECES = [chess.PAWN, chess.KNIGHT, chess.BISHOP, chess.ROOK, chess.QUEEN, chess.KING]
HISTORY = 3  # positions whose pieces the network sees (now and the two before)
NUM_PLANES = 12 * HISTORY + 2 + 1 + 4 + 1  # pieces, repetitions, colour, castling rights, 50-move counter


def encode_move(move: chess.Move, turn: bool) -> int:
    """A legal move of the side ``turn`` -> action in [0, 4672)."""
    src, dst = move.from_square, move.to_square
    if turn == chess.BLACK:
        src, dst = chess.square_mirror(src), chess.square_mirror(dst)
    df = chess.square_file(dst) - chess.square_file(src)
    dr = chess.square_rank(dst) - chess.square_rank(src)
    if move.promotion and move.promotion != chess.QUEEN:
        plane = 64 + UNDER.index(move.promotion) * 3 + (df + 1)
    elif (df, dr) in KNIGHT:
        plane = 56 + KNIGHT.index((df, dr))
    else:
        dist = max(abs(df), abs(dr))
        plane = DIRECTIONS.index((df // dist, dr // dist)) * 7 + dist - 1
    return src * 73 + plane


def decode_move(action: int, board: chess.Board) -> chess.Move:
    """Action -> move for the side to move on ``board`` (not checked for legality)."""
    src, plane = divmod(action, 73)
    promotion = None
    if plane >= 64:
        piece, df = divmod(plane - 64, 3)
        df, dr, promotion = df - 1, 1, UNDER[piece]
    elif plane >= 56:
        df, dr = KNIGHT[plane - 56]
    else:
        (ddf, ddr), dist = DIRECTIONS[plane // 7], plane % 7 + 1
        df, dr = ddf * dist, ddr * dist
    f, r = chess.square_file(src) + df, chess.square_rank(src) + dr
    if not (0 <= f < 8 and 0 <= r < 8):
        raise ValueError(f"action {action} leaves the board")
    dst = chess.square(f, r)
    if board.turn == chess.BLACK:
        src, dst = chess.square_mirror(src), chess.square_mirror(dst)
    if promotion is None and r == 7 and board.piece_type_at(src) == chess.PAWN:
        promotion = chess.QUEEN
    return chess.Move(src, dst, promotion)


def _move_table() -> np.ndarray:
    """(2, 64 * 64): the action of the move from -> to (a queen promotion where a pawn reaches the last rank) for
    black (0) and white (1) to move; -1 where no piece moves that way."""
    table = np.full((2, 64 * 64), -1, dtype=np.int64)
    for turn in (chess.BLACK, chess.WHITE):
        for src in range(64):
            for dst in range(64):
                df = chess.square_file(dst) - chess.square_file(src)
                dr = chess.square_rank(dst) - chess.square_rank(src)
                if src != dst and (df == 0 or dr == 0 or abs(df) == abs(dr) or (df, dr) in KNIGHT
                                   or (-df, -dr) in KNIGHT):
                    table[int(turn), src * 64 + dst] = encode_move(chess.Move(src, dst), turn)
    return table


MOVE_TABLE = _move_table()
SEVENTH = {chess.WHITE: chess.BB_RANK_7, chess.BLACK: chess.BB_RANK_2}  # where a pawn stands before promoting


def encode_moves(moves: list[chess.Move], board: chess.Board) -> np.ndarray:
    """``encode_move`` of every move in ``moves`` (legal on ``board``) at once: a table look-up, move by move only
    for under-promotions."""
    turn = board.turn
    index = np.fromiter((m.from_square * 64 + m.to_square for m in moves), dtype=np.int64, count=len(moves))
    actions = MOVE_TABLE[int(turn)][index]
    if board.pawns & board.occupied_co[turn] & SEVENTH[turn]:
        for k, m in enumerate(moves):
            if m.promotion and m.promotion != chess.QUEEN:
                actions[k] = encode_move(m, turn)
    return actions


def piece_planes(board: chess.Board, turn: bool) -> np.ndarray:
    """(12, 8, 8): the side ``turn``'s six piece types, then the opponent's, ranks mirrored for black (one
    unpacking of the twelve bitboards)."""
    kinds = (board.pawns, board.knights, board.bishops, board.rooks, board.queens, board.kings)
    masks = np.array([bb & board.occupied_co[color] for color in (turn, not turn) for bb in kinds], dtype="<u8")
    if turn == chess.BLACK:
        masks = masks.byteswap()  # a bitboard's bytes are its ranks: reversing them mirrors the ranks
    return np.unpackbits(masks.view(np.uint8), bitorder="little").reshape(12, 8, 8).astype(np.float32)


@dataclass(frozen=True)
class ChessState:
    board: chess.Board  # without its move stack
    keys: tuple[tuple, ...] = ()  # repetition keys (``Chess.key``) of the earlier positions of the game
    past: tuple[np.ndarray, ...] = ()  # piece planes (12, 8, 8) of the previous positions, newest first, as seen
    # by the side that was to move then
    plies: int = 0
    cache: dict = field(default_factory=dict, compare=False, repr=False)  # legal moves, outcome, planes: computed
    # once, as the search asks for them again and again


class Chess(Game):
    name, num_actions, board_size, num_planes = "chess", 4672, (8, 8), NUM_PLANES

    def __init__(self, max_plies: int = 300):
        self.max_plies = max_plies  # self-play games longer than this are drawn

    def initial(self, fen: str = chess.STARTING_FEN) -> ChessState:
        """The position of a FEN; an ``InputError`` saying what is wrong with it (syntax, or an illegal position)."""
        if not isinstance(fen, str):
            raise InputError(f"bad FEN {fen!r}: expected text like {chess.STARTING_FEN!r}")
        try:
            board = chess.Board(fen)
        except ValueError as e:
            raise InputError(f"bad FEN {fen!r}: {e}") from None
        if not board.is_valid():
            raise InputError(f"bad FEN {fen!r}: not a legal position ({board.status()!r})")
        return ChessState(board)

    def legal(self, s: ChessState) -> tuple[list[chess.Move], np.ndarray]:
        """The legal moves (whatever the outcome) and their actions, generated once per state."""
        if "legal" not in s.cache:
            moves = list(s.board.generate_legal_moves())
            s.cache["legal"] = moves, encode_moves(moves, s.board)
        return s.cache["legal"]

    def legal_mask(self, s: ChessState) -> np.ndarray:
        if "mask" not in s.cache:
            mask = np.zeros(self.num_actions, dtype=bool)
            if self.outcome(s) is None:
                mask[self.legal(s)[1]] = True
            s.cache["mask"] = mask
        return s.cache["mask"]

    def play(self, s: ChessState, action: int) -> ChessState:
        if "by_action" not in s.cache:
            moves, actions = self.legal(s)
            s.cache["by_action"] = dict(zip(actions.tolist(), moves))
        move = s.cache["by_action"].get(action)
        if move is None:
            move = decode_move(action, s.board)
            raise ValueError(f"action {action} ({move.uci()}) is not legal in {s.board.fen()}")
        return self.push(s, move)

    def push(self, s: ChessState, move: chess.Move) -> ChessState:
        board = s.board.copy(stack=False)
        board.push(move)
        past = (self.pieces(s), *s.past)[: HISTORY - 1]
        return ChessState(board, (*s.keys, self.key(s)), past, s.plies + 1)

    def key(self, s: ChessState) -> tuple:
        """What makes two positions the same for repetitions (FIDE): pieces, side to move, castling rights and a
        capturable en-passant square (python-chess's own repetition key, from public attributes)."""
        if "key" not in s.cache:
            b = s.board
            s.cache["key"] = (b.pawns, b.knights, b.bishops, b.rooks, b.queens, b.kings, b.occupied_co[chess.WHITE],
                              b.occupied_co[chess.BLACK], b.turn, b.clean_castling_rights(),
                              b.ep_square if b.has_legal_en_passant() else None)
        return s.cache["key"]

    def repetitions(self, s: ChessState) -> int:
        return s.keys.count(self.key(s))

    def outcome(self, s: ChessState) -> float | None:
        if "outcome" not in s.cache:
            s.cache["outcome"] = self._outcome(s)
        return s.cache["outcome"]

    def _outcome(self, s: ChessState) -> float | None:
        b = s.board
        if not self.legal(s)[0]:  # mate or stalemate
            return -1.0 if b.is_check() else 0.0
        if (b.is_insufficient_material() or b.halfmove_clock >= 100 or self.repetitions(s) >= 2
                or s.plies >= self.max_plies):
            return 0.0
        return None

    def pieces(self, s: ChessState) -> np.ndarray:
        """The position's piece planes from the side to move (computed once: its planes and its successors'
        history use them)."""
        if "pieces" not in s.cache:
            s.cache["pieces"] = piece_planes(s.board, s.board.turn)
        return s.cache["pieces"]

    def planes(self, s: ChessState) -> np.ndarray:
        """The network's input (computed once per state and shared: callers must not write to it)."""
        if "planes" not in s.cache:
            s.cache["planes"] = self._planes(s)
        return s.cache["planes"]

    def _planes(self, s: ChessState) -> np.ndarray:
        b, turn = s.board, s.board.turn
        out = np.zeros((NUM_PLANES, 8, 8), dtype=np.float32)
        out[:12] = self.pieces(s)
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

    def to_play(self, s: ChessState) -> int:
        return 0 if s.board.turn == chess.WHITE else 1

    def render(self, s: ChessState) -> str:
        side = "white" if s.board.turn == chess.WHITE else "black"
        return f"{s.board.unicode(borders=True, empty_square='.')}\n{side} to move"

    def action_name(self, s: ChessState, action: int) -> str:
        return decode_move(action, s.board).uci()

    def parse_action(self, s: ChessState, text: str) -> int:
        t = text.strip()
        try:
            move = chess.Move.from_uci(t)
        except ValueError:
            try:
                move = s.board.parse_san(t)
            except ValueError:
                raise ValueError(f"{text!r} is not a move: write it in UCI (e2e4, e7e8q) or SAN (Nf3, O-O)") from None
        if not s.board.is_legal(move):
            legal = ", ".join(sorted(s.board.san(m) for m in s.board.legal_moves))
            raise ValueError(f"{t} is not legal here; legal moves: {legal}")
        return encode_move(move, s.board.turn)
