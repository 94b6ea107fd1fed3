#!/usr/bin/env bash
# Install the Debian data packages the apps read, where apt is available (as root, or with sudo).
# Never fails: without them the apps fall back to their always-present default data and the tests skip.
set -u
FASHION=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
[ -f "$FASHION" ] && exit 0
command -v apt-get >/dev/null || { echo "no apt-get: Fashion-MNIST not installed (see README, Data)"; exit 0; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
if $SUDO apt-get update -qq >/dev/null 2>&1 && \
   DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; then
  echo "installed dataset-fashion-mnist"
else
  echo "could not install dataset-fashion-mnist (needs root); the vision app will use the digits instead"
fi
exit 0
