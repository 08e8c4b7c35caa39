"""One home for every clinical number: the rules that judge a night read each threshold from the norms table
(`sleepcot.analysis.norms.limit`), each with its source; the rule modules hold no other number."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sleepcot.analysis.norms import NORMS, limit
from sleepcot.domain import Unit

ROOT = Path(__file__).resolve().parents[2] / "sleepcot"
RULE_MODULES = ("analysis/findings.py", "analysis/baseline.py")


def constants(path: Path) -> list[tuple[int, object]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and not isinstance(node.value, bool)]


@pytest.mark.parametrize("module", RULE_MODULES)
def test_the_rules_write_no_number_of_their_own(module):
    numbers = [(line, value) for line, value in constants(ROOT / module)
               if isinstance(value, int | float) and value not in (0, 1)]
    assert not numbers, f"{module}: numbers that belong in analysis/norms.py: {numbers}"


def test_every_threshold_the_rules_read_is_in_the_table_with_a_source():
    read = []
    for module in RULE_MODULES:
        for node in ast.walk(ast.parse((ROOT / module).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("limit", "norm_fact") and node.args \
                    and isinstance(node.args[0], ast.Constant):
                read.append(node.args[0].value)
    assert len(read) > 20 and set(read) <= set(NORMS)
    assert all(norm.source and norm.meaning for norm in NORMS.values())


def test_limit_reads_durations_in_the_unit_asked_for():
    assert limit("sleep_min_adult_h", Unit.SECONDS) == 7 * 3600
    assert limit("latency_good_max_min", Unit.HOURS) == 0.5
    assert limit("efficiency_good_pct") == NORMS["efficiency_good_pct"].value
    with pytest.raises(ValueError):
        limit("efficiency_good_pct", Unit.SECONDS)
