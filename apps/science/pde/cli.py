"""`zoo science pde generate`: make a dataset with our solvers. fit|validate|test are LightningCLI's (see app.py)."""

from __future__ import annotations

from zoo.runtime.args import CommandParser

from .generate import PDES, generate


def generate_main(argv: list[str]) -> int:
    ap = CommandParser(prog="zoo science pde generate", description="Solve a PDE for random inputs and "
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

