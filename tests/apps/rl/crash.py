"""A killed driver, for the resume tests: self-play training that stops in the middle of an iteration."""

from apps.rl import train as train_mod


def fit_crashing_on(call: int):
    """A stand-in for ``train.fit_network`` that raises ``KeyboardInterrupt`` on its ``call``-th call (after that
    iteration's self-play, before its checkpoint) and trains normally otherwise."""
    real_fit, calls = train_mod.fit_network, {"n": 0}

    def fit(task, replay, s):
        calls["n"] += 1
        if calls["n"] == call:
            raise KeyboardInterrupt("killed")
        return real_fit(task, replay, s)

    return fit
