"""`zoo perf rl`: the workloads build, every contender does its work and counts positions."""

from apps.rl import perf
from apps.rl.perf import Job, workload


def test_every_contender_times_positions():
    w = workload(Job("tictactoe_quick.yaml", games=3, in_flight=2, quick_games=3, quick_in_flight=2,
                     reference_games=1, goal_lockstep=2.5), quick=True)
    assert [p.unit for p in w.pairs] == ["positions"] * 3 and w.pairs[0].goal == 2.5
    assert w.facts["evaluations_per_position"] > 0 and w.facts["flops_per_forward"] > 0
    for pair in w.pairs:
        for contender in (pair.ours, pair.peer):
            timed = contender.run()
            assert timed.seconds > 0 and timed.items > 0
            assert contender.flops_per_item > 0  # MFU is reported for every side
    assert len(perf.JOBS) == 2  # Connect Four and chess


def test_frozen_and_bf16_evaluators_agree_with_the_plain_one():
    import numpy as np
    import torch

    from apps.rl.games import make_game
    from apps.rl.network import Evaluator, build_network

    g = make_game("connect4")
    torch.manual_seed(0)
    model = build_network(g, "resnet_small", {"depth": 1, "width": 16}).eval()
    states = [g.initial(), g.play(g.initial(), 3), g.play(g.play(g.initial(), 3), 0)]
    p, v = Evaluator(g, model)(states)
    for kwargs, tol in (({"freeze": True}, 1e-4), ({"precision": "bf16"}, 3e-2),
                        ({"precision": "bf16", "freeze": True}, 3e-2)):
        evaluate = Evaluator(g, model, **kwargs)
        for batch in (states, states[:1]):  # the trace holds for another batch size
            q, w = evaluate(batch)
            assert q.dtype == np.float32 and np.allclose(q, p[:len(batch)], atol=tol)
            assert np.allclose(w, v[:len(batch)], atol=tol)
    assert next(model.parameters()).dtype == torch.float32  # the bf16 copy leaves the model alone
