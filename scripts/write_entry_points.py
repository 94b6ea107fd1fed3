"""Register this source tree's entry points (the apps) in SITE without building it: a minimal dist-info folder."""

import sys
from pathlib import Path

import tomllib

site = Path(sys.argv[1])
project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
info = site / f"zoo_suite-{project['version']}.dist-info"
info.mkdir(parents=True, exist_ok=True)
(info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: zoo-suite\nVersion: {project['version']}\n")
groups = project.get("entry-points", {}) | {"console_scripts": project.get("scripts", {})}
(info / "entry_points.txt").write_text("".join(
    f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in eps.items()) + "\n"
    for group, eps in groups.items()))
print(f"registered {info}")
