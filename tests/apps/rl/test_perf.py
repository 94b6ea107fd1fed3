"""`zoo perf rl`: the workloads build, every contender does its work and counts positions."""

from apps.rl import perf
from apps.rl.perf import Job, workload


def test_every_contender_times_positions():
    w = workload(Job("tictactoe_quick.yaml", today_games=3, quick_games=3, reference_games=1, goal_today=2.5),
                 quick=True)
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


def test_todays_chess_is_the_same_game():
    """The peer's chess (ac605c8's game code) plays by the same rules, moves and planes as ours."""
    import numpy as np

    from apps.rl.games import make_game
    from apps.rl.perf_reference_chess import TodayChess

    ours, today = make_game("chess", 40), TodayChess(40)
    a, b, rng = ours.initial(), today.initial(), np.random.default_rng(0)
    while ours.outcome(a) is None:
        assert today.outcome(b) is None
        assert np.array_equal(ours.legal_mask(a), today.legal_mask(b))
        assert np.array_equal(ours.planes(a), today.planes(b))
        action = int(rng.choice(ours.legal_actions(a)))
        a, b = ours.play(a, action), today.play(b, action)
    assert today.outcome(b) == ours.outcome(a)
