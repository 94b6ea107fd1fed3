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
