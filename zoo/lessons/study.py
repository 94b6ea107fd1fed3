"""`zoo study depth APP`: deeper is better but less stable, measured.

Every (family, depth, initialisation) trains for the same short budget on the app's data with ``GradientHealth``
checking per-layer gradient norms from the first step (at initialisation) on. Depth counts weight layers in the
trunk: a plain CNN of depth 32 has 32 conv layers, a ResNet of depth 32 has 16 residual blocks of two convs each.
Each configuration gets a verdict from its gradients and its loss: exploding, vanishing, trains, or stalls (healthy
gradients, but the loss did not fall by a tenth).
"""

from __future__ import annotations

import math
from pathlib import Path

from .._registry import default_model
from ..callbacks import diagnose, read_gradient_health
from ..init import SCHEMES
from ..runtime.apps import Trial
from ..runtime.report import write_json
from ..trust.runfolder import RunFolder, write_text
from .trials import (
    Target,
    check_families,
    check_supported,
    finished_run,
    lesson_console,
    loss_curve,
    read_result,
)


def depth_kwargs(family: str, depth: int) -> dict:
    """Model arguments for ``depth`` weight layers in the trunk."""
    return {"depth": max(1, depth // 2)} if family == "resnet" else {"depth": depth}


RATIO = 100.0  # first-layer / last-layer gradient norm beyond which the trunk amplifies (or, below 1/RATIO, damps)


def verdict(init_check: str, last_check: str, first_to_last: float, first_loss: float, final_loss: float) -> str:
    """exploding / vanishing (from `diagnose` at init or at the end, or the first layer's gradient norm more than
    RATIO times the last layer's, or less than 1/RATIO), else trains (the loss fell by at least a tenth) or stalls."""
    if "exploding" in (init_check, last_check) or not math.isfinite(final_loss) or first_to_last > RATIO:
        return "exploding"
    if "vanishing" in (init_check, last_check) or first_to_last < 1 / RATIO:
        return "vanishing"
    return "trains" if final_loss < 0.9 * first_loss else "stalls"


def run_depth_study(target: Target, families: list[str], depths: list[int], inits: list[str],
                    budget: tuple[float, str], out_dir: Path, preset: str = "quick", config: Path | None = None,
                    model_kwargs: dict | None = None, console=None) -> dict:
    console = console or lesson_console()
    check_families(families)
    bad = [s for s in inits if s not in SCHEMES]
    if bad:
        raise ValueError(f"unknown init scheme {', '.join(bad)}; choose from {', '.join(SCHEMES)}")
    if not depths or any(d < 1 for d in depths):
        raise ValueError(f"--depths must be positive whole numbers, got {depths}")
    models = {f: default_model(f, target.step.kind) for f in families}
    missing = [f for f, m in models.items() if m is None]
    if missing:
        raise ValueError(f"{target.label} takes `{target.step.kind}` inputs; no model of family "
                         f"{', '.join(missing)} does")
    steps = int(budget[0]) if budget[1] == "steps" else None
    every = max(1, steps // 5) if steps else 10
    probe = Trial(preset, "check", out_dir, model="x", model_kwargs={}, init="default", budget=budget,
                  gradient_health_every=every)
    check_supported(target.step, probe, f"zoo study depth {target.label}")
    RunFolder.claim(out_dir, "--out")  # everything checked: now the folder, new or made by an earlier study

    rows = []
    for family in families:
        for depth in depths:
            for init in inits:
                name = f"{family}_d{depth}_{init}"
                console.rule(f"[bold]depth study {target.label}: {name}")
                run_dir = finished_run(out_dir / "trials", name)
                if run_dir is None:
                    run_dir = target.step.trial(Trial(
                        preset, name, out_dir / "trials", config=config, model=models[family],
                        model_kwargs={**(model_kwargs or {}), **depth_kwargs(family, depth)}, init=init, seed=0,
                        budget=budget, gradient_health_every=every, extra_eval=False))
                rows.append(summarise_run(run_dir, family, depth, init, models[family]))
    return report(rows, target, budget, out_dir, console)


def summarise_run(run_dir: Path, family: str, depth: int, init: str, model: str) -> dict:
    checks = read_gradient_health(run_dir / "gradient_health.json")
    first, last = (checks[0], checks[-1]) if checks else ({"step": 0, "norms": []}, {"step": 0, "norms": []})
    curve = loss_curve(run_dir)
    losses = [v for _, v in curve]
    first_loss = losses[0] if losses else float("nan")
    tail = losses[-3:]
    final_loss = float(sum(tail) / len(tail)) if tail else float("nan")
    init_verdict = diagnose(list(first["norms"]))
    last_verdict = diagnose(list(last["norms"]))
    result = read_result(run_dir)
    norms = [n for _, n in first["norms"]]
    ratio = norms[0] / norms[-1] if norms and norms[-1] else float("nan")
    return {
        "family": family, "depth": depth, "init": init, "model": model, "run_dir": str(run_dir),
        "first_grad_init": norms[0] if norms else float("nan"),
        "last_grad_init": norms[-1] if norms else float("nan"),
        "first_to_last_init": ratio,
        "first_grad_end": last["norms"][0][1] if last["norms"] else float("nan"), "end_step": last["step"],
        "norms_init": norms, "check_init": init_verdict[0], "check_end": last_verdict[0],
        "detail_init": init_verdict[1], "first_loss": first_loss, "final_loss": final_loss,
        "score": result["score"], "score_name": result["score_name"],
        "verdict": verdict(init_verdict[0], last_verdict[0], ratio, first_loss, final_loss),
    }


def report(rows: list[dict], target: Target, budget: tuple[float, str], out_dir: Path, console) -> dict:
    from rich.table import Table

    from .plots import plot_depth_study, plot_norm_profiles

    metric = rows[0]["score_name"] if rows else "score"
    table = Table(title=f"depth study {target.label}: {budget[0]:g} {budget[1]} per configuration")
    cols = ("family", "depth", "init", "g1 init", "g1/gL", "g1 end", "loss 0", "loss", metric, "verdict")
    for c in cols:
        table.add_column(c, justify="left" if c in ("family", "init", "verdict") else "right")
    for r in rows:
        colour = {"trains": "green", "stalls": "yellow"}.get(r["verdict"], "red")
        table.add_row(r["family"], str(r["depth"]), r["init"], f"{r['first_grad_init']:.3g}",
                      f"{r['first_to_last_init']:.3g}", f"{r['first_grad_end']:.3g}", f"{r['first_loss']:.3g}",
                      f"{r['final_loss']:.3g}", f"{r['score']:.4g}", f"[{colour}]{r['verdict']}")
    console.print(table)
    plots = [plot_depth_study(rows, out_dir / "plots" / "depth_study.png")] if rows else []
    deepest = max((r["depth"] for r in rows), default=0)
    profiles = {f"{r['family']} {r['init']}": r["norms_init"] for r in rows if r["depth"] == deepest}
    if profiles:
        plots.append(plot_norm_profiles(profiles, out_dir / "plots" / f"norms_depth{deepest}.png",
                                        f"gradient norm by layer at initialisation, depth {deepest}"))
    summary = {"app": target.label, "budget": f"{budget[0]:g} {budget[1]}", "rows": rows,
               "plots": [str(p.relative_to(out_dir)) for p in plots]}
    write_json(out_dir / "study.json", summary)
    md = [f"# Depth study: {target.label}", "",
          f"{budget[0]:g} {budget[1]} per configuration. g1: gradient norm of the first weight layer at initialisation "
          "(the first step) and at the end; g1/gL: first over last layer at initialisation; loss 0 and loss: the "
          f"training loss at the start and at the end (mean of the last three logged steps); {metric}: validation. "
          f"Verdicts: exploding / vanishing from `zoo.callbacks.diagnose` or g1/gL beyond {RATIO:g} (or below "
          f"1/{RATIO:g}), else trains (loss down by a tenth or more) or stalls.", "",
          "| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
    md += [f"| {r['family']} | {r['depth']} | {r['init']} | {r['first_grad_init']:.3g} | {r['first_to_last_init']:.3g} "
           f"| {r['first_grad_end']:.3g} | {r['first_loss']:.3g} | {r['final_loss']:.3g} | {r['score']:.4g} "
           f"| {r['verdict']} |" for r in rows]
    md += [""] + [f"![{Path(p).stem}]({p})" for p in summary["plots"]]
    write_text(out_dir / "report.md", "\n".join(md) + "\n")
    console.print(f"wrote: {out_dir / 'study.json'}, {out_dir / 'report.md'}, "
                  + ", ".join(str(out_dir / p) for p in summary["plots"]))
    return summary
