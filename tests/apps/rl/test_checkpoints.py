"""latest.json is data: it may only name one of the run's own iteration folders."""

import json

import pytest

from apps.rl.checkpoints import load_latest, read_latest
from zoo.errors import InputError


@pytest.mark.parametrize("latest, message", [
    ({"iteration": 1, "dir": "../../elsewhere", "history": []}, "field dir must name an iteration folder"),
    ({"iteration": 1, "dir": "/tmp/iter_0001", "history": []}, "field dir must name an iteration folder"),
    ({"iteration": -1, "dir": "iter_0001", "history": []}, "field iteration must be a whole number >= 0"),
    ({"iteration": 1, "dir": "iter_0001", "history": {"0": {}}}, "field history must be a list of objects"),
    ({"iteration": 1, "history": []}, "field dir is missing"),
])
def test_a_bad_latest_json_is_refused_naming_the_field(tmp_path, latest, message):
    path = tmp_path / "checkpoints" / "latest.json"
    path.parent.mkdir()
    path.write_text(json.dumps(latest))
    with pytest.raises(InputError, match=message):
        load_latest(tmp_path)


def test_a_good_latest_json_reads(tmp_path):
    path = tmp_path / "latest.json"
    path.write_text(json.dumps({"iteration": 3, "dir": "iter_0003", "history": [{"iteration": 3}]}))
    assert read_latest(path) == {"iteration": 3, "dir": "iter_0003", "history": [{"iteration": 3}]}
    assert load_latest(tmp_path / "no-run-yet") is None
