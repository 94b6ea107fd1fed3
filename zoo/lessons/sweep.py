"""`zoo sweep APP`: learning rate x batch size (x schedule x seed), every combination trained for the same budget.

The course's claims, measured rather than assumed: the learning rate is chosen by a grid in log space; small steps
are slow but accurate, large ones fast but noisy (the overlaid loss curves); learning rate and batch size move
together (the fitted slope of the best learning rate against batch size: 1 is the linear-scaling rule, 0.5 the
square-root rule, 0 no coupling).

The grid is an Optuna study with a ``GridSampler`` in ``<run folder>/study.db`` (SQLite): a killed sweep started
again runs only the missing trials, and several processes can work on one study at once. A running trial records
a heartbeat; when it stops (the process was killed), Optuna fails the trial and queues it again at the same grid
point. The study maximises; the objective is the validation metric, negated when lower is better (the raw value is
each trial's user attribute).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..runtime.apps import Trial
from ..runtime.report import write_json
from ..trust.runfolder import RunFolder, write_text
from .trials import Target, check_supported, lesson_console, loss_curve, mean_pm, read_result

HEARTBEAT_SECONDS = 10  # a running trial writes a heartbeat this often into the study...
GRACE_SECONDS = 30  # ...and counts as dead (its process was killed) once the last one is older than this
MAX_RETRY = 3  # a grid point whose trial died this many times is left failed


@dataclass(frozen=True)
class SweepSpec:
    lrs: list[float]
    batch_sizes: list[int]
    schedules: list[str | None]  # [None]: the preset's schedule
    seeds: list[int]
    budget: tuple[float, str]
    preset: str = "quick"
    config: Path | None = None

    def grid(self) -> list[dict]:
        return [dict(lr=lr, batch_size=bs, schedule=sc, seed=s)
                for lr, bs, sc, s in itertools.product(self.lrs, self.batch_sizes, self.schedules, self.seeds)]

    def validate(self) -> None:
        if not self.lrs or any(not (lr > 0 and math.isfinite(lr)) for lr in self.lrs):
            raise ValueError(f"--lr: learning rates must be positive and finite, got {self.lrs}")
        if not self.batch_sizes or any(b < 1 for b in self.batch_sizes):
            raise ValueError(f"--batch-size: batch sizes must be positive whole numbers, got {self.batch_sizes}")
        if not self.seeds:
            raise ValueError("--seeds must be at least 1")


def _key(params: dict) -> tuple:
    return tuple(params.get(k) for k in ("lr", "batch_size", "schedule", "seed"))


def _trial_for(spec: SweepSpec, params: dict, name: str, runs_dir: Path) -> Trial:
    return Trial(spec.preset, name, runs_dir, config=spec.config, lr=params["lr"], batch_size=params["batch_size"],
                 schedule=params["schedule"], seed=params["seed"], budget=spec.budget, extra_eval=False)


def open_study(out_dir: Path, spec: SweepSpec, storage: str | None = None):
    """The sweep's Optuna study (created or resumed); its sampler walks the grid. ``storage``: an Optuna storage URL
    for a database server shared by several machines (default: SQLite in the run folder).

    Trials record a heartbeat; a trial whose heartbeat is older than ``GRACE_SECONDS`` is failed and queued again
    with its grid point (Optuna's ``RetryHeartbeatStaleTrialCallback``) whenever a sweep process starts a trial."""
    import optuna
    from optuna.exceptions import ExperimentalWarning

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = {"lr": spec.lrs, "batch_size": spec.batch_sizes, "schedule": spec.schedules, "seed": spec.seeds}
    # The sweep's folder is claimed (new, or made by an earlier sweep) before SQLite opens a file in it.
    db = RunFolder.claim(out_dir, "--out").path("study.db")
    if storage is None:
        check_sqlite(db)
    where = f"--storage {shown_url(storage)}" if storage else str(db)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)  # Optuna still marks the heartbeat as experimental
        try:
            rdb = optuna.storages.RDBStorage(
                storage or f"sqlite:///{db}", heartbeat_interval=HEARTBEAT_SECONDS,
                grace_period=GRACE_SECONDS,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY))
            return optuna.create_study(study_name="sweep", storage=rdb, direction="maximize", load_if_exists=True,
                                       sampler=optuna.samplers.GridSampler(space, seed=0))
        except ImportError as e:  # the URL's database driver, imported only now (Optuna wraps the error)
            driver = getattr(e.__cause__ or e, "name", None) or "its driver"
            raise InputError(f"{where}: the database driver {driver} is not installed (PostgreSQL: pip install "
                             "'zoo-suite[scale]', which brings psycopg2)") from None
        except Exception as e:  # a URL SQLAlchemy cannot parse, a database it cannot open or that is not Optuna's
            if not storage_error(e):
                raise
            text = re.split(r"\[SQL:|\(Background on", str(e))[0]  # SQLAlchemy's statement and link: noise here
            raise InputError(f"{where}: not a usable Optuna study database ({type(e).__name__}: "
                             f"{' '.join(text.split())[:200]})") from None


