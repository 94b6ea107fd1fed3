"""The self-play loop on a tiny budget: labels, checkpoints, resume after a crash, the CLI."""

import json

import numpy as np
import pytest

from apps.rl import train as train_mod
from apps.rl.app import APP
from apps.rl.checks import check_settings
from apps.rl.cli import CONFIGS
from apps.rl.games import make_game
from apps.rl.mcts import SearchSettings
from apps.rl.selfplay import play_games
from apps.rl.train import Settings, load_latest, train
from zoo.errors import InputError

from .crash import fit_crashing_on

TINY = dict(game="tictactoe", model="resnet_small", model_kwargs={"depth": 1, "width": 8}, games_per_iteration=4,
            simulations=4, train_steps=2, batch_size=16, eval_every=1, eval_games=2, final_eval_games=2,
            eval_simulations=2, workers=1)


def test_self_play_labels_the_winner_plus_one():
    g = make_game("tictactoe")

    def uniform(states):
        masks = np.stack([g.legal_mask(s) for s in states]).astype(float)
        return masks / masks.sum(1, keepdims=True), np.zeros(len(states))

    positions, stats = play_games(g, uniform, 6, SearchSettings(simulations=4), 9, False, np.random.default_rng(0))
    assert stats["games"] == 6 and len(positions) == stats["positions"]
    assert np.allclose(positions.policies.sum(1), 1) and set(np.unique(positions.results)) <= {-1.0, 0.0, 1.0}
    for seed in range(5):  # one game at a time: in a decisive game the labels alternate, the winner's last is +1
        one, stats = play_games(g, uniform, 1, SearchSettings(simulations=4), 9, False, np.random.default_rng(seed))
        z = one.results
        if stats["draws"] == 0:
            assert z[-1] == 1.0 and np.all(z[:-1] == -z[1:])
            assert (stats["first_player_wins"] == 1) == (len(z) % 2 == 1)  # X moves last when the game is odd
        augmented, _ = play_games(g, uniform, 1, SearchSettings(simulations=4), 9, True, np.random.default_rng(seed))
        assert len(augmented) == 8 * len(one)  # the 8 symmetries of the square

def test_killed_run_resumes_without_losing_iterations(tmp_path, monkeypatch):
    run = tmp_path / "ttt"
    real_fit = train_mod.fit_network
    monkeypatch.setattr(train_mod, "fit_network", fit_crashing_on(3))
    with pytest.raises(KeyboardInterrupt):
        train(Settings(iterations=4, **TINY), run)
    latest = load_latest(run)
    assert latest["iteration"] == 1 and len(latest["history"]) == 2
    assert sorted(p.name for p in (run / "checkpoints").glob("iter_*")) == ["iter_0000", "iter_0001"]
    monkeypatch.setattr(train_mod, "fit_network", real_fit)
    result = train(Settings(iterations=4, **TINY), run)
    history = json.loads((run / "checkpoints" / "latest.json").read_text())["history"]
    assert [h["iteration"] for h in history] == [0, 1, 2, 3]
    assert result["iterations"] == 4 and (run / "plots" / "elo.png").is_file() and result["timed_out"] is False
    assert {m["opponent"] for m in result["matches"]} == {"random", "win-block", "perfect"}


def test_a_run_its_time_cap_stopped_is_recorded_as_timed_out(tmp_path, capsys):
    result = train(Settings(iterations=3, max_minutes=1e-6, **TINY), tmp_path / "capped")
    assert result["timed_out"] is True and result["iterations"] == 1
    assert "timed out: max_minutes" in capsys.readouterr().out


def test_cli_train_and_arena(tmp_path, capsys):
    args = ["train", "--runs_dir", str(tmp_path), "--name", "t", "--iterations", "1"]
    for k, v in TINY.items():
        args += [f"--{k}", json.dumps(v) if isinstance(v, dict) else str(v)]
    assert APP.main(args) == 0
    model = tmp_path / "rl" / "t" / "model"
    capsys.readouterr()
    assert APP.main(["arena", "tictactoe", f"{model}+mcts4", "random", "--games", "4"]) == 0
    assert "in 4 games" in capsys.readouterr().out
    with pytest.raises(ValueError, match="unknown player 'nobody'"):
        APP.main(["arena", "tictactoe", "nobody", "random"])


def refuse_to_train(*args, **kwargs):
    raise AssertionError("training started before the settings were checked")


@pytest.mark.parametrize("changes, problem", [
    ({"game": "chess", "puzzles": "nowhere/puzzles.csv"}, "puzzles file nowhere/puzzles.csv does not exist"),
    ({"game": "chess", "puzzles": "{tmp}"}, "puzzles file .* is not a file"),
    ({"game": "chess", "puzzles": "{tmp}/bad.csv"}, r"bad\.csv line 2: bad FEN 'not a fen'"),
    ({"game": "chess", "warm_start_pgn": ["nowhere.pgn"], "warm_start_steps": 5},
     "warm_start_pgn file nowhere.pgn does not exist"),
    ({"game": "chess", "warm_start_pgn": ["{tmp}/bad.csv"]}, "warm_start_steps is 0"),
    ({"puzzles": "{tmp}/bad.csv"}, "setting puzzles is for chess, but the game is tictactoe"),
    ({"eval_every": 0}, "setting eval_every must be at least 1, got 0"),
    ({"final_eval_games": 0}, "setting final_eval_games must be at least 1"),
])
def test_bad_settings_stop_the_run_before_it_starts(tmp_path, monkeypatch, changes, problem):
    (tmp_path / "bad.csv").write_text("FEN,Moves,Rating\nnot a fen,e2e4 e7e5,1000\n")
    changes = {k: [p.format(tmp=tmp_path) for p in v] if isinstance(v, list) else
               v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in changes.items()}
    monkeypatch.setattr(train_mod, "PolicyValueTask", refuse_to_train)
    with pytest.raises((InputError, FileNotFoundError), match=problem):
        train(Settings(**{**TINY, **changes}), tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(not (CONFIGS.parents[2].parent / "shared" / "data" / "chess").is_dir(),
                    reason="../shared/data/chess is not present")
def test_the_chess_preset_passes_its_checks(monkeypatch):
    import yaml

    monkeypatch.chdir(CONFIGS.parents[2])  # the preset's paths are relative to the repository
    check_settings(Settings(**yaml.safe_load((CONFIGS / "chess_quick.yaml").read_text())))
