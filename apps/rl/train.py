"""AlphaZero-style training, written out plainly: resume -> (self-play -> train -> gate -> evaluate -> save) per
iteration -> final evaluation and the run record.

Every iteration ends with a complete checkpoint folder (``checkpoints/iter_NNNN``: weights, replay window) and
then ``checkpoints/latest.json`` naming it (see ``checkpoints.py``): a run killed at any moment resumes from its last
finished iteration (``zoo rl train -c CONFIG`` again, same ``--name``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightning as L
import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from zoo import model_info, save_pretrained
from zoo.runtime.console import make_console
from zoo.runtime.record import Headline, Machine, RunRecord
from zoo.trust.runfolder import RunFolder, write_text

from .actors import open_backend
from .arena import MatchResult, play_match
from .checkpoints import load_latest, save_iteration
from .checks import check_settings
from .evaluate import evaluate_agent, ladder, plot_elo
from .games import make_game
from .mcts import SearchSettings
from .network import Evaluator, board_kwargs
from .players import NetworkPlayer
from .selfplay import Positions, Schedule, SelfPlayJob
from .task import PolicyValueTask


@dataclass
class Settings:
    game: str = "tictactoe"
    """tictactoe, connect4 or chess."""
    model: str = "resnet_small"
    """A zoo model registered for the `board` kind (resnet_*, cnn_*, transformer_*, lstm_*)."""
    model_kwargs: dict = field(default_factory=dict)
    """Extra arguments for the model (width, depth, ...)."""
    iterations: int = 10
    """Self-play -> training rounds."""
    games_per_iteration: int = 64
    """Self-play games per iteration (split between the workers)."""
    games_in_flight: int = 32
    """Games each worker searches at once (the network's batch); a finished game is replaced by the next at once.
    On a CPU thread a call's fixed cost dominates batches this small, so fewer calls (all of a worker's games at
    once) beat fuller ones; refills pay where a worker has many more games than this."""
    leaves_per_call: int = 1
    """Leaves each self-play tree adds to one network call (virtual loss, ``SearchSettings.leaves_per_call``): 4
    gave Connect Four and chess 1.2-2.6x the positions/s on a CPU thread (fewer calls of a bigger batch); 1, the
    plain search, stays the default for presets that do not ask for it."""
    selfplay_precision: str = "auto"
    """Self-play's forward passes: "fp32", "bf16", or "auto" (bf16 where the machine has fast bf16, else fp32)."""
    simulations: int = 32
    """Root visits per self-play move, counting those the move's subtree kept from the previous search."""
    c_puct: float = 1.5
    """PUCT exploration weight."""
    dirichlet_alpha: float = 0.5
    """Root noise concentration (about 10 / typical number of legal moves)."""
    noise_fraction: float = 0.25
    """Share of root noise in self-play."""
    temperature_moves: int = 4
    """Moves sampled in proportion to visit counts at the start of each game; the rest are the most visited."""
    augment: bool = True
    """Add the board's symmetries of every position (rotations/reflections, mirror for Connect Four)."""
    replay_window: int = 20000
    """Positions kept for training (the most recent)."""
    train_steps: int = 100
    """Gradient steps per iteration."""
    batch_size: int = 128
    """Positions per gradient step."""
    lr: float = 2e-3
    """AdamW learning rate (constant)."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    gate_games: int = 0
    """If > 0: the new network plays the previous one (with search) this many games and is kept only with a score
    of at least gate_score; 0 always keeps it."""
    gate_score: float = 0.55
    """Score the new network needs at the gate."""
    eval_every: int = 2
    """Play the opponent ladder (raw policy) every this many iterations, for the Elo plot."""
    eval_games: int = 20
    """Games per ladder opponent during training."""
    eval_opponents: int = 3
    """How many ladder opponents (weakest first) are played during training; the final evaluation plays all."""
    final_eval_games: int = 100
    """Games per ladder opponent at the end, with the raw policy and with search."""
    eval_simulations: int = 50
    """Simulations per move for the search player in evaluations."""
    workers: int = 2
    """Self-play processes (one torch thread each); 1 plays in the training process. With ``actors: ray``, the
    number of Ray actors (``--num-actors``)."""
    actors: str = "local"
    """Where self-play runs: "local", worker processes on this machine (nothing to install); "ray", Ray actors
    (``pip install 'zoo-suite[scale]'``) that play batches of ``games_in_flight`` games and send each back as it
    ends; a killed actor is restarted and its batches replayed."""
    ray_address: str = ""
    """With ``actors: ray``: the cluster to join ("auto": the one ``ray start --head`` runs on this machine,
    "ray://HEAD:10001": a remote one); "": a local Ray started for the run (one CPU per actor) and stopped after."""
    max_minutes: float = 0.0
    """Stop after the iteration that passes this wall-clock budget (0: no budget)."""
    accelerator: str = "auto"
    """Lightning accelerator for the training steps."""
    seed: int = 0
    """Seed of everything."""
    max_plies: int = 0
    """Chess only: games longer than this are drawn (0: the game's default, 300)."""
    warm_start_pgn: list[str] = field(default_factory=list)
    """PGN files of real games for supervised pre-training before self-play (chess)."""
    warm_start_games: int = 0
    """Games read from the PGN files (0: all)."""
    warm_start_steps: int = 0
    """Gradient steps of pre-training on those games."""
    puzzles: str = ""
    """A lichess puzzle CSV to report the solve rate by rating band at the end (chess)."""
    puzzle_limit: int = 300
    """Puzzles used from that file."""


def search_settings(s: Settings, noise: bool) -> SearchSettings:
    return SearchSettings(s.simulations, s.c_puct, s.dirichlet_alpha, s.noise_fraction if noise else 0.0,
                          leaves_per_call=s.leaves_per_call)


@dataclass
class RunState:
    """What one iteration hands the next, and what a checkpoint restores."""

    replay: Positions | None = None
    """The replay window; None before the first self-play."""
    history: list[dict] = field(default_factory=list)
    """One entry per finished iteration: loss, timings, game counts, gate score, ladder matches."""
    start: int = 0
    """The first iteration still to play."""


def train(s: Settings, run_dir: Path, console: Console | None = None) -> dict:
    """Train by self-play (resuming the run in ``run_dir`` if it has finished iterations); returns its metrics.json."""
    check_settings(s)  # input files and numbers, before any work: a bad puzzle path used to lose the whole run
    console = console or make_console()
    run_dir = RunFolder.claim(run_dir, "run folder").root  # zoo rl train claimed it; a library call claims it here
    write_text(run_dir / "settings.json", json.dumps(asdict(s), indent=2))
    L.seed_everything(s.seed, verbose=False)
    game = make_game(s.game, s.max_plies)
    task = PolicyValueTask(model=s.model, model_kwargs=dict(s.model_kwargs), game_kwargs=board_kwargs(game),
                           lr=s.lr, weight_decay=s.weight_decay, schedule="constant")
    opponents = ladder(game, s.seed)
    state = resume(run_dir, task, console)
    began = time.perf_counter()
    if state.start == 0 and s.warm_start_pgn:  # a fresh run: a resumed one had its warm start already
        warm_start(s, task, console)
    backend = open_backend(s.actors, s.workers, s.games_in_flight, s.ray_address)
    try:
        with progress_bar(console) as progress:
            bar = progress.add_task(f"{s.game} self-play", total=s.iterations, completed=state.start, status="")
            for it in range(state.start, s.iterations):
                state.replay, played = play(s, task, it, backend, state.replay, progress_note(progress, bar))
                champion = snapshot(task) if s.gate_games else None
                entry = {"iteration": it, **train_step(s, task, state.replay), **played}
                entry.update(gate_step(s, task, champion))
                entry.update(evaluate_step(s, game, task, opponents, it))
                state.history.append(entry)
                save_iteration(run_dir, it, task.model, state.replay, state.history)
                progress.update(bar, advance=1, status=status_line(entry))
                if s.max_minutes and (time.perf_counter() - began) / 60 > s.max_minutes:
                    console.print(f"time budget of {s.max_minutes} minutes reached after iteration {it}")
                    break
    finally:
        backend.close()
    return finish(s, run_dir, task, state.history, time.perf_counter() - began, console)


# -- the steps of an iteration, in order ------------------------------------------------------------------------
def resume(run_dir: Path, task: PolicyValueTask, console: Console) -> RunState:
    """The run's last finished iteration, its weights loaded into ``task``; a fresh state when there is none."""
    latest = load_latest(run_dir)
    if latest is None:
        return RunState()
    task.model.load_state_dict(latest["weights"])
    console.print(f"resuming {run_dir} after iteration {latest['iteration']} ({len(latest['replay'])} positions kept)")
    return RunState(latest["replay"], latest["history"], latest["iteration"] + 1)


def play(s: Settings, task: PolicyValueTask, iteration: int, backend, replay: Positions | None,
         note: Callable[[str], None] | None = None) -> tuple[Positions, dict]:
    """Self-play: this iteration's games joined to the replay window (its most recent ``replay_window`` positions
    kept); returns the window and the iteration's self-play numbers (seconds, positions per second, game counts)."""
    start = time.perf_counter()
    new, stats = self_play(s, task, iteration, backend, note)
    seconds = time.perf_counter() - start
    replay = new if replay is None else Positions.concat([replay, new])
    return replay.last(s.replay_window), {"self_play_s": seconds, "positions_per_s": stats["positions"] / seconds,
                                          **stats}


def self_play(s: Settings, task: PolicyValueTask, iteration: int, backend,
              note: Callable[[str], None] | None = None) -> tuple[Positions, dict]:
    """This iteration's games, split into jobs by the backend (``actors.py``) and played there; ``note(text)``
    hears of each job as it comes back."""
    jobs = iteration_jobs(s, iteration, backend.split(s.games_per_iteration))
    returned = []

    def heard(k: int, result) -> None:
        returned.append(k)
        if note:
            note(f"self-play: {len(returned)}/{len(jobs)} of the games back")

    results = backend.play(jobs, task.model, heard)
    stats = {k: sum(r[1][k] for r in results) for k in ("games", "positions", "first_player_wins", "draws",
                                                         "second_player_wins")}
    return Positions.concat([r[0] for r in results]), stats


def iteration_jobs(s: Settings, iteration: int, shares: list[int]) -> list[SelfPlayJob]:
    """The iteration's jobs, one per share of its games, each seeded by the run's seed, the iteration and its
    index."""
    return [SelfPlayJob(s.game, s.max_plies, s.model, s.model_kwargs, n, search_settings(s, noise=True),
                        s.temperature_moves, s.augment, Schedule(in_flight=s.games_in_flight), s.selfplay_precision,
                        seed=s.seed * 100003 + iteration * 101 + k) for k, n in enumerate(shares)]


def train_step(s: Settings, task: PolicyValueTask, replay: Positions) -> dict:
    """``train_steps`` gradient steps on the replay window: the mean loss and the seconds they took."""
    start = time.perf_counter()
    loss = fit_network(task, replay, s)
    return {"loss": loss, "train_s": time.perf_counter() - start}


def gate_step(s: Settings, task: PolicyValueTask, champion: dict | None) -> dict:
    """With ``gate_games``: the new network plays the previous one (``champion``, its weights) and is replaced by it
    when it scores below ``gate_score``; returns the score for the iteration's entry (nothing without a gate)."""
    if champion is None:
        return {}
    score = gate(s, task, champion)
    if score < s.gate_score:
        task.model.load_state_dict(champion)  # the challenger lost: keep the champion
    return {"gate_score": score}


def evaluate_step(s: Settings, game, task: PolicyValueTask, opponents: list, iteration: int) -> dict:
    """Every ``eval_every`` iterations (and after the last): the raw policy against the weakest ``eval_opponents``
    of the ladder, for the Elo plot."""
    if (iteration + 1) % s.eval_every and iteration != s.iterations - 1:
        return {}
    matches = evaluate_agent(game, Evaluator(game, task.model), opponents[:s.eval_opponents], s.eval_games, 0, s.seed)
    return {"matches": [m.as_dict() for m in matches]}


# -- what the steps use -----------------------------------------------------------------------------------------
def fit_network(task: PolicyValueTask, replay: Positions, s: Settings, steps: int | None = None) -> float:
    """``train_steps`` gradient steps on batches drawn from the replay window; returns the mean loss."""
    return fit_arrays(task, (replay.planes, replay.policies, replay.results), s, steps or s.train_steps)


def fit_arrays(task: PolicyValueTask, arrays: tuple, s: Settings, steps: int) -> float:
    """``steps`` gradient steps on random batches of (planes, policies or moves, results) arrays."""
    data = TensorDataset(*(torch.from_numpy(a) for a in arrays))
    sampler = RandomSampler(data, replacement=True, num_samples=steps * s.batch_size)
    trainer = L.Trainer(max_epochs=1, accelerator=s.accelerator, devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    task.train()  # the search left it in eval mode (BatchNorm must see training batches as such)
    trainer.fit(task, train_dataloaders=DataLoader(data, batch_size=s.batch_size, sampler=sampler))
    return float(trainer.callback_metrics.get("train_loss", float("nan")))


def snapshot(task: PolicyValueTask) -> dict:
    """A copy of the network's weights (the champion a gate falls back to)."""
    return {k: v.clone() for k, v in task.model.state_dict().items()}


def gate(s: Settings, task: PolicyValueTask, previous: dict) -> float:
    """Score of the new network against the previous one, both with search, colours alternated."""
    game = make_game(s.game, s.max_plies)
    champion = PolicyValueTask(model=s.model, model_kwargs=dict(s.model_kwargs), game_kwargs=board_kwargs(game))
    champion.model.load_state_dict(previous)
    new = NetworkPlayer(game, Evaluator(game, task.model), s.eval_simulations, seed=s.seed, name="challenger")
    old = NetworkPlayer(game, Evaluator(game, champion.model), s.eval_simulations, seed=s.seed + 1, name="champion")
    return play_match(game, new, old, s.gate_games).score


def warm_start(s: Settings, task: PolicyValueTask, console: Console) -> None:
    """Supervised pre-training on real games: the move played (cross-entropy) and the game's result (MSE)."""
    from .chess_data import read_pgn

    with console.status(f"reading {', '.join(s.warm_start_pgn)}"):
        arrays, stats = read_pgn(s.warm_start_pgn, s.warm_start_games)
    console.print(f"warm start: {stats['games']} games ({stats['skipped']} skipped), {stats['positions']} positions, "
                  f"{s.warm_start_steps} steps")
    start = time.perf_counter()
    loss = fit_arrays(task, arrays, s, s.warm_start_steps)
    console.print(f"warm start done in {time.perf_counter() - start:.0f} s, loss {loss:.3f}")


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), TextColumn("{task.fields[status]}"), console=console)


