#!/usr/bin/env bash
# make gpu-check: every app's GPU preset for a bounded time, then one table. Exits 0 where there is no GPU.
# For the lent GPU machine, run scripts/fetch_gpu_wheels.sh here first and carry .whl/ along.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ]; then
  PY=.venv/bin/python
else
  # The GPU machine's own Python: add the carried wheels, then make this tree's apps discoverable
  # (entry points) without building the package: a dist-info folder written from pyproject.toml.
  PY=python3
  SITE=/tmp/zoo-site
  mkdir -p "$SITE"
  if compgen -G ".whl/*.whl" >/dev/null; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .whl/*.whl
  fi
  $PY scripts/write_entry_points.py "$SITE"
  export PYTHONPATH="$PWD:$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
if [ -d .gpu-data/fashion-mnist ]; then export FASHION_MNIST_ROOT="$PWD/.gpu-data/fashion-mnist"; fi
exec $PY -m zoo.runtime.gpu_check "$@"