SQLITE_MAGIC = b"SQLite format 3\x00"


@contextlib.contextmanager
def quiet_optuna():
    """Optuna's own log at ERROR while a trial runs: it would print a failed trial's traceback before the error
    reaches the command (which says it in one line; the trial is recorded as failed and retried next time)."""
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


def check_sqlite(db: Path) -> None:
    """A sweep's own ``study.db`` is an SQLite file or not there yet (SQLite itself would answer a file of
    anything else with a traceback from deep inside SQLAlchemy)."""
    if db.is_symlink() or (db.exists() and not db.is_file()):
        raise InputError(f"{db}: not a plain file; a sweep keeps its SQLite study there")
    if db.is_file() and db.stat().st_size:
        with open(db, "rb") as f:
            if f.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                raise InputError(f"{db}: not an SQLite database (a sweep keeps its Optuna study there); move it "
                                 "away or choose another --out")


def shown_url(url: str) -> str:
    """A storage URL without its password (``user:secret@host`` -> ``user:***@host``)."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", str(url))[:120]


def storage_error(error: BaseException) -> bool:
    """Whether ``error`` is the storage's: SQLAlchemy's (bad URL, cannot connect, not a database, wrong schema) or
    Optuna's (a schema of another Optuna version)."""
    module = type(error).__module__ or ""
    return (module.startswith(("sqlalchemy", "sqlite3", "alembic", "optuna"))
            or (isinstance(error, RuntimeError) and "optuna" in str(error).lower()))


def requeue_stale_trials(study) -> None:
    """Fail the trials whose heartbeat stopped (their process was killed); the study's callback queues them again."""
    import optuna
    from optuna.exceptions import ExperimentalWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def grid_status(study, spec: SweepSpec) -> dict[str, list[dict]]:
    """The grid points by the best state of their trials: ``done`` (complete), ``running`` (in a live process, or
    one killed less than the grace period ago), ``queued`` (waiting: a retry), ``failed`` (the trial raised, no retry)
    and ``new`` (no trial yet). ``queued`` and ``new`` are what this process can run."""
    from optuna.trial import TrialState

    rank = {TrialState.COMPLETE: "done", TrialState.RUNNING: "running", TrialState.WAITING: "queued",
            TrialState.FAIL: "failed"}
    order = ["done", "running", "queued", "failed", "new"]
    best: dict[tuple, str] = {}
    for t in study.get_trials(deepcopy=False, states=tuple(rank)):
        state, key = rank[t.state], _key(t.params)
        if order.index(state) < order.index(best.get(key, "new")):
            best[key] = state
    status: dict[str, list[dict]] = {s: [] for s in order}
    for p in spec.grid():
        status[best.get(_key(p), "new")].append(p)
    return status


def runnable(status: dict[str, list[dict]]) -> int:
    return len(status["queued"]) + len(status["new"])


