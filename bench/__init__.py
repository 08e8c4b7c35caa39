"""Benchmarks, each a module run alone from the repository root (`.venv/bin/python -m bench.<name>`): each
measures against a baseline in the same run and prints, as its last line, one JSON object with its figures.
The loopback servers come from the test package (`tests.loopback`)."""
