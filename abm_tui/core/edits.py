"""Small, named plan changes: each returns a new Plan and leaves the old one as it was.

The session's history is a list of plans, so an edit never mutates; these helpers spare
notebooks, benchmarks and the workbench from rebuilding nested frozen dataclasses by hand.
"""

from __future__ import annotations

from dataclasses import replace

from abm_tui.core.errors import AbmError, nearest
from abm_tui.core.plan import OPS, AllOf, Compare, Plan, Scalar

SECTIONS = {"criteria": "criteria", "fit": "criteria", "tiers": "tiers", "stages": "stages", "buckets": "buckets"}


def set_test(plan: Plan, section: str, index: int, column: str, op: str,
             value: Scalar | tuple[Scalar, ...]) -> Plan:
    """Set `column.op = value` in one rule's top-level `where`, adding the test if it is not there."""
    if op not in OPS:
        raise AbmError(f"unknown test {op!r}" + (nearest(op, OPS) or f"; expected one of {', '.join(OPS)}"))
    field, rules = _section(plan, section, index)
    rule = rules[index]
    items = list(rule.where.items)
    position = next((i for i, c in enumerate(items) if isinstance(c, Compare) and (c.column, c.op) == (column, op)),
                    None)
    if position is None:
        items.append(Compare(column, op, value))
    else:
        items[position] = Compare(column, op, value)
    changed = replace(rule, where=AllOf(tuple(items)))
    return replace(plan, **{field: rules[:index] + (changed,) + rules[index + 1 :]})


def _section(plan: Plan, section: str, index: int) -> tuple[str, tuple]:
    field = SECTIONS.get(section)
    if field is None:
        raise AbmError(f"no section {section!r}; expected one of {', '.join(SECTIONS)}")
    rules = getattr(plan, field)
    if not 0 <= index < len(rules):
        raise AbmError(f"{section}[{index}]: the plan has {len(rules)} {section}")
    return field, rules


def get_test(plan: Plan, section: str, index: int, column: str, op: str) -> Scalar | tuple[Scalar, ...] | None:
    rule = _section(plan, section, index)[1][index]
    return next((c.value for c in rule.where.items if isinstance(c, Compare) and (c.column, c.op) == (column, op)),
                None)