def wait_for_running(study, spec: SweepSpec, console) -> bool:
    """Nothing left to start but some grid points still running: wait until their trials finish or their heartbeat
    goes stale (a killed sweep's trials; they are then queued again). True when a trial is queued to run; False
    when none is running any more, or when they still run after the grace period (a live process elsewhere: its
    results join the study when it finishes)."""
    running = len(grid_status(study, spec)["running"])
    if not running:
        return False
    wait = GRACE_SECONDS + 2 * HEARTBEAT_SECONDS
    console.print(f"{running} trial(s) still marked running: waiting up to {wait} s for them to finish or, if their "
                  f"process was killed, for their heartbeat to go stale ({GRACE_SECONDS} s)")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(min(HEARTBEAT_SECONDS, 1.0))
        requeue_stale_trials(study)
        status = grid_status(study, spec)
        if runnable(status):
            return True
        if not status["running"]:
            return False
    return False


def run_sweep(target: Target, spec: SweepSpec, out_dir: Path, max_trials: int | None = None, console=None,
              storage: str | None = None) -> dict:
    """Run the grid's missing trials (at most ``max_trials`` now), then summarise, plot and report the whole grid."""
    console = console or lesson_console()
    spec.validate()
    check_supported(target.step, _trial_for(spec, spec.grid()[0], "check", out_dir), f"zoo sweep {target.label}")
    out_dir = Path(out_dir)
    study = open_study(out_dir, spec, storage)
    requeue_stale_trials(study)
    status = grid_status(study, spec)
    console.print(f"sweep {target.label}: {len(spec.grid())} trials in the grid, "
                  + ", ".join(f"{len(v)} {k}" for k, v in status.items() if v)
                  + f"; study {'in --storage' if storage else out_dir / 'study.db'}")

    def objective(trial) -> float:
        params = {"lr": trial.suggest_categorical("lr", spec.lrs),
                  "batch_size": trial.suggest_categorical("batch_size", spec.batch_sizes),
                  "schedule": trial.suggest_categorical("schedule", spec.schedules),
                  "seed": trial.suggest_categorical("seed", spec.seeds)}
        name = f"t{trial.number:03d}_lr{params['lr']:.3g}_bs{params['batch_size']}_{params['schedule'] or 'preset'}" \
               f"_s{params['seed']}"
        console.rule(f"[bold]sweep {target.label}: trial {trial.number} ({name})")
        run_dir = target.step.trial(_trial_for(spec, params, name, out_dir / "trials"))
        result = read_result(run_dir)
        higher = result["higher_is_better"]
        score = result["score"]
        trial.set_user_attr("run_dir", str(run_dir))
        trial.set_user_attr("score", score if math.isfinite(score) else None)
        trial.set_user_attr("score_name", result["score_name"])
        trial.set_user_attr("higher_is_better", higher)
        trial.set_user_attr("fit_seconds", result.get("fit_seconds"))
        if not math.isfinite(score):
            trial.set_user_attr("diverged", True)
            return -math.inf
        return score if higher else -score

    ran = 0
    while max_trials is None or ran < max_trials:
        if not runnable(grid_status(study, spec)) and not wait_for_running(study, spec, console):
            break
        with quiet_optuna():  # a refused trial is our one-line error (it propagates), not Optuna's traceback
            study.optimize(objective, n_trials=1)  # a queued retry first, else a grid point nobody has started
        ran += 1
    return summarise(study, spec, target, out_dir, console)


def collect(study, spec: SweepSpec, out_dir: Path) -> list[dict]:
    """One row per finished grid point: parameters, score (nan when diverged), run folder."""
    from optuna.trial import TrialState

    rows = {}
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        rows[_key(t.params)] = {**t.params, "trial": t.number, **trusted_attrs(t.user_attrs, out_dir)}
    return [rows[_key(p)] for p in spec.grid() if _key(p) in rows]


def trusted_attrs(attrs: dict, out_dir: Path) -> dict:
    """A trial's recorded results, read as data: a study database may come from someone else, so a run folder
    outside this sweep's ``trials/`` and values of the wrong type are dropped, never followed or trusted."""
    def number(value):
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    run_dir = attrs.get("run_dir")
    trials = (Path(out_dir) / "trials").resolve()
    if not isinstance(run_dir, str) or trials not in Path(run_dir).resolve().parents:
        run_dir = None
    score = number(attrs.get("score"))
    name = attrs.get("score_name")
    higher = attrs.get("higher_is_better", True)
    return {"run_dir": run_dir, "score": float("nan") if score is None else score,
            "score_name": name if isinstance(name, str) else None,
            "higher_is_better": higher if isinstance(higher, bool) else True,
            "fit_seconds": number(attrs.get("fit_seconds"))}


