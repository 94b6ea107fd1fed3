"""The README's result tables are exactly what scripts/readme_tables.py writes from results/*.json."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "scripts" / "readme_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_tables_match_results_byte_for_byte():
    script = load_script()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert script.BLOCK.search(readme), "the README has no <!-- results: APP --> table"
    assert script.rewrite(readme, ROOT / "results") == readme, \
        "README.md differs from results/: run `python scripts/readme_tables.py`"


def test_every_marker_has_its_results_file():
    script = load_script()
    for m in script.BLOCK.finditer((ROOT / "README.md").read_text(encoding="utf-8")):
        assert script.results_file(ROOT / "results", m["app"]).is_file(), m["app"]


PAYLOAD = {"app": "science/fake", "command": "zoo bench science/fake --minutes 1 --record",
           "machine": {"cpu": "Some CPU", "cpu_flags": ["amx_bf16"], "usable_cores": 2, "torch": "2.5.1",
                       "precision": "32-true", "date": "2025-01-31"},
           "columns": [{"label": "a|b", "key": "test.x", "format": ".2f", "per": None}],
           "rows": [{"dataset": "d", "dataset_label": "D", "family": "cnn", "model": "cnn_small", "status": "ok",
                     "parameters": 1234, "train_s": 60.4, "headline": {"name": "test_acc", "value": 0.91234},
                     "values": {"a|b": 0.5}},
                    {"dataset": "d", "dataset_label": "D", "family": "fno", "model": "-",
                     "status": "n/a: no fno model takes `image` inputs"}]}


def test_a_marked_block_is_rewritten_and_the_rest_kept(tmp_path):
    script = load_script()
    (tmp_path / "science-fake.json").write_text(json.dumps(PAYLOAD))
    readme = "intro\n<!-- results: science/fake -->\nold | numbers\n<!-- /results -->\noutro\n"
    out = script.rewrite(readme, tmp_path)
    assert out.startswith("intro\n<!-- results: science/fake -->\nMeasured with `zoo bench science/fake --minutes 1 "
                          "--record` on Some CPU, 2 cores (amx_bf16), torch 2.5.1, precision 32-true, 2025-01-31")
    assert "| dataset | family | model | parameters | train s | test_acc | a\\|b | status |" in out
    assert "| D | cnn | cnn_small | 1,234 | 60 | 0.9123 | 0.50 |  |" in out
    assert "| D | fno | - | - | - | - | - | n/a: no fno model takes `image` inputs |" in out
    assert out.endswith("<!-- /results -->\noutro\n") and "old | numbers" not in out
    assert script.rewrite(out, tmp_path) == out  # stable


def test_a_marker_without_results_is_an_error(tmp_path):
    script = load_script()
    with pytest.raises(FileNotFoundError, match="zoo bench nothing --record"):
        script.rewrite("<!-- results: nothing -->\n<!-- /results -->\n", tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results: nothing -->\n<!-- /results -->\n")
    assert script.main(["--check", "--readme", str(readme), "--results", str(tmp_path)]) == 1
