"""Every registered model, every input kind it claims: forward, backward, shapes, save/load, parameter counts.

The cases come from the registry, so a new family is covered by registering it; the README's "Add a model family"
example is checked the same way."""

import re
from pathlib import Path

import pytest
import torch
from rich.console import Console

import zoo
from zoo._registry import _MODELS, default_model
from zoo.reference import REFERENCE_KWARGS, build_reference, example_input
from zoo.runtime.cli import models_table

CASES = [(name, kind) for name in zoo.list_models() for kind in zoo.model_info(name).kinds]
README = Path(__file__).resolve().parents[2] / "README.md"


def expected_shape(kind: str, x, kwargs: dict):
    if kind == "field":
        return (x.shape[0], kwargs["num_outputs"], *x.shape[2:])
    if kind == "seq2seq":
        src, tgt = x
        return (tgt.shape[0], tgt.shape[1], kwargs["vocab_size"])
    return (x.shape[0], kwargs["num_outputs"])


def run(model, x):
    return model(*x) if isinstance(x, tuple) else model(x)


def flat(out):
    return torch.cat([o.flatten() for o in out]) if isinstance(out, tuple) else out.flatten()


def test_every_family_is_registered():
    families = {zoo.model_info(n).family for n in zoo.list_models()}
    assert {"cnn", "resnet", "lstm", "transformer"} <= families
    for fam in ("cnn", "resnet", "lstm", "transformer"):
        assert len(zoo.list_models(family=fam)) >= 2, f"{fam} needs a small and a large variant"


@pytest.mark.parametrize("name,kind", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_model_contract(name, kind, tmp_path):
    check_contract(name, kind, tmp_path)


def check_contract(name: str, kind: str, tmp_path: Path) -> None:
    field_dims = (1, 2) if kind == "field" else (None,)
    for ndim in field_dims:
        kwargs = dict(REFERENCE_KWARGS[kind])
        shape = {}
        if ndim:
            kwargs["ndim"] = ndim
            shape = dict(ndim=ndim, size=16)
        model = zoo.create_model(name, in_kind=kind, **kwargs)
        x = example_input(kind, **shape)
        model.train()
        out = run(model, x)
        if kind == "board":
            policy, value = out
            assert policy.shape == (x.shape[0], kwargs["num_outputs"]) and value.shape == (x.shape[0],)
            assert value.abs().max() <= 1
            loss = policy.logsumexp(-1).mean() + value.pow(2).mean()
        else:
            assert out.shape == expected_shape(kind, x, kwargs)
            loss = out.float().pow(2).mean()
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        assert all(g is not None for g in grads[:3]) and any(g.abs().sum() > 0 for g in grads if g is not None)
        assert all(torch.isfinite(g).all() for g in grads if g is not None)

        # backbone and head partition the parameters
        head = {id(p) for p in model.head_parameters()}
        backbone = {id(p) for p in model.backbone_parameters()}
        assert head and backbone and not head & backbone
        assert head | backbone == {id(p) for p in model.parameters()}

        # save_pretrained -> from_pretrained gives identical outputs
        model.eval()
        folder = zoo.save_pretrained(model, tmp_path / f"{name}-{kind}-{ndim}", metrics={"acc": 0.5})
        assert {p.name for p in folder.iterdir()} == {"model.safetensors", "config.json", "README.md"}
        again = zoo.from_pretrained(folder).eval()
        with torch.no_grad():
            assert torch.equal(flat(run(model, x)), flat(run(again, x)))
        assert again.config == model.config
        assert model.config["name"] == name and model.config["in_kind"] == kind


@pytest.mark.parametrize("name", [n for n in zoo.list_models() if "seq2seq" not in zoo.model_info(n).kinds])
def test_reset_head_changes_outputs_only(name):
    check_reset_head(name)


def check_reset_head(name: str) -> None:
    kind = zoo.model_info(name).kinds[0]
    model = build_reference(name, kind).eval()
    before = {n: p.clone() for n, p in model.named_parameters() if not n.startswith("head.")}
    model.reset_head(5)
    out = run(model, example_input(kind))
    out = out[0] if kind == "board" else out
    assert out.shape[1] == 5 and model.config["num_outputs"] == 5
    after = dict(model.named_parameters())
    assert all(torch.equal(before[n], after[n]) for n in before)


def test_a_new_family_is_one_file(tmp_path):
    """The README's example family, registered as its file would be, meets the contract like the zoo's own."""
    example = README.read_text().split("## Add a model family")[1].split("```python\n")[1].split("```")[0]
    exec(compile(example, "README.md", "exec"), {"__name__": "zoo.models.mlp", "__package__": "zoo.models"})
    try:
        assert zoo.list_families("image")[-1] == "mlp" and default_model("mlp", "image") == "mlp_small"
        check_contract("mlp_small", "image", tmp_path)
        check_reset_head("mlp_small")
    finally:
        _MODELS.pop("mlp_small")


def test_parameter_counts_match_zoo_models():
    console = Console(width=300, record=True)
    console.print(models_table())
    text = console.export_text()
    printed = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│|┃]", line) if c.strip()]
        if len(cells) >= 4 and cells[0] in zoo.list_models():
            printed[cells[0]] = int(cells[3].replace(",", ""))
    assert set(printed) == set(zoo.list_models())
    for name, count in printed.items():
        model = zoo.create_model(name, in_kind=zoo.model_info(name).kinds[0],
                                 **REFERENCE_KWARGS[zoo.model_info(name).kinds[0]])
        assert count == sum(p.numel() for p in model.parameters()), name


def test_list_models_pattern_and_filters():
    assert zoo.list_models("resnet*") == sorted(n for n in zoo.list_models() if n.startswith("resnet"))
    assert all("board" in zoo.model_info(n).kinds for n in zoo.list_models(kind="board"))
    assert zoo.list_models("nothing-like-this*") == []
