"""The README's library tour runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_library_tour_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["logits"].shape == (8, 10)
    assert namespace["policy"].shape == (4, 7) and namespace["value"].shape == (4,)
    assert namespace["tuned"].config["num_outputs"] == 3


def test_every_picture_the_readme_shows_is_committed():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README.read_text())
    assert pictures
    missing = [p for p in pictures if not (README.parent / p).is_file()]
    assert not missing, missing
