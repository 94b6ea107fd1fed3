"""The boards of the self-play tab of `zoo serve`, drawn from a game state: tic-tac-toe marks for the nine
cell buttons, Connect Four as an HTML table, chess as the `chess` package's SVG; and moves named the way a
person writes them (SAN in chess). Kept apart from ``serve.py`` so the handlers there stay short."""

from __future__ import annotations

import numpy as np

from .games import Game

LABELS = {"tictactoe": "tic-tac-toe", "connect4": "Connect Four", "chess": "chess"}
EMPTY = "·"  # an empty tic-tac-toe cell: a visible mark, so the button keeps its size
SIDES = {"tictactoe": ("X", "O"), "connect4": ("red", "yellow"), "chess": ("white", "black")}
DISC = {0: "#d62828", 1: "#f4c430", None: "#ffffff"}  # red moves first, yellow second, empty


def owner(cell: int, to_play: int) -> int | None:
    """Who holds a cell stored from the side to move's view (+1 the side to move, -1 the other): 0 the first
    player, 1 the second, None empty."""
    if cell == 0:
        return None
    return to_play if cell == 1 else 1 - to_play


def cell_marks(state) -> list[str]:
    """The nine tic-tac-toe cells, row-major as the game numbers its actions: "X", "O" or ``EMPTY``."""
    return [EMPTY if (who := owner(int(v), state.to_play)) is None else "XO"[who] for v in state.cells]


def connect4_html(state, last: int | None = None) -> str:
    """The 6x7 board (row 0 at the top) as an HTML table of discs, the last move's column marked; each disc
    also carries its colour as text (title) for screen readers and tests."""
    rows = []
    for r, row in enumerate(state.cells):
        tds = []
        for c, v in enumerate(row):
            who = owner(int(v), state.to_play)
            name = "empty" if who is None else SIDES["connect4"][who]
            newest = last == c and who is not None and _top(state, c) == r
            ring = "3px solid #222" if newest else "1px solid #555"
            tds.append(f'<td title="{name}" style="width:42px;height:42px;padding:3px">'
                       f'<div style="width:36px;height:36px;border-radius:50%;background:{DISC[who]};'
                       f'border:{ring}"></div></td>')
        rows.append("<tr>" + "".join(tds) + "</tr>")
    numbers = "".join(f'<td style="text-align:center;font-weight:bold">{c + 1}</td>' for c in range(7))
    return ('<table style="background:#1d4ed8;border-collapse:separate;border-radius:8px">'
            + "".join(rows) + f'<tr style="background:#fff">{numbers}</tr></table>')


def _top(state, col: int) -> int:
    """The row of the highest disc in a column."""
    return 6 - int(state.heights[col])


def chess_svg(state, last_move=None, human: int = 0) -> str:
    """The position as the `chess` package draws it, from the person's side, the last move and a check
    highlighted."""
    import chess
    import chess.svg

    board = state.board
    check = board.king(board.turn) if board.is_check() else None
    return chess.svg.board(board, orientation=chess.WHITE if human == 0 else chess.BLACK, lastmove=last_move,
                           check=check, size=420)


def board_html(game: Game, state, last, human: int) -> str:
    """The board component's HTML for Connect Four and chess (tic-tac-toe is drawn by its buttons)."""
    if game.name == "connect4":
        return connect4_html(state, last)
    if game.name == "chess":
        return chess_svg(state, last, human)
    return ""


def move_name(game: Game, state, action: int) -> str:
    """``action`` in ``state`` as a person writes it: SAN in chess, "b2" in tic-tac-toe, "column 4"."""
    if game.name == "chess":
        from .games.chess_game import decode_move

        return state.board.san(decode_move(action, state.board))
    name = game.action_name(state, action)
    return f"column {name}" if game.name == "connect4" else name


def last_move(game: Game, state, action: int):
    """What the board drawing highlights after ``action``: the chess.Move, or the column played."""
    if game.name == "chess":
        from .games.chess_game import decode_move

        return decode_move(action, state.board)
    return action


def legal_san(game: Game, state) -> list[str]:
    """The legal chess moves in SAN, sorted (the move list); [] once the game is over."""
    if game.name != "chess" or game.outcome(state) is not None:
        return []
    return sorted(state.board.san(m) for m in game.legal(state)[0])


def end_reason(game: Game, state) -> str:
    """Why a finished game ended, in words."""
    if game.name == "chess":
        b = state.board
        if b.is_checkmate():
            return "checkmate"
        if b.is_stalemate():
            return "stalemate"
        if b.is_insufficient_material():
            return "insufficient material"
        if b.halfmove_clock >= 100:
            return "fifty moves without a capture or pawn move"
        if game.repetitions(state) >= 2:
            return "threefold repetition"
        return f"the {game.max_plies}-ply limit"
    if game.outcome(state) == 0:
        return "the board is full"
    return "four in a row" if game.name == "connect4" else "three in a row"


def top_moves(game: Game, state, counts: np.ndarray, played: int, k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` most visited moves of a search (A,) and their share of the visits, the move ``played`` first
    among equals; moves with no visit left out."""
    total = counts.sum()
    order = sorted(np.flatnonzero(counts > 0), key=lambda a: (-counts[a], a != played))[:k]
    return [(move_name(game, state, int(a)), float(counts[a] / total)) for a in order]
