# Every target creates .venv when missing. torch/torchvision are pinned here (this machine carries those wheels);
# pyproject.toml keeps ranges for everyone else.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

.PHONY: install test demo gpu-check lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e '.[dev]' $(TORCH_PINS)
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

demo: $(STAMP)
	$(VENV)/bin/zoo demo

lint: $(STAMP)
	$(VENV)/bin/ruff check zoo apps tests

# On the GPU machine: its own python3 (with torch) plus the wheels in .whl/ (see scripts/gpu_check.sh).
gpu-check:
	bash scripts/gpu_check.sh

clean:
	rm -rf runs lightning_logs .pytest_cache
