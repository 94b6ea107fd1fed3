"""The self-play tab of `zoo serve`: tic-tac-toe, Connect Four or chess against a run's agent, by clicking.

The agent is what ``zoo rl play`` plays: the run's network (``cli.load_model_for``, checked against the game)
behind the app's PUCT search without root noise (``mcts.search``), the most visited move played. After each of
its moves the page shows its search value for itself and its top moves. A game lives in a ``Match`` kept in
the browser session's ``gr.State``; the handlers are plain functions returning (match, status text), so tests
call them directly.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import torch

from zoo.errors import one_line
from zoo.runtime.serve import loaded, no_run_message
from zoo.trust.reader import read_data

from . import serve_boards as boards
from .games import Game, make_game
from .mcts import SearchSettings, pick, search

GAMES = ("tictactoe", "connect4", "chess")  # the games a run's settings.json may name, in the radio's order
SIMULATIONS = {"tictactoe": 100, "connect4": 100, "chess": 64}  # the agent's default search per move
MAX_SIMULATIONS = 800
QUICK = "zoo rl train -c apps/rl/configs/tictactoe_quick.yaml"


@dataclasses.dataclass(frozen=True)
class Match:
    """One game in progress (or finished) against a run's agent."""

    run: str
    game: str  # a name of GAMES
    state: Any  # the game's state (immutable: every move makes a new one)
    human: int  # the person's side: 0 moves first (X, red, white), 1 second
    last: Any = None  # the last move, for the board drawing (a chess.Move, a column)
    said: str = ""  # the person's last move, for the status line


def read_game(run: Path) -> str | None:
    """The game a run was trained on, from its settings.json (as apps/rl/train.py writes it); None when the
    file is missing, unreadable or names no known game."""
    try:  # bounded plain JSON, no link out of the run (zoo.trust.reader): a bomb answers at once, as "no game"
        settings = read_data(Path(run) / "settings.json", root=run)
    except (OSError, ValueError):
        return None
    game = settings.get("game") if isinstance(settings, dict) else None
    return game if game in GAMES else None


def group_runs(runs: Sequence[Path]) -> dict[str, list[str]]:
    """The runs of each game (newest first, as given), in the order of GAMES; games without a run left out."""
    groups: dict[str, list[str]] = {}
    for run in runs:
        game = read_game(run)
        if game is not None:
            groups.setdefault(game, []).append(str(run))
    return {g: groups[g] for g in GAMES if g in groups}


@functools.lru_cache(maxsize=4)
def load_agent(run: str) -> tuple[Game, Any]:
    """The run's game and its network as the search's evaluator (states -> priors (B, A), values (B,)), loaded
    once per run folder."""
    from .cli import load_model_for
    from .network import Evaluator

    name = read_game(Path(run))
    if name is None:
        raise ValueError(f"{run}/settings.json does not name a game ({', '.join(GAMES)})")
    game = make_game(name)
    return game, Evaluator(game, load_model_for(str(Path(run) / "model"), game))


def agent_for(run: str) -> tuple[Game, Any]:
    """``load_agent``, with a run that cannot be loaded as a message in the page."""
    return loaded(load_agent, run, "self-play")


def checked_simulations(simulations) -> int:
    """The slider's value as a whole number of simulations, or a gr.Error saying the range."""
    try:
        n = int(round(float(simulations)))
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= MAX_SIMULATIONS:
        raise gr.Error(f"Search simulations must be a number from 1 to {MAX_SIMULATIONS}, "
                       f"got {simulations!r}.")
    return n


def new_game(run: str, side: str, simulations) -> tuple[Match, str]:
    """A fresh game against the run's agent; when the person plays second the agent opens at once."""
    if side not in ("first", "second"):
        raise gr.Error(f"Choose whether you play first or second, got {side!r}.")
    game, _ = agent_for(run)
    match = Match(str(run), game.name, game.initial(), 0 if side == "first" else 1)
    if match.human == 1:
        return agent_reply(match, simulations)
    return match, f"New {boards.LABELS[game.name]} game: {your_turn(game, match)}"


