"""`zoo perf vision` on the digits (always there): the workload builds, each contender trains its window of
steps through the app's own Trainer set-up or the plain loop, and the race to a validation accuracy is reported."""

import math

from apps.vision import perf


def test_training_loop_workload_times_both_loops_and_races_them(monkeypatch):
    monkeypatch.setattr(perf, "preset_file", lambda preset: f"digits_{preset}.yaml")
    (workload,) = perf.workloads(quick=True)
    assert workload.name == "training loop (digits CNN)"
    names = [(p.ours.name, p.peer.name) for p in workload.pairs]
    assert names[0] == ("ZooTask + Trainer", "plain PyTorch loop")
    assert names[1][1] == "digits_quick before: 32-true, 40 epochs"  # no earlier epochs recorded for the digits
    facts = workload.facts
    trainings = 10 / (facts["epochs"] * facts["steps_per_epoch"])  # the window's share of one whole training
    for pair, items in zip(workload.pairs, (10, trainings)):
        for contender in (pair.ours, pair.peer):
            timed = contender.run()
            assert timed.items == items and 0 < timed.seconds < 60
            assert contender.flops_per_item * timed.items > 1e6  # the digits CNN's steps: millions of FLOPs
    assert facts["preset"] == "digits_quick.yaml" and facts["precision"] in ("bf16-mixed", "32-true")
    assert facts["epochs"] == facts["epochs_before"] == 40
    for side in ("ours", "plain"):
        assert math.isfinite(facts[f"{side}_seconds_to_target"]), facts
        assert facts[f"{side}_val_acc_at_target"] >= facts["target_val_acc"]
