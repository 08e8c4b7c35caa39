# The two commands the README opens with. Both set up .venv first (idempotent, quick after the first run).
.PHONY: demo test setup setup-dev bench

demo: setup
	.venv/bin/sleepcot demo

test: setup-dev
	.venv/bin/ruff check .
	.venv/bin/python -m pytest -ra --durations=15

setup:
	bash scripts/setup.sh

setup-dev:
	bash scripts/setup.sh --dev

bench: setup
	.venv/bin/python -m bench.briefing
