"""Self-play schedules: continuous batching plays the same games as lockstep, and a reused subtree keeps its
visits."""

import hashlib
import zlib

import numpy as np
import pytest

from apps.rl.games import make_game
from apps.rl.mcts import SearchSettings, Tree, run_trees
from apps.rl.selfplay import Schedule, play_games


def hashed(game, calls=None):
    """A deterministic evaluator whose answer for a position depends on that position alone (never on the batch):
    priors and value drawn from a stream seeded by the position's planes. ``calls`` collects the batches."""
    def evaluate(states):
        if calls is not None:
            calls.append(list(states))
        priors, values = np.zeros((len(states), game.num_actions)), np.zeros(len(states))
        for b, s in enumerate(states):
            rng = np.random.default_rng(zlib.crc32(game.planes(s).tobytes()))
            mask = game.legal_mask(s)
            p = rng.random(game.num_actions) * mask
            priors[b] = p / p.sum()
            values[b] = rng.uniform(-0.9, 0.9)
        return priors, values
    return evaluate


@pytest.mark.parametrize("name", ["tictactoe", "connect4"])
@pytest.mark.parametrize("reuse", [True, False])
def test_continuous_batching_plays_the_same_games_as_lockstep(name, reuse):
    g = make_game(name)
    settings = SearchSettings(simulations=12, dirichlet_alpha=1.0)
    lockstep_calls, continuous_calls = [], []
    a, stats_a = play_games(g, hashed(g, lockstep_calls), 9, settings, 4, False, 7,
                            Schedule("lockstep", reuse=reuse, cache=0))
    b, stats_b = play_games(g, hashed(g, continuous_calls), 9, settings, 4, False, 7,
                            Schedule("continuous", in_flight=3, reuse=reuse, cache=0))
    assert np.array_equal(a.planes, b.planes) and np.array_equal(a.policies, b.policies)
    assert np.array_equal(a.results, b.results)
    assert stats_a["evaluations"] == stats_b["evaluations"]  # the same work, in other batches
    assert max(map(len, continuous_calls)) == 3 and max(map(len, lockstep_calls)) == 9
    c, _ = play_games(g, hashed(g), 9, settings, 4, False, 8, Schedule("continuous", in_flight=3, reuse=reuse))
    assert not np.array_equal(a.policies, c.policies) or not np.array_equal(a.planes, c.planes)  # seed matters


def test_continuous_batching_keeps_the_batch_full_until_the_last_games_start():
    g = make_game("connect4")
    calls = []
    play_games(g, hashed(g, calls), 12, SearchSettings(simulations=8), 2, False, 0, Schedule(in_flight=4, cache=0))
    starts = [i for i, batch in enumerate(calls) for s in batch if s.heights.sum() == 0]  # a new game's root
    assert len(starts) == 12 and starts[:4] == [0, 0, 0, 0]
    assert all(len(batch) == 4 for batch in calls[:starts[-1] + 1])  # full until the last game has started


@pytest.mark.parametrize("capacity", [100_000, 5])
def test_the_answer_cache_changes_no_game_and_saves_evaluations(capacity):
    g = make_game("connect4")
    settings = SearchSettings(simulations=16)
    plain, stats = play_games(g, hashed(g), 8, settings, 3, False, 1, Schedule(in_flight=4, cache=0))
    cached, cached_stats = play_games(g, hashed(g), 8, settings, 3, False, 1, Schedule(in_flight=4, cache=capacity))
    assert np.array_equal(plain.planes, cached.planes) and np.array_equal(plain.policies, cached.policies)
    assert cached_stats["leaves"] == stats["evaluations"] > cached_stats["evaluations"]  # repeated openings


def test_reused_subtree_keeps_its_visit_counts():
    g = make_game("connect4")
    settings = SearchSettings(simulations=60, noise_fraction=0.25, min_new=0.25)
    tree = Tree(g, g.initial(), settings, np.random.default_rng(0))
    run_trees([tree], hashed(g))
    assert tree.root.n == 60
    i = int(tree.root.visits.argmax())
    child, action = tree.root.children[i], int(tree.root.actions[i])
    carried = child.visits.copy()
    assert child.n == carried.sum() == tree.root.visits[i] - 1  # its first visit expanded it
    raw_prior = child.prior.copy()
    tree.advance(action, reuse=True)
    assert tree.root is child and np.array_equal(tree.root.visits, carried)  # visits carried over
    assert not np.allclose(tree.root.prior, raw_prior) and np.isclose(tree.root.prior.sum(), 1)  # fresh root noise
    calls = []
    run_trees([tree], hashed(g, calls))
    assert np.all(tree.root.visits >= carried)
    assert tree.root.n == max(60, carried.sum() + 15)  # to 60 visits in all, at least a quarter of them new
    assert len(calls) <= tree.root.n - carried.sum()  # network calls only for the new simulations