def progress_note(progress: Progress, bar) -> Callable[[str], None]:
    """A function that shows a line of text in the progress bar's status column."""
    return lambda text: progress.update(bar, status=text)


def status_line(entry: dict) -> str:
    """The progress bar's note on an iteration: loss, self-play speed, ladder scores."""
    return f"loss {entry['loss']:.3f}  {entry['positions_per_s']:.0f} pos/s" + "".join(
        f"  {m['opponent']} {m['score']:.0%}" for m in entry.get("matches", []))


# -- the end of a run -------------------------------------------------------------------------------------------
def finish(s: Settings, run_dir: Path, task: PolicyValueTask, history: list, seconds: float, console: Console) -> dict:
    """Final matches (raw policy and search) against the ladder, the Elo plot, the model folder, the puzzles (chess),
    the run record (metrics.json) and a summary; returns the record as a dict."""
    game = make_game(s.game, s.max_plies)
    evaluate = Evaluator(game, task.model)
    matches = evaluate_agent(game, evaluate, ladder(game, s.seed + 7), s.final_eval_games, s.eval_simulations,
                             seed=s.seed + 7)
    plot = plot_elo(history, run_dir / "plots" / "elo.png", f"{s.game}: raw policy vs the ladder")
    save_pretrained(task.model, run_dir / "model", notes=f"Self-play on {s.game}.", card=model_card(s))
    record = run_record(s, run_dir, task, history, seconds, matches, [str(plot.relative_to(run_dir))] if plot else [])
    if s.puzzles:
        from .chess_data import read_puzzles, solve_rate

        puzzles = solve_rate(NetworkPlayer(game, evaluate, 0, seed=s.seed), read_puzzles(s.puzzles, s.puzzle_limit))
        record.extra["puzzles"] = puzzles
        console.print("puzzles solved (raw policy): " + ", ".join(
            f"{band} {r['solved']}/{r['puzzles']}" for band, r in puzzles.items()))
    path = record.write(run_dir)
    console.print(f"[bold]{s.game}[/bold]: {len(history)} iterations in {seconds / 60:.1f} min")
    for m in matches:
        console.print("  " + m.line())
    if record.timed_out:
        console.print(f"[bold red]timed out[/]: max_minutes ({s.max_minutes}) ended training after {len(history)} of "
                      f"{s.iterations} iterations")
    console.print(f"wrote {path}, {run_dir / 'model'}" + "".join(f", {run_dir / p}" for p in record.plots))
    return record.to_dict()


