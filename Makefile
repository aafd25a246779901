# Two set-up commands: `make dev` runs Sowana locally, `make test` runs the whole test suite.
# uv is installed with pip when absent; everything else comes from uv.lock.

UV = $(or $(shell command -v uv 2>/dev/null),python3 -m uv)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: uv install dev test lint format bench

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

install: uv
	$(UV) sync --frozen

dev: install
	$(UV) run sowana dev --host $(HOST) --port $(PORT)

test: install
	@bash scripts/ensure-chromium.sh
	$(UV) run pytest

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

format: install
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

bench: install
	$(UV) run python bench/ingest.py
