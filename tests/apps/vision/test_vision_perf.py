"""`zoo perf vision` on the digits (always there): the workload builds, each contender trains its window of
steps through the app's own Trainer set-up or the plain loop, and the race to a validation accuracy is reported."""

import math

from apps.vision import perf


def test_training_loop_workload_times_both_loops_and_races_them(monkeypatch):
    monkeypatch.setattr(perf, "preset_file", lambda preset: f"digits_{preset}.yaml")
    (workload,) = perf.workloads(quick=True)
    assert workload.name == "training loop (digits CNN)"
    names = [(p.ours.name, p.peer.name) for p in workload.pairs]
    assert names[0] == ("ZooTask + Trainer", "plain PyTorch loop") and names[1][1] == "ZooTask + Trainer, 32-true"
    for pair in workload.pairs:
        for contender in (pair.ours, pair.peer):
            timed = contender.run()
            assert timed.items == 10 and 0 < timed.seconds < 60
            assert contender.flops_per_item > 1e6  # a training step of the digits CNN: millions of FLOPs
    facts = workload.facts
    assert facts["preset"] == "digits_quick.yaml" and facts["precision"] in ("bf16-mixed", "32-true")
    for side in ("ours", "plain"):
        assert math.isfinite(facts[f"{side}_seconds_to_target"]), facts
        assert facts[f"{side}_val_acc_at_target"] >= facts["target_val_acc"]
