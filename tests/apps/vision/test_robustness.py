"""Corruptions and attacks: severity 0 is the identity, corruptions are seeded, PGD is at least as strong as FGSM."""

import pytest
import torch

from apps.vision.robustness import (
    CORRUPTIONS,
    accuracy,
    adversarial_accuracy,
    cached_corruption,
    corrupt,
    fgsm,
    pgd,
)


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_severity_zero_is_identity_and_severity_hurts_more(kind):
    x = torch.rand(6, 1, 28, 28)
    assert torch.equal(corrupt(x, kind, 0), x)
    diffs = [(corrupt(x, kind, s) - x).abs().mean().item() for s in (1, 3, 5)]
    assert 0 < diffs[0] and diffs[0] < diffs[2]
    out = corrupt(x, kind, 3)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1


def test_corruptions_are_seeded_and_cached(tmp_path):
    x = torch.rand(4, 3, 32, 32)
    assert torch.equal(corrupt(x, "gaussian_noise", 2, seed=1), corrupt(x, "gaussian_noise", 2, seed=1))
    assert not torch.equal(corrupt(x, "gaussian_noise", 2, seed=1), corrupt(x, "gaussian_noise", 2, seed=2))
    assert torch.equal(corrupt(x, "elastic", 4, seed=3), corrupt(x, "elastic", 4, seed=3))
    first = cached_corruption(x, "jpeg", 3, 0, tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    assert torch.equal(cached_corruption(x, "jpeg", 3, 0, tmp_path), first)


def test_bad_corruption_arguments():
    with pytest.raises(ValueError, match="unknown corruption 'fog'"):
        corrupt(torch.rand(1, 1, 8, 8), "fog", 1)
    with pytest.raises(ValueError, match="severity must be 0..5"):
        corrupt(torch.rand(1, 1, 8, 8), "jpeg", 6)


def test_attacks_stay_in_the_ball(trained_digits_task, digits):
    x, y = digits.test_x[:32], digits.test_y[:32]
    eps = 0.1
    for adv in (fgsm(trained_digits_task, x, y, eps), pgd(trained_digits_task, x, y, eps)):
        assert (adv - x).abs().max() <= eps + 1e-6 and adv.min() >= 0 and adv.max() <= 1


def test_pgd_is_at_most_fgsm_on_a_trained_model(trained_digits_task, digits):
    x, y = digits.test_x, digits.test_y
    clean = accuracy(trained_digits_task, x, y)
    assert clean > 0.9
    for eps in (0.05, 0.1, 0.2):
        f = adversarial_accuracy(trained_digits_task, x, y, eps, "fgsm")
        p = adversarial_accuracy(trained_digits_task, x, y, eps, "pgd", steps=10)
        assert p <= f <= clean, (eps, clean, f, p)
    assert adversarial_accuracy(trained_digits_task, x, y, 0.2, "pgd") < 0.5 * clean  # brittle, as promised
