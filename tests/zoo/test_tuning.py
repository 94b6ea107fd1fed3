"""Learning-rate search on a short fixed budget (chosen by the sweep's own code), and Lightning's LR finder."""

import math

import pytest

from zoo.lessons.sweep import aggregate, best_of, lr_at_edge
from zoo.lessons.tuning import lr_find, lr_grid, lr_search, parse_grid
from zoo.task import ClassificationTask

from .helpers import BlobsDataModule


def make_task(lr: float) -> ClassificationTask:
    return ClassificationTask(model="cnn_small", model_kwargs=dict(in_channels=1, num_outputs=3, norm="none"),
                              lr=lr, schedule="constant", optimizer="sgd", momentum=0.0)


def test_grids():
    assert lr_grid(1e-4, 1e-1, 4) == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])
    assert parse_grid("1e-4:1e-1:7:log") == pytest.approx(lr_grid(1e-4, 1e-1, 7))
    assert parse_grid("0.1:0.3:3:lin") == pytest.approx([0.1, 0.2, 0.3])
    assert parse_grid("32,128") == [32.0, 128.0]
    with pytest.raises(ValueError, match="LOW:HIGH:N"):
        parse_grid("1:2:3:cubic")


def test_lr_search_prefers_a_learning_rate_that_learns():
    # plain SGD, 8 steps: 1e-5 barely moves, 100 diverges; the middle of the grid must win
    result = lr_search(make_task, BlobsDataModule(batch_size=8), lrs=[1e-5, 1e-2, 1e2], max_epochs=1,
                       accelerator="cpu")
    assert result.best_lr == 1e-2 and not result.at_edge
    assert result.scores[1] < result.scores[0]
    assert not math.isfinite(result.scores[2]) or result.scores[2] > result.scores[1]
    assert "<- best" in result.table()


def test_lr_search_reports_an_edge():
    result = lr_search(make_task, BlobsDataModule(batch_size=8), lrs=[1e-6, 1e-5], max_epochs=1, accelerator="cpu")
    assert result.at_edge and "edge" in result.table()


def test_the_sweep_and_lr_search_choose_alike():
    def rows(scores):
        return [{"lr": lr, "batch_size": None, "schedule": None, "seed": 0, "score": s} for lr, s in scores]

    key, best = best_of(aggregate(rows([(1e-3, 0.5), (1e-2, math.nan), (1e-1, 0.7)])), higher=True)
    assert key[0] == 1e-1 and best["mean"] == 0.7  # a diverged rate never wins
    assert best_of(aggregate(rows([(1e-3, 0.5), (1e-1, 0.7)])), higher=False)[0][0] == 1e-3
    assert best_of(aggregate(rows([(1e-3, math.nan)])), higher=True) == (None, None)
    assert lr_at_edge(1e-1, [1e-2, 1e-3, 1e-1]) and not lr_at_edge(1e-2, [1e-3, 1e-2, 1e-1])
    assert not lr_at_edge(None, [1e-3, 1e-2]) and not lr_at_edge(1e-3, [1e-3])


def test_lr_finder_suggests_a_rate():
    suggestion = lr_find(make_task(1e-3), BlobsDataModule(batch_size=8), num_training=30, max_epochs=10,
                         accelerator="cpu")
    assert suggestion is not None and 1e-6 <= suggestion <= 1.0
