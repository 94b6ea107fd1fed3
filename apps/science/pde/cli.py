"""`zoo science pde ...`: fit|test through LightningCLI, and `generate` to make a dataset with our solvers."""

from __future__ import annotations

import argparse

import lightning as L

from zoo.runtime.lightning_cli import ZooCLI

from .data import PDEDataModule  # noqa: F401  (selectable by class name)
from .generate import PDES, generate
from .task import FieldTask


class PDECLI(ZooCLI):
    description = ("PDE surrogates. fit|test: LightningCLI (-c apps/science/pde/configs/<pde>_<preset>.yaml). Also: "
                   "`zoo science pde generate --pde burgers --n 1200 --resolution 1024`.")

    def add_arguments_to_parser(self, parser) -> None:
        super().add_arguments_to_parser(parser)
        parser.link_arguments("data.spec", "model.data_spec", apply_on="instantiate")


def generate_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="zoo science pde generate", description="Solve a PDE for random inputs and "
                                 "store (input, target) pairs as .npz (cached under $ZOO_CACHE/pde unless --out).")
    ap.add_argument("--pde", choices=sorted(PDES), default="burgers")
    ap.add_argument("--n", type=int, default=1200, help="samples")
    ap.add_argument("--resolution", type=int, help="stored grid points per axis (default: the PDE's: "
                    + ", ".join(f"{k} {v.resolution}" for k, v in PDES.items()) + ")")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nu", type=float, help="viscosity (burgers, navier_stokes)")
    ap.add_argument("--t", type=float, help="final time (burgers, navier_stokes)")
    ap.add_argument("--out", help="output .npz (default: the cache)")
    args = ap.parse_args(argv)
    if args.n <= 0:
        ap.error(f"--n must be positive; got {args.n}")
    params = {k: v for k, v in (("nu", args.nu), ("t", args.t)) if v is not None}
    try:
        path = generate(args.pde, args.n, args.resolution, args.seed, args.out, **params)
    except ValueError as e:
        ap.error(str(e))
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    if argv and argv[0] == "generate":
        return generate_main(argv[1:])
    PDECLI("pde", FieldTask, L.LightningDataModule, args=argv)
    return 0