def agent_reply(match: Match, simulations) -> tuple[Match, str]:
    """The agent's move (the most visited of its search, no noise) and the status: what the person just
    played, its move, its value for itself, its top 3 moves; the result when the game is over."""
    game, evaluate = agent_for(match.run)
    settings = SearchSettings(simulations=checked_simulations(simulations), noise_fraction=0.0)
    rng = np.random.default_rng()
    with torch.inference_mode():
        counts, values = search(game, [match.state], evaluate, settings, rng)  # (1, A), (1,)
    action = pick(counts[0], 0, rng)
    name = boards.move_name(game, match.state, action)
    tops = ", ".join(f"{move} {share:.0%}" for move, share in boards.top_moves(game, match.state, counts[0],
                                                                                 action))
    value = float(values[0])
    after = dataclasses.replace(match, state=game.play(match.state, action),
                                last=boards.last_move(game, match.state, action), said="")
    lines = [f"{match.said}The agent played **{name}**.",
             f"Its search ({settings.simulations} simulations) values the position at **{value:+.2f}** for "
             f"itself (win probability {(value + 1) / 2:.0%}); top moves: {tops}."]
    return after, "\n\n".join(lines + [result(game, after) or your_turn(game, after)])


def human_move(match: Match, action: int, simulations) -> tuple[Match, str]:
    """Play the person's (legal) move, then the agent's answer unless the game ended."""
    game, _ = agent_for(match.run)
    said = f"You played **{boards.move_name(game, match.state, action)}**. "
    after = dataclasses.replace(match, state=game.play(match.state, action),
                                last=boards.last_move(game, match.state, action), said=said)
    over = result(game, after)
    return (after, said + over) if over else agent_reply(after, simulations)


def result(game: Game, match: Match) -> str | None:
    """The result line of a finished game (from the person's side), None while it goes on."""
    outcome = game.outcome(match.state)
    if outcome is None:
        return None
    why = boards.end_reason(game, match.state)
    if outcome == 0:
        return f"**Game over: a draw** ({why}). Press *new game* to play again."
    won = game.to_play(match.state) != match.human  # the side to move has lost
    return f"**Game over: {'you win' if won else 'the agent wins'}** ({why}). Press *new game* to play again."


def your_turn(game: Game, match: Match) -> str:
    return f"Your move (you play {boards.SIDES[game.name][match.human]})."


def running(match: Match | None, game_name: str) -> Game:
    """The game of a match waiting for the person's move, or a gr.Error saying why no move can be played."""
    if match is None or match.game != game_name:
        raise gr.Error(f"No {boards.LABELS[game_name]} game is running: press “new game” to start one.")
    game, _ = agent_for(match.run)
    if game.outcome(match.state) is not None:
        raise gr.Error("This game is over; press “new game” to play another.")
    return game


def play_cell(match: Match | None, cell: int, simulations) -> tuple[Match, str]:
    """A click on tic-tac-toe cell ``cell`` (0..8, row-major: the game's action)."""
    game = running(match, "tictactoe")
    marks = boards.cell_marks(match.state)
    if not 0 <= cell < 9 or marks[cell] != boards.EMPTY:
        free = ", ".join(game.action_name(match.state, a) for a in game.legal_actions(match.state))
        raise gr.Error(f"That cell is occupied (by {marks[cell] if 0 <= cell < 9 else '?'}); "
                       f"click an empty one: {free}.")
    return human_move(match, cell, simulations)


def play_column(match: Match | None, column: int, simulations) -> tuple[Match, str]:
    """A click on Connect Four column ``column`` (0..6); the game's parse_action explains a full column."""
    game = running(match, "connect4")
    try:
        action = game.parse_action(match.state, str(column + 1))
    except ValueError as e:
        raise gr.Error(f"{one_line(e)[:1].upper()}{one_line(e)[1:]}.") from None
    return human_move(match, action, simulations)


def play_chess(match: Match | None, chosen: str | None, typed: str | None, simulations) -> tuple[Match, str]:
    """A chess move: the typed one (UCI or SAN) when there is one, else the one chosen in the list."""
    game = running(match, "chess")
    text = (typed or "").strip() or (chosen or "").strip()
    if not text:
        raise gr.Error("No move given: choose one in the list or type it (UCI like e2e4, or SAN like Nf3).")
    try:
        action = game.parse_action(match.state, text)
    except ValueError as e:
        raise gr.Error(f"Illegal move: {one_line(e)}.") from None
    return human_move(match, action, simulations)


