"""The self-play tab of `zoo serve` without a browser: games clicked through its handlers against tiny
untrained runs (tic-tac-toe, Connect Four, chess), every agent answer legal, every refused move with its
message, and the tab built inside a page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

gr = pytest.importorskip("gradio", reason="gradio is not installed (pip install 'zoo-suite[serve]')")

from apps.rl import serve  # noqa: E402
from apps.rl.serve_boards import EMPTY, cell_marks  # noqa: E402
from tests.apps.rl.serve_runs import tiny_run  # noqa: E402

SIMS = 16  # enough search to exercise the tree; the network is untrained anyway


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("runs")
    return {game: str(tiny_run(folder, game)) for game in ("tictactoe", "connect4", "chess")}


def filled(state) -> list[int]:
    return [i for i, mark in enumerate(cell_marks(state)) if mark != EMPTY]


def test_the_tiny_run_looks_like_a_real_one(runs):
    from zoo.runtime.record import RunRecord
    from zoo.runtime.serve import app_of

    for game, run in runs.items():
        folder = Path(run)
        for name in ("config.json", "model.safetensors", "README.md"):
            assert (folder / "model" / name).is_file(), name
        assert json.loads((folder / "settings.json").read_text())["game"] == game
        assert app_of(folder) == "rl" and RunRecord.read(folder).app == "rl"


def test_runs_are_grouped_by_game_and_runs_without_a_known_game_left_out(runs, tmp_path):
    odd = tmp_path / "odd"
    shutil.copytree(runs["tictactoe"], odd)
    (odd / "settings.json").write_text(json.dumps({"game": "go"}))
    bare = tmp_path / "bare"
    (bare / "model").mkdir(parents=True)
    given = [Path(runs["chess"]), odd, bare, Path(runs["tictactoe"]), Path(runs["connect4"])]
    assert serve.group_runs(given) == {"tictactoe": [runs["tictactoe"]], "connect4": [runs["connect4"]],
                                       "chess": [runs["chess"]]}


def test_the_agent_is_loaded_once_per_run(runs):
    game, evaluate = serve.load_agent(runs["tictactoe"])
    assert serve.load_agent(runs["tictactoe"])[1] is evaluate and game.name == "tictactoe"
    assert not evaluate.model.training


@pytest.mark.parametrize("side", ["first", "second"])
def test_a_full_tictactoe_game_clicked_through_ends_with_a_legal_result(runs, side):
    rng = np.random.default_rng(1 if side == "first" else 2)
    match, status = serve.new_game(runs["tictactoe"], side, SIMS)
    assert len(filled(match.state)) == (0 if side == "first" else 1)
    if side == "second":
        assert "The agent played" in status and "win probability" in status
    game = serve.make_game("tictactoe")
    while game.outcome(match.state) is None:
        before = filled(match.state)
        cell = int(rng.choice([i for i in range(9) if i not in before]))
        match, status = serve.play_cell(match, cell, SIMS)
        after = filled(match.state)
        assert set(before) < set(after) and cell in after
        added = len(after) - len(before)
        # the agent took a free cell, unless the person's move ended the game
        assert added == 2 or (added == 1 and game.outcome(match.state) is not None)
        if added == 2:
            assert re.search(r"The agent played \*\*[abc][123]\*\*", status), status
            assert re.search(r"top moves: [abc][123] \d+%", status), status
    assert "Game over" in status
    assert re.search(r"you win|the agent wins|a draw", status), status
    outputs = serve.view(match, status, "tictactoe")
    assert outputs[2:11] == cell_marks(match.state)


def test_the_agent_answers_are_always_legal(runs):
    game = serve.make_game("connect4")
    rng = np.random.default_rng(0)
    match, _ = serve.new_game(runs["connect4"], "second", 4)
    for _ in range(30):
        if game.outcome(match.state) is not None:
            break
        before = match.state.heights.copy()
        column = int(rng.choice(game.legal_actions(match.state)))
        match, status = serve.play_column(match, column, 4)
        added = match.state.heights - before
        assert added.sum() in (1, 2) and (match.state.heights <= 6).all()
        assert added[column] >= 1
    assert match.state.heights.sum() >= 2


def test_a_connect_four_move_works_through_the_handlers(runs):
    match, status = serve.new_game(runs["connect4"], "first", SIMS)
    assert "you play red" in status
    match, status = serve.play_column(match, 3, SIMS)
    assert match.state.heights.sum() == 2 and match.state.heights[3] >= 1
    assert "You played **column 4**" in status and re.search(r"The agent played \*\*column [1-7]\*\*", status)
    board = serve.view(match, status, "connect4")[11]
    assert board.count('title="red"') == 1 and board.count('title="yellow"') == 1


def test_a_chess_move_works_through_the_handlers(runs):
    match, status = serve.new_game(runs["chess"], "first", 8)
    outputs = serve.view(match, status, "chess")
    assert "<svg" in outputs[11]
    assert "e4" in outputs[12].choices[0] or ("e4", "e4") in outputs[12].choices
    match, status = serve.play_chess(match, "e4", "", 8)
    board = match.state.board
    assert board.piece_at(28) is not None and board.fullmove_number == 2 and board.turn  # e4, black replied
    assert "You played **e4**" in status and "win probability" in status
    match, status = serve.play_chess(match, "a3", "g1f3", 8)  # the typed move wins over the list
    assert match.state.board.piece_at(21) is not None and match.state.plies == 4
    match, status = serve.new_game(runs["chess"], "second", 8)
    assert not match.state.board.turn and "The agent played" in status  # the agent opened as white


def test_refused_moves_say_why(runs):
    ttt, status = serve.new_game(runs["tictactoe"], "first", SIMS)
    ttt, _ = serve.play_cell(ttt, 4, SIMS)
    taken = filled(ttt.state)
    with pytest.raises(gr.Error, match="occupied"):
        serve.play_cell(ttt, taken[0], SIMS)
    with pytest.raises(gr.Error, match="No tic-tac-toe game is running.*new game"):
        serve.play_cell(None, 0, SIMS)
    c4, _ = serve.new_game(runs["connect4"], "first", SIMS)
    with pytest.raises(gr.Error, match="No Connect Four game is running"):
        serve.play_column(ttt, 0, SIMS)  # a tic-tac-toe match is no Connect Four game
    game = serve.make_game("connect4")
    state = c4.state
    for _ in range(6):
        state = game.play(state, 0)
    with pytest.raises(gr.Error, match="Column 1 is full; open columns: 2, 3"):
        serve.play_column(serve.Match(c4.run, "connect4", state, 0), 0, SIMS)
    chess, _ = serve.new_game(runs["chess"], "first", 8)
    with pytest.raises(gr.Error, match="e2e5 is not legal here"):
        serve.play_chess(chess, None, "e2e5", 8)
    with pytest.raises(gr.Error, match="not a move: write it in UCI"):
        serve.play_chess(chess, None, "hello", 8)
    with pytest.raises(gr.Error, match="No move given"):
        serve.play_chess(chess, None, "  ", 8)
    with pytest.raises(gr.Error, match="No chess game is running"):
        serve.play_chess(None, "e4", "", 8)
    with pytest.raises(gr.Error, match="simulations must be a number from 1"):
        serve.play_cell(serve.new_game(runs["tictactoe"], "first", SIMS)[0], 0, 0)
    with pytest.raises(gr.Error, match="first or second"):
        serve.new_game(runs["tictactoe"], "middle", SIMS)


def test_a_move_after_the_game_ended_is_refused(runs):
    game = serve.make_game("tictactoe")
    state = game.initial()
    for cell in (0, 3, 1, 4, 2):  # X takes the top row
        state = game.play(state, cell)
    over = serve.Match(runs["tictactoe"], "tictactoe", state, 0)
    assert "you win" in serve.result(game, over)
    with pytest.raises(gr.Error, match="game is over"):
        serve.play_cell(over, 8, SIMS)


def test_a_run_that_cannot_be_loaded_is_a_message(runs, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(runs["tictactoe"], broken)
    (broken / "model" / "config.json").write_text("{not json")
    with pytest.raises(gr.Error, match="Cannot load the run"):
        serve.new_game(str(broken), "first", SIMS)
    wrong = tmp_path / "wrong"
    shutil.copytree(runs["tictactoe"], wrong)
    (wrong / "settings.json").write_text(json.dumps({"game": "connect4"}))
    with pytest.raises(gr.Error, match="trained for another game"):
        serve.new_game(str(wrong), "first", SIMS)


def test_the_tab_builds_with_runs_and_without(runs, tmp_path):
    bare = tmp_path / "bare"
    (bare / "model").mkdir(parents=True)
    with gr.Blocks() as page:
        with gr.Tab("x"):
            serve.tab([Path(runs["chess"]), Path(runs["tictactoe"]), Path(runs["connect4"])])
        with gr.Tab("y"):
            serve.tab([Path(runs["chess"])])
        with gr.Tab("z"):
            serve.tab([])
        with gr.Tab("w"):
            serve.tab([bare])
    ids = {getattr(block, "elem_id", None) for block in page.blocks.values()}
    expected = {"rl-game", "rl-side", "rl-simulations", "rl-new", "rl-board", "rl-move", "rl-move-text",
                "rl-play", "rl-status", *(f"rl-cell-{i}" for i in range(9)),
                *(f"rl-col-{c}" for c in range(7))}
    assert expected <= ids
    radios = [b for b in page.blocks.values() if getattr(b, "elem_id", None) == "rl-game"]
    assert radios[0].value == "tictactoe" and radios[1].value == "chess"
    sliders = [b for b in page.blocks.values() if getattr(b, "elem_id", None) == "rl-simulations"]
    assert [s.value for s in sliders] == [100, 64]
    texts = [b.value for b in page.blocks.values() if isinstance(b, gr.Markdown)]
    assert sum("No finished rl run yet" in t for t in texts) == 2
    assert any(runs["tictactoe"] in t for t in texts)
