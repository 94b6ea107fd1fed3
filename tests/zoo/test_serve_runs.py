"""`zoo serve` finds each app's runs: the folders given first (a run's metrics.json names its app by name or by
runs folder), then the newest finished runs; anything else is refused with a message naming the folder."""

import json
import os

import pytest

from zoo.errors import InputError
from zoo.runtime.apps import App
from zoo.runtime.serve import runs_by_app

APPS = {"science/pde": App("science/pde", "", lambda argv: 0, serve=lambda runs: None, folder="pde"),
        "vision": App("vision", "", lambda argv: 0, serve=lambda runs: None, folder="vision"),
        "quiet": App("quiet", "", lambda argv: 0, folder="quiet")}


def finished(runs, folder, name, app, age):
    run = runs / folder / name
    (run / "model").mkdir(parents=True)
    (run / "model" / "config.json").write_text("{}")
    (run / "metrics.json").write_text(json.dumps({"app": app}))
    os.utime(run / "model" / "config.json", (age, age))
    return run


def test_given_runs_first_then_the_newest(tmp_path):
    runs = tmp_path / "runs"
    old = finished(runs, "pde", "old", "pde", 1_000)
    new = finished(runs, "pde", "new", "pde", 2_000)
    given = finished(tmp_path / "elsewhere", "pde", "mine", "pde", 500)  # "pde": the folder, as runs record it
    (runs / "pde" / "unfinished").mkdir()
    chosen = runs_by_app(APPS, [given], runs)
    assert chosen == {"science/pde": [given, new, old], "vision": []}  # an app without a page gets no tab


def test_what_is_not_a_run_of_a_served_app_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a finished run"):
        runs_by_app(APPS, [tmp_path / "nothing"], tmp_path)
    quiet = finished(tmp_path, "quiet", "q", "quiet", 1)
    with pytest.raises(InputError, match="made by 'quiet', which has no page"):
        runs_by_app(APPS, [quiet], tmp_path)
    (quiet / "metrics.json").write_text("not json")
    with pytest.raises(InputError, match="cannot tell which app"):
        runs_by_app(APPS, [quiet], tmp_path)