# -- the page ------------------------------------------------------------------------------------------------
def view(match: Match | None, status: str, game_name: str) -> list:
    """Every output of a move: the match, the status, the nine cells, the board, the chess list and box."""
    game = make_game(game_name)
    state = match.state if match is not None else game.initial()
    cells = boards.cell_marks(state) if game_name == "tictactoe" else [boards.EMPTY] * 9
    board = boards.board_html(game, state, match.last if match else None, match.human if match else 0)
    moves = boards.legal_san(game, state) if match is not None else []
    return [match, status, *cells, board, gr.Dropdown(choices=moves, value=None), ""]  # board at [11]


def shown(handler, game_name: str):
    """``handler`` (-> match, status) as a Gradio callback returning every output of ``view``."""
    def callback(*args):
        return view(*handler(*args), game_name)
    return callback


def clicked(handler, where: int):
    """``handler(match, where, simulations)`` as a callback of (match, simulations): a board button."""
    def callback(match: Match | None, simulations):
        return handler(match, where, simulations)
    return callback


def title(run: str) -> str:
    return f"**Play against the self-play agent** of the run `{run}`."


def tab(runs: Sequence[Path]) -> None:
    """The self-play tab (zoo.runtime.serve calls it inside an open gr.Tab) for the runs, newest first."""
    groups = group_runs(runs)
    if not groups:
        note = f"\n\n(The runs found have no settings.json naming one of {', '.join(GAMES)}.)" if runs else ""
        gr.Markdown(no_run_message("rl", QUICK) + note)
        return
    first = "tictactoe" if "tictactoe" in groups else next(iter(groups))
    heading = gr.Markdown(title(groups[first][0]))
    with gr.Row():
        game = gr.Radio([(boards.LABELS[g], g) for g in groups], value=first, label="game", elem_id="rl-game")
        side = gr.Radio(["first", "second"], value="first", label="you play", elem_id="rl-side")
        run = gr.Dropdown(groups[first], value=groups[first][0], label="run", elem_id="rl-run")
    sims = gr.Slider(1, MAX_SIMULATIONS, value=SIMULATIONS[first], step=1, label="agent's search simulations",
                     elem_id="rl-simulations")
    new = gr.Button("new game", variant="primary", elem_id="rl-new")
    with gr.Column(visible=first == "tictactoe") as grid:
        cells = []
        for r in range(3):
            with gr.Row():
                cells += [gr.Button(boards.EMPTY, elem_id=f"rl-cell-{3 * r + c}", min_width=60)
                          for c in range(3)]
    with gr.Row(visible=first == "connect4") as columns:
        drops = [gr.Button(f"↓ {c + 1}", elem_id=f"rl-col-{c}", min_width=42) for c in range(7)]
    board = gr.HTML(view(None, "", first)[11], elem_id="rl-board", visible=first != "tictactoe")
    with gr.Row(visible=first == "chess") as chess_row:
        move = gr.Dropdown([], value=None, label="your move (SAN)", elem_id="rl-move")
        typed = gr.Textbox(label="or type it (UCI e2e4 or SAN Nf3)", elem_id="rl-move-text")
        play = gr.Button("play", elem_id="rl-play")
    status = gr.Markdown("Choose a game and press **new game**.", elem_id="rl-status")
    match = gr.State(None)
    outputs = [match, status, *cells, board, move, typed]

    def switch(name: str):
        """Another game: its runs, its default search, its board; no game running."""
        name = name if name in groups else first
        shown_now = view(None, "Press **new game** to start.", name)
        shown_now[11] = gr.HTML(shown_now[11], visible=name != "tictactoe")  # the board: (11,) in view's list
        return [gr.Dropdown(choices=groups[name], value=groups[name][0]), title(groups[name][0]),
                SIMULATIONS[name], gr.Column(visible=name == "tictactoe"), gr.Row(visible=name == "connect4"),
                gr.Row(visible=name == "chess"), *shown_now]

    def start(name: str, chosen_run: str, chosen_side: str, n):
        return view(*new_game(chosen_run, chosen_side, n), name)

    game.change(switch, game, [run, heading, sims, grid, columns, chess_row, *outputs])
    run.change(lambda r, name: [title(r), *view(None, "Press **new game** to start.", name)], [run, game],
               [heading, *outputs])
    new.click(start, [game, run, side, sims], outputs)
    for i, button in enumerate(cells):
        button.click(shown(clicked(play_cell, i), "tictactoe"), [match, sims], outputs)
    for c, button in enumerate(drops):
        button.click(shown(clicked(play_column, c), "connect4"), [match, sims], outputs)
    play.click(shown(play_chess, "chess"), [match, move, typed, sims], outputs)
