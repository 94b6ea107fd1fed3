#!/usr/bin/env bash
# Download, here, the wheels that the lent GPU machine's Python (3.12, with torch, lightning, transformers,
# torchvision, rich, matplotlib, scikit-learn...) lacks, into .whl/ (git-ignored) for scripts/gpu_check.sh,
# and the data sets the gpu presets read into .gpu-data/.
# An app that needs another package there adds it to PACKAGES.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(jsonargparse==4.53.0 docstring-parser typeshed-client importlib-resources)
mkdir -p .whl
for pkg in "${PACKAGES[@]}"; do
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl "$pkg"
done
ls -1 .whl
# Fashion-MNIST (30 MB) for the vision app's gpu preset, when Debian's package is installed here.
if [ -d /usr/share/datasets/fashion-mnist ]; then
  mkdir -p .gpu-data && cp -r /usr/share/datasets/fashion-mnist .gpu-data/
  echo "copied Fashion-MNIST to .gpu-data/fashion-mnist (carry .whl and .gpu-data)"
fi
