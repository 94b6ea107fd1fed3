"""Arena player names and the `zoo rl arena` / `zoo rl play` options: every mistake is one clear InputError."""

import re

import pytest

from apps.rl.app import APP
from apps.rl.cli import make_player
from apps.rl.games import make_game
from apps.rl.player_spec import PlayerSpec, parse_player_spec
from apps.rl.players import AlphaBetaPlayer, NetworkPlayer
from zoo import save_pretrained
from zoo.errors import InputError


@pytest.mark.parametrize("spec", ["+mcts-5", "model+mcts", "+mctsabc", "alphabeta-", "alphabeta", "alphabeta-0",
                                  "alphabeta--3", "alphabeta-²", "stockfish-x", "stockfish-", "stockfish-21",
                                  "model+mcts-5", "model+mcts0", "model+mcts5+mcts5", "random+mcts5", "", "  "])
def test_malformed_specs_name_the_spec_and_the_valid_forms(spec):
    with pytest.raises(InputError, match=re.escape(repr(spec)) + r".*valid players: random, win-block, perfect"):
        make_player(spec, make_game("tictactoe"))


@pytest.mark.parametrize("spec, parsed", [
    ("random", PlayerSpec("random")), ("perfect", PlayerSpec("perfect")), ("alphabeta-3", PlayerSpec("alphabeta", 3)),
    ("stockfish", PlayerSpec("stockfish")), ("stockfish-20", PlayerSpec("stockfish", 20)),
    ("runs/rl/t/model+mcts50", PlayerSpec("model", path="runs/rl/t/model", simulations=50)),
    ("stockfish_run/model", PlayerSpec("model", path="stockfish_run/model")),  # a folder, not the engine
])
def test_valid_specs(spec, parsed):
    assert parse_player_spec(spec) == parsed


def test_unknown_names_and_missing_folders_are_told_apart(tmp_path):
    game = make_game("tictactoe")
    assert isinstance(make_player("alphabeta-2", game), AlphaBetaPlayer)
    with pytest.raises(InputError, match="unknown player 'nobody': no player has that name"):
        make_player("nobody", game)
    with pytest.raises(InputError, match=f"no such model folder '{tmp_path}/gone'"):
        make_player(f"{tmp_path}/gone+mcts4", game)


def test_a_model_for_another_game_is_refused(tmp_path):
    from apps.rl.network import build_network

    ttt = make_game("tictactoe")
    save_pretrained(build_network(ttt, "resnet_small", {"depth": 1, "width": 8}), tmp_path / "model")
    assert isinstance(make_player(f"{tmp_path}/model+mcts2", ttt), NetworkPlayer)
    with pytest.raises(InputError, match="num_outputs=9, but connect4 needs 7: it was trained for another game"):
        make_player(f"{tmp_path}/model", make_game("connect4"))


@pytest.mark.parametrize("argv, problem", [
    (["arena", "tictactoe", "random", "random", "--games", "0"], "--games must be at least 1, got 0"),
    (["arena", "tictactoe", "random", "random", "--max-plies", "-1"], "--max-plies must be at least 0"),
    (["arena", "tictactoe", "+mcts-5", "random"], r"bad player '\+mcts-5'"),
    (["play", "tictactoe", "--ckpt", "runs/rl/nothing/model"], "--ckpt runs/rl/nothing/model: no such model folder"),
    (["play", "tictactoe", "--ckpt", "random", "--simulations", "-1"], "--simulations must be at least 0"),
])
def test_cli_options_are_checked_before_playing(argv, problem):
    with pytest.raises(InputError, match=problem):
        APP.main(argv)