def aggregate(rows: list[dict]) -> dict[tuple, dict]:
    """(lr, batch_size, schedule) -> mean, std and count of the score over seeds (diverged runs count as nan)."""
    groups: dict[tuple, list[float]] = {}
    for r in rows:
        groups.setdefault((r["lr"], r["batch_size"], r["schedule"]), []).append(r["score"])
    out = {}
    for k, v in groups.items():
        a = np.array(v, dtype=float)
        finite = a[np.isfinite(a)]
        out[k] = {"mean": float(a.mean()) if len(finite) == len(a) else float("nan"),
                  "std": float(a.std()) if len(a) > 1 and len(finite) == len(a) else 0.0, "n": len(a)}
    return out


def best_of(agg: dict[tuple, dict], higher: bool) -> tuple[tuple | None, dict | None]:
    """The setting with the best mean score; diverged settings (nan mean) never win. (None, None) if all diverged."""
    sign = 1.0 if higher else -1.0
    ranked = [(k, v) for k, v in agg.items() if math.isfinite(v["mean"])]
    return max(ranked, key=lambda kv: sign * kv[1]["mean"]) if ranked else (None, None)


def lr_at_edge(lr: float | None, lrs: list[float]) -> bool:
    """The best learning rate is the grid's lowest or highest: the optimum may lie beyond it, so widen the grid."""
    lrs = sorted(lrs)
    return lr is not None and len(lrs) > 1 and lr in (lrs[0], lrs[-1])


def best_lr_slope(rows: list[dict], higher: bool, schedule) -> dict | None:
    """Best learning rate per batch size (per seed), and the fitted slope of log(best lr) against log(batch size):
    mean and spread over seeds. None with fewer than two batch sizes."""
    batch_sizes = sorted({r["batch_size"] for r in rows})
    if len(batch_sizes) < 2:
        return None
    sign = 1.0 if higher else -1.0
    slopes, best_by_seed = [], {}
    for seed in sorted({r["seed"] for r in rows}):
        best = {}
        for bs in batch_sizes:
            cand = [r for r in rows if r["seed"] == seed and r["batch_size"] == bs and r["schedule"] == schedule
                    and math.isfinite(r["score"])]
            if cand:
                best[bs] = max(cand, key=lambda r: sign * r["score"])["lr"]
        if len(best) >= 2:
            xs, ys = np.log(list(best)), np.log(list(best.values()))
            slopes.append(float(np.polyfit(xs, ys, 1)[0]))
        best_by_seed[seed] = best
    if not slopes:
        return None
    return {"slope_mean": float(np.mean(slopes)), "slope_std": float(np.std(slopes)), "slopes": slopes,
            "best_lr_by_seed": {str(s): {str(b): lr for b, lr in v.items()} for s, v in best_by_seed.items()}}


