"""The layers stay layers: the zoo core imports neither the runtime nor the lessons, nothing in `zoo` imports an
app, and no app imports another app (every import counted, top-level or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("apps.vision", "apps.nlp", "apps.rl", "apps.science.pde", "apps.science.genomics")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    package = module_name(path).split(".")
    return imported_names(path.read_text(), package if path.name == "__init__.py" else package[:-1])


def imported_names(source: str, package: list[str]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            name = ".".join(base + ([node.module] if node.module else []))
            found.add(name)
            found |= {f"{name}.{alias.name}" for alias in node.names}  # `from zoo import runtime`
    return found


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def layer(module: str) -> str:
    if module == "zoo.__main__":
        return "zoo.runtime"  # `python -m zoo`: the command line's entry point, as the `zoo` script is
    for prefix in ("zoo.runtime", "zoo.lessons", *APPS):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return "zoo" if module == "zoo" or module.startswith("zoo.") else ("apps" if module.startswith("apps") else "")


@pytest.mark.parametrize("path", sources("zoo"), ids=lambda p: str(p.relative_to(ROOT)))
def test_zoo_layers(path):
    me = layer(module_name(path))
    for name in imports(path):
        other = layer(name)
        assert not other.startswith("apps"), f"{path.relative_to(ROOT)} imports the app module {name}"
        if me == "zoo":
            assert other not in ("zoo.runtime", "zoo.lessons"), \
                f"{path.relative_to(ROOT)} is in the library core but imports {name}"


@pytest.mark.parametrize("path", sources("apps"), ids=lambda p: str(p.relative_to(ROOT)))
def test_apps_are_independent(path):
    me = layer(module_name(path))
    for name in imports(path):
        other = layer(name)
        if other in APPS and me in APPS:
            assert other == me, f"{path.relative_to(ROOT)} ({me}) imports {name} from another app ({other})"


def test_the_checker_sees_relative_and_lazy_imports():
    source = "def f():\n    from .runtime import cli\n    from ..apps.vision import data\n"
    found = imported_names(source, ["zoo", "models"])
    assert "zoo.models.runtime.cli" in found and "zoo.apps.vision.data" in found
    assert layer("zoo.runtime.cli") == "zoo.runtime" and layer("apps.science.pde.data") == "apps.science.pde"
    assert "zoo.runtime" in imported_names("from .runtime import cli\n", ["zoo"])
