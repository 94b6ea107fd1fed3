"""Game rules, the gymnasium wrapper, the search on won and lost positions, the arena's bookkeeping."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from apps.rl.arena import play_match
from apps.rl.env import BoardGameEnv
from apps.rl.games import make_game
from apps.rl.mcts import SearchSettings, search
from apps.rl.players import AlphaBetaPlayer, PerfectPlayer, RandomPlayer, WinBlockPlayer


def uniform(game):
    """An evaluator that knows nothing: uniform priors over legal moves, value 0."""
    def evaluate(states):
        masks = np.stack([game.legal_mask(s) for s in states]).astype(float)
        return masks / masks.sum(1, keepdims=True).clip(min=1), np.zeros(len(states))
    return evaluate


def play_all(game, moves, state=None):
    state = state or game.initial()
    for m in moves:
        state = game.play(state, game.parse_action(state, m))
    return state


def test_tictactoe_rules():
    g = make_game("tictactoe")
    s = play_all(g, ["a3", "a2", "b3", "b2"])
    before = s.cells.copy()
    won = g.play(s, g.parse_action(s, "c3"))
    assert np.array_equal(s.cells, before)  # play never changes its argument
    assert g.outcome(won) == -1.0 and not g.legal_mask(won).any()  # the side to move (O) has lost
    draw = play_all(g, ["b2", "a1", "c3", "a3", "a2", "c2", "b1", "b3", "c1"])
    assert g.outcome(draw) == 0.0
    with pytest.raises(ValueError, match="already taken"):
        g.parse_action(s, "a3")
    with pytest.raises(ValueError, match="column a-c and a row 1-3"):
        g.parse_action(s, "d9")


def test_connect4_rules():
    g = make_game("connect4")
    s = play_all(g, ["1", "2", "1", "2", "1", "2"])
    assert g.outcome(s) is None
    won = g.play(s, g.parse_action(s, "1"))
    assert g.outcome(won) == -1.0
    diag = play_all(g, ["1", "2", "2", "3", "3", "4", "3", "4", "4", "7", "4"])
    assert g.outcome(diag) == -1.0 and g.to_play(diag) == 1  # red's diagonal: yellow, to move, has lost
    full = play_all(g, ["1"] * 6)
    with pytest.raises(ValueError, match="column 1 is full"):
        g.parse_action(full, "1")
    with pytest.raises(ValueError, match="number from 1 to 7"):
        g.parse_action(full, "x")


@pytest.mark.parametrize("name", ["tictactoe", "connect4"])
def test_gymnasium_env(name):
    env = BoardGameEnv(name)
    check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape and info["action_mask"].sum() == env.action_space.n
    _, reward, terminated, _, info = env.step(int(np.flatnonzero(info["action_mask"])[0]))
    assert reward == 0.0 and not terminated and info["to_play"] == 1
    env.step(0 if name == "connect4" else 8)
    full_mask = info["action_mask"]
    if name == "tictactoe":
        _, reward, terminated, _, info = env.step(8)  # taken: illegal, the mover loses
        assert reward == -1.0 and terminated and info["illegal"]
    assert full_mask.dtype == np.int8


@pytest.mark.parametrize("moves, to_move", [(["a3", "a2", "b3", "b2"], 0), (["a3", "a2", "b3", "b2", "a1"], 1)])
def test_search_wins_in_one_for_either_colour(moves, to_move):
    g = make_game("tictactoe")
    s = play_all(g, moves)
    assert g.to_play(s) == to_move
    counts, values = search(g, [s], uniform(g), SearchSettings(simulations=200, noise_fraction=0.0))
    best = int(counts[0].argmax())
    assert g.outcome(g.play(s, best)) == -1.0  # the chosen move wins
    assert values[0] > 0.5  # and the side to move knows it is winning


def test_search_blocks_a_loss_in_one():
    g = make_game("connect4")
    s = play_all(g, ["1", "7", "1", "7", "1"])  # red threatens column 1; yellow to move
    counts, _ = search(g, [s], uniform(g), SearchSettings(simulations=300, noise_fraction=0.0))
    assert int(counts[0].argmax()) == 0


def test_arena_bookkeeping():
    g = make_game("tictactoe")
    perfect = PerfectPlayer(g, seed=1)
    draws = play_match(g, perfect, PerfectPlayer(g, seed=2), 10)
    assert (draws.wins, draws.draws, draws.losses) == (0, 10, 0) and draws.elo()[0] == 0
    vs_random = play_match(g, perfect, RandomPlayer(g, 3), 40)
    assert vs_random.losses == 0 and vs_random.wins > 20 and vs_random.elo()[0] > 200
    blocker = play_match(g, WinBlockPlayer(g, 4), RandomPlayer(g, 5), 60)
    assert blocker.score > 0.7
    c4 = make_game("connect4")
    deep = play_match(c4, AlphaBetaPlayer(c4, 2, seed=6), RandomPlayer(c4, 7), 10)
    assert deep.wins >= 9


def test_human_gets_a_message_and_another_try():
    from apps.rl.players import HumanPlayer

    g = make_game("connect4")
    s = play_all(g, ["4"] * 6)
    answers, shown = iter(["9", "4", "five", "3"]), []
    human = HumanPlayer(g, read=lambda prompt: next(answers), write=shown.append)
    assert human.choose([s]) == [2]
    messages = [m for m in shown if m.startswith("  ")]
    assert len(messages) == 3 and "column 4 is full" in messages[1] and "number from 1 to 7" in messages[2]
    with pytest.raises(SystemExit, match="no more input"):
        HumanPlayer(g, read=lambda prompt: (_ for _ in ()).throw(EOFError), write=shown.append).choose([s])