def summarise(study, spec: SweepSpec, target: Target, out_dir: Path, console) -> dict:
    from rich.table import Table

    from .plots import plot_loss_curves, plot_sweep_heatmap

    rows = collect(study, spec, out_dir)
    if not rows:
        console.print("[yellow]no finished trials yet")
        return {"rows": []}
    higher = rows[0]["higher_is_better"]
    metric = rows[0]["score_name"]
    agg = aggregate(rows)
    best_key, best = best_of(agg, higher)
    at_edge = lr_at_edge(best_key[0] if best_key else None, spec.lrs)
    slope = best_lr_slope(rows, higher, best_key[2] if best_key else spec.schedules[0])

    table = Table(title=f"sweep {target.label}: validation {metric} after {_budget(spec.budget)} "
                        f"(mean ± spread over {len(spec.seeds)} seed{'s' * (len(spec.seeds) > 1)})")
    for col in ("lr", "batch size", "schedule", metric, "seeds"):
        table.add_column(col, justify="right")
    for (lr, bs, sc), v in sorted(agg.items(), key=lambda kv: (kv[0][2] or "", kv[0][1], kv[0][0])):
        mark = " <- best" if (lr, bs, sc) == best_key else ""
        table.add_row(f"{lr:.3g}", str(bs), sc or "preset", mean_pm(v) + mark, str(v["n"]))
    console.print(table)

    plots = [plot_sweep_heatmap(agg, spec, metric, out_dir / "plots" / "heatmap.png", best_key),
             plot_loss_curves({(r["lr"], r["batch_size"], r["schedule"], r["seed"]): loss_curve(Path(r["run_dir"]))
                               for r in rows if r["run_dir"]}, out_dir / "plots" / "loss_curves.png")]
    plots = [p for p in plots if p is not None]
    summary = {
        "app": target.label, "metric": metric, "higher_is_better": higher, "budget": _budget(spec.budget),
        "grid": {"lr": spec.lrs, "batch_size": spec.batch_sizes, "schedule": spec.schedules, "seeds": spec.seeds},
        "trials_done": len(rows), "trials_in_grid": len(spec.grid()),
        "best": None if best_key is None else {"lr": best_key[0], "batch_size": best_key[1],
                                                "schedule": best_key[2], **best},
        "best_lr_at_edge": at_edge, "lr_batch_slope": slope,
        "rows": rows, "plots": [str(p.relative_to(out_dir)) for p in plots],
    }
    write_json(out_dir / "sweep.json", summary)
    report = write_sweep_report(summary, out_dir)
    _print_verdict(summary, console)
    console.print(f"wrote: {out_dir / 'sweep.json'}, {report}, " + ", ".join(str(out_dir / p) for p in summary["plots"])
                  + (f", {out_dir / 'study.db'}" if (out_dir / "study.db").exists() else "")
                  + f", trials under {out_dir / 'trials'}/")
    return summary


def _budget(budget: tuple[float, str]) -> str:
    amount, unit = budget
    return f"{amount:g} {unit}"


def _verdict_lines(s: dict) -> list[str]:
    lines = []
    if s["best"]:
        b = s["best"]
        lines.append(f"Best setting: lr {b['lr']:.3g}, batch size {b['batch_size']}, schedule "
                     f"{b['schedule'] or 'preset'}: {s['metric']} {mean_pm(b)}.")
    if s["best_lr_at_edge"]:
        lines.append("The best learning rate is at an edge of the grid: widen the grid on that side before trusting it.")
    elif s["best"]:
        lines.append("The best learning rate is an interior point of the grid.")
    sl = s["lr_batch_slope"]
    if sl:
        lines.append(f"Best learning rate against batch size: fitted log-log slope {sl['slope_mean']:.2f} "
                     f"± {sl['slope_std']:.2f} over {len(sl['slopes'])} seed(s) (linear-scaling rule: 1, "
                     f"square-root rule: 0.5); the grid's lr step limits its resolution.")
    return lines


def _print_verdict(s: dict, console) -> None:
    for line in _verdict_lines(s):
        console.print(line)


def write_sweep_report(s: dict, out_dir: Path) -> Path:
    """``report.md``: the grid's table, the verdicts and the plots."""
    md = [f"# Sweep: {s['app']}", "", f"Validation {s['metric']} after {s['budget']} per trial; "
          f"{s['trials_done']} of {s['trials_in_grid']} trials done.", ""]
    md += _verdict_lines(s) + [""]
    md += ["| lr | batch size | schedule | seed | " + s["metric"] + " |", "|---|---|---|---|---|"]
    md += [f"| {r['lr']:.3g} | {r['batch_size']} | {r['schedule'] or 'preset'} | {r['seed']} | {r['score']:.4g} |"
           for r in s["rows"]]
    md += [""] + [f"![{Path(p).stem}]({p})" for p in s["plots"]]
    return write_text(out_dir / "report.md", "\n".join(md) + "\n")