def test_fresh_root_without_reuse():
    g = make_game("tictactoe")
    tree = Tree(g, g.initial(), SearchSettings(simulations=20), np.random.default_rng(0))
    run_trees([tree], hashed(g))
    action = int(tree.root.actions[tree.root.visits.argmax()])
    tree.advance(action, reuse=False)
    assert not tree.root.expanded and tree.root.n == 0
    run_trees([tree], hashed(g))
    assert tree.root.n == 20


def records_digest(positions) -> str:
    return hashlib.sha256(positions.planes.tobytes() + positions.policies.tobytes()
                          + positions.results.tobytes()).hexdigest()[:16]


@pytest.mark.parametrize("name,digest", [("tictactoe", "ee57685bbe257f02"), ("connect4", "a008198751f011ac")])
def test_one_leaf_per_call_plays_todays_games(name, digest):
    """leaves_per_call=1 is the search before virtual loss: the digests are its records (commit 47078a6)."""
    g = make_game(name)
    settings = SearchSettings(simulations=16, dirichlet_alpha=1.0, leaves_per_call=1)
    positions, _ = play_games(g, hashed(g), 6, settings, 4, False, 3, Schedule(in_flight=3, cache=0))
    assert records_digest(positions) == digest


def assert_consistent(node, g):
    """Every edge's N and W are the real backups below it: N sums the child's visits (+1 for its expansion, or the
    terminal visits), Q = W / N, the node's n sums its edges."""
    assert node.n == node.visits.sum() and np.allclose(node.q, np.where(node.visits > 0, node.value_sum / np.maximum(
        node.visits, 1), 0.0))
    for i, child in enumerate(node.children):
        if child is None:
            assert node.visits[i] == 0
        elif child.expanded:
            assert node.visits[i] == child.n + 1
            assert_consistent(child, g)
        elif child.terminal is not None:
            assert np.isclose(node.value_sum[i], -child.terminal * node.visits[i])


@pytest.mark.parametrize("k", [2, 4, 8])
def test_virtual_loss_keeps_the_visit_count_and_leaves_no_trace(k):
    g = make_game("connect4")
    settings = SearchSettings(simulations=40, leaves_per_call=k)
    trees = [Tree(g, g.initial(), settings, np.random.default_rng(i)) for i in range(3)]
    calls = []
    run_trees(trees, hashed(g, calls))
    for tree in trees:
        assert tree.root.n == 40 and not tree.virtual and not tree.paths
        assert_consistent(tree.root, g)
    assert max(map(len, calls)) > 3  # several leaves per tree per call
    terminal_visits = sum(node.visits[i] for t in trees for node in walk(t.root)
                          for i, child in enumerate(node.children) if child is not None and child.terminal is not None)
    assert sum(map(len, calls)) == 3 * 41 - terminal_visits  # one evaluation per simulation (+ the root's)


def walk(node):
    """The expanded nodes of a tree."""
    if node.expanded:
        yield node
        for child in node.children:
            if child is not None:
                yield from walk(child)


def test_virtual_loss_handles_terminal_leaves_and_duplicates():
    """Near the end of a game descents reach terminal positions (backed up at once) and meet each other (the
    gathering stops): every simulation is still one visit, and each leaf is evaluated once."""
    g = make_game("tictactoe")
    s = g.initial()
    for a in (0, 3, 1, 4):  # X to move wins at 2
        s = g.play(s, a)
    settings = SearchSettings(simulations=30, leaves_per_call=8, noise_fraction=0.0)
    tree = Tree(g, s, settings, np.random.default_rng(0))
    calls = []
    run_trees([tree], hashed(g, calls))
    assert tree.root.n == 30 and not tree.virtual
    assert_consistent(tree.root, g)
    for batch in calls:
        assert len({id(state) for state in batch}) == len(batch)
        assert len({g.planes(state).tobytes() for state in batch}) == len(batch)


@pytest.mark.parametrize("reuse", [True, False])
def test_continuous_and_lockstep_play_the_same_games_with_several_leaves_per_call(reuse):
    g = make_game("connect4")
    settings = SearchSettings(simulations=12, dirichlet_alpha=1.0, leaves_per_call=3)
    a, stats_a = play_games(g, hashed(g), 7, settings, 4, False, 5, Schedule("lockstep", reuse=reuse, cache=0))
    b, stats_b = play_games(g, hashed(g), 7, settings, 4, False, 5,
                            Schedule("continuous", in_flight=2, reuse=reuse, cache=0))
    assert records_digest(a) == records_digest(b) and stats_a["evaluations"] == stats_b["evaluations"]
    one, stats_one = play_games(g, hashed(g), 7, SearchSettings(simulations=12, dirichlet_alpha=1.0), 4, False, 5,
                                Schedule("lockstep", reuse=reuse, cache=0))
    assert stats_a["network_calls"] < stats_one["network_calls"]
    assert records_digest(one) != records_digest(a)  # the search itself changed (virtual loss)
