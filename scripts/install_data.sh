#!/usr/bin/env bash
# Install the Debian packages the apps read, where apt is available (as root, or with sudo):
# dataset-fashion-mnist (vision), stockfish (the RL app's chess opponent), chromium + chromium-driver (the
# browser test of `zoo serve`) and postgresql (the shared-sweep test starts a throwaway server).
# Never fails: without them the apps fall back to their always-present defaults and the tests skip.
set -u
FASHION=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
WANT=""
[ -f "$FASHION" ] || WANT="$WANT dataset-fashion-mnist"
[ -x /usr/games/stockfish ] || command -v stockfish >/dev/null || WANT="$WANT stockfish"
command -v chromium >/dev/null || WANT="$WANT chromium"
command -v chromedriver >/dev/null || WANT="$WANT chromium-driver"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || WANT="$WANT postgresql"
[ -z "$WANT" ] && exit 0
command -v apt-get >/dev/null || { echo "no apt-get: not installed:$WANT (see README, Data)"; exit 0; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
if $SUDO apt-get update -qq >/dev/null 2>&1 && \
   DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $WANT >/dev/null 2>&1; then
  echo "installed$WANT"
else
  echo "could not install$WANT (needs root); the vision app uses the digits instead, chess skips Stockfish," \
       "the browser and PostgreSQL tests skip"
fi
exit 0