def model_card(s: Settings) -> dict:
    """The model card's data: self-play (our code's licence), or for chess with a warm start the lichess
    games it learned from (CC0, database.lichess.org)."""
    card = {"task": "reinforcement-learning", "tags": ["reinforcement-learning", "self-play", s.game],
            "license": "mit"}
    if s.game == "chess" and s.warm_start_pgn:
        card.update(datasets=["Lichess/standard-chess-games"], dataset_name="lichess games",
                    license="cc0-1.0")
    return card


def run_record(s: Settings, run_dir: Path, task: PolicyValueTask, history: list, seconds: float,
               matches: list[MatchResult], plots: list[str]) -> RunRecord:
    """The run as every app records it. The headline is the raw policy's mean score over the ladder, the number
    that search does not flatter; self-play's own numbers (matches, speed) go in ``extra``."""
    plays = [h for h in history if h.get("self_play_s")]
    positions_per_s = float(np.mean([h["positions_per_s"] for h in plays])) if plays else 0.0
    raw = {f"score_vs_{m.opponent}": m.score for m in matches if m.player == "network"}
    device = str(task.device)
    return RunRecord(
        app="rl", model=s.model, run=run_dir.name, run_dir=str(run_dir), family=model_info(s.model).family,
        num_parameters=task.model.num_parameters(), device=device, test=raw,
        headline=Headline("score_raw_policy", float(np.mean(list(raw.values()))) if raw else float("nan"), True),
        fit_seconds=seconds, train_samples_per_s=positions_per_s,
        steps=len(history) * s.train_steps + (s.warm_start_steps if s.warm_start_pgn else 0), plots=plots,
        machine=Machine.current("32-true", device),  # fit_arrays trains at Lightning's default precision
        timed_out=len(history) < s.iterations,  # only max_minutes ends the loop early
        extra={"game": s.game, "iterations": len(history), "train_minutes": seconds / 60,
               "positions_per_s": positions_per_s, "matches": [m.as_dict() for m in matches]})
