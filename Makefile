# Every target creates .venv when missing. torch/torchvision are pinned here (this machine carries those wheels);
# pyproject.toml keeps ranges for everyone else.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

.PHONY: install data test demo bench perf gpu-check lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e '.[dev]' $(TORCH_PINS)
	touch $(STAMP)

# Debian's dataset-fashion-mnist where apt is available; without it the apps fall back to bundled data.
data:
	bash scripts/install_data.sh

# Two workers (pytest-xdist; the suite is proven on two), the slowest tests listed at the end so that growth shows
test: $(STAMP) data
	$(PY) -m pytest -q -n 2 --dist worksteal --durations=20

demo: $(STAMP) data
	$(VENV)/bin/zoo demo

# Quality benchmarks (long: every app's matrix from its configs/bench.yaml), tables printed and JSON under
# runs/bench/; then fine-tuning the vision bench's CNN. `zoo bench APP --record` also writes results/APP.json.
bench: $(STAMP) data
	$(VENV)/bin/zoo bench all
	$(PY) -m apps.vision.finetune

# Speed side by side with the peers (needs the bench extra: neuraloperator, ctranslate2): a table and
# runs/bench/perf.json with the machine, its matmul peaks and every pair's median ratio.
perf: $(STAMP) data
	$(PY) -m pip install --quiet -e '.[bench]' $(TORCH_PINS)
	$(VENV)/bin/zoo perf

lint: $(STAMP)
	$(VENV)/bin/ruff check zoo apps tests

# On the GPU machine: its own python3 (with torch) plus the wheels in .whl/ (see scripts/gpu_check.sh).
gpu-check:
	bash scripts/gpu_check.sh

clean:
	rm -rf runs lightning_logs .pytest_cache
