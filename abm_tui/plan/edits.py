"""Small, named plan changes: each returns a new Plan and leaves the old one as it was.

The session's history is a list of plans, so an edit never mutates; these helpers spare
notebooks, benchmarks and the workbench from rebuilding nested frozen dataclasses by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from abm_tui.errors import AbmError, nearest
from abm_tui.plan import rules
from abm_tui.plan.model import OPS, AllOf, Compare, Plan, Scalar

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


def _replace_rule(plan: Plan, section: str, index: int, **changes: object) -> Plan:
    field, rules = _section(plan, section, index)
    changed = replace(rules[index], **changes)
    return replace(plan, **{field: rules[:index] + (changed,) + rules[index + 1 :]})


def toggle(plan: Plan, section: str, index: int) -> Plan:
    """Switch a rule off (kept in the plan, skipped by the engine) or back on."""
    rule = _section(plan, section, index)[1][index]
    return _replace_rule(plan, section, index, enabled=not rule.enabled)


def set_points(plan: Plan, index: int, points: int) -> Plan:
    return _replace_rule(plan, "criteria", index, points=points)


def set_limit(plan: Plan, index: int, limit: int | None) -> Plan:
    """A tier's cap; None removes it. Limits below 1 are refused."""
    if limit is not None and limit < 1:
        raise AbmError(f"tiers[{index}].limit: expected a whole number of at least 1, got {limit}")
    return _replace_rule(plan, "tiers", index, limit=limit)


def move(plan: Plan, section: str, index: int, offset: int) -> Plan:
    """Move a rule up (-1) or down (+1): tiers, stages and buckets are first-match, so order decides."""
    field, rules = _section(plan, section, index)
    target = index + offset
    if not 0 <= target < len(rules):
        raise AbmError(f"{section}[{index}] is already {'first' if offset < 0 else 'last'}")
    order = list(rules)
    order[index], order[target] = order[target], order[index]
    return replace(plan, **{field: tuple(order)})


def delete(plan: Plan, section: str, index: int) -> Plan:
    field, rules = _section(plan, section, index)
    return replace(plan, **{field: rules[:index] + rules[index + 1 :]})


def duplicate(plan: Plan, section: str, index: int) -> Plan:
    """A copy of the rule right below it, named so names stay unique: the way to add a rule."""
    field, rules = _section(plan, section, index)
    names = {r.name for r in rules}
    base = rules[index].name
    name = next(f"{base} ({n})" for n in range(2, len(rules) + 3) if f"{base} ({n})" not in names)
    return replace(plan, **{field: rules[: index + 1] + (replace(rules[index], name=name),) + rules[index + 1 :]})


def remove_test(plan: Plan, section: str, index: int, column: str, op: str) -> Plan:
    field, rules = _section(plan, section, index)
    rule = rules[index]
    kept = tuple(c for c in rule.where.items if not (isinstance(c, Compare) and (c.column, c.op) == (column, op)))
    return _replace_rule(plan, section, index, where=AllOf(kept))


def nudge(value: float | int, direction: int, large: bool = False) -> float | int:
    """The next value up or down: steps scale with the value (80 moves by 5, 5,000 by 500), and a
    large step is ten small ones, so thresholds of any size can be swept from the keyboard."""
    magnitude = abs(value)
    step = 1 if magnitude < 20 else 10 ** (len(str(int(magnitude))) - 1) / 2
    step = step * 10 if large else step
    moved = value + direction * step
    return int(moved) if isinstance(value, int) and float(step).is_integer() else round(moved, 6)


def parse_value(text: str, like: object) -> object:
    """A typed value in the type of the one it replaces; raises AbmError saying what was expected."""
    text = text.strip()
    try:
        if isinstance(like, bool):
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if isinstance(like, int):
            number = float(text.replace(",", ""))
            return int(number) if number.is_integer() else number
        if isinstance(like, float):
            return float(text.replace(",", ""))
        if isinstance(like, dt.date):
            return dt.date.fromisoformat(text)
    except ValueError:
        kind = {bool: "true or false", int: "a number", float: "a number", dt.date: "a date such as 2026-11-20"}
        expected = next(v for k, v in kind.items() if isinstance(like, k))
        raise AbmError(f"expected {expected}, got {text!r}") from None
    if not text:
        raise AbmError("expected a value, got nothing")
    return text


PLAY_KEYS = {"tiers": "tier", "stages": "stage", "buckets": "bucket"}


def rename(plan: Plan, section: str, index: int, name: str) -> Plan:
    """A new name for a rule, carried into the plays that refer to it, so no play is orphaned."""
    field, rules = _section(plan, section, index)
    name = name.strip()
    old = rules[index].name
    if not name:
        raise AbmError("expected a name, got nothing")
    if name != old and name in {r.name for r in rules}:
        raise AbmError(f'"{name}" is already the name of another rule in {section}')
    changed = _replace_rule(plan, section, index, name=name)
    key = PLAY_KEYS.get(field)
    if key is None:
        return changed

    def carried(names: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if names is None else tuple(name if n == old else n for n in names)

    return replace(changed, plays=tuple(replace(p, **{key: carried(getattr(p, key))}) for p in changed.plays))


@dataclass(frozen=True)
class Target:
    """What a node stands for: a section, a rule, one test of a rule, or an engagement setting.

    A channel's weight is `setting=channel`; its half-life is `setting="half_life_days", column=channel`.
    """

    section: str
    index: int | None = None
    column: str | None = None
    op: str | None = None
    setting: str | None = None

    @property
    def is_test(self) -> bool:
        return self.op is not None


def move_play(plan: Plan, index: int, offset: int) -> Plan:
    target = index + offset
    if not 0 <= target < len(plan.plays):
        raise AbmError(f"plays[{index}] is already {'first' if offset < 0 else 'last'}")
    plays = list(plan.plays)
    plays[index], plays[target] = plays[target], plays[index]
    return replace(plan, plays=tuple(plays))


def with_half_life(plan: Plan, channel: str, days: object) -> Plan:
    """A half-life of 0 would make every event worthless at once: the plan format wants more than 0 days."""
    if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
        raise AbmError(f"the half-life of {channel} must stay above 0 days")
    e = plan.engagement
    half_lives = tuple((c, float(days) if c == channel else d) for c, d in e.half_life_days)
    return replace(plan, engagement=replace(e, half_life_days=half_lives))


def nudged(plan: Plan, target: Target, direction: int, large: bool) -> Plan:
    """The plan with the number under the cursor moved one step: a test's value, a criterion's
    points, a tier's limit, a window, a channel weight or a channel's half-life."""
    if target.section == "engagement" and target.setting:
        e = plan.engagement
        if target.setting in ("recent_days", "window_days"):
            days = max(1, int(nudge(getattr(e, target.setting), direction, large)))
            return replace(plan, engagement=replace(e, **{target.setting: days}))
        if target.setting == "half_life_days" and target.column:
            return with_half_life(plan, target.column, nudge(dict(e.half_life_days)[target.column],
                                                                    direction, large))
        weights = tuple((c, max(0.0, float(nudge(w, direction, large))) if c == target.setting else w)
                        for c, w in e.weights)
        return replace(plan, engagement=replace(e, weights=weights))
    if target.index is None:
        raise AbmError("move to a threshold, a criterion's points or a tier's limit to nudge it")
    if target.is_test and target.column and target.op:
        value = get_test(plan, target.section, target.index, target.column, target.op)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AbmError(f"{target.column} {target.op} is not a number; press Enter to edit it")
        return set_test(plan, target.section, target.index, target.column, target.op,
                              nudge(value, direction, large))
    if target.section == "criteria":
        points = plan.criteria[target.index].points
        return set_points(plan, target.index, int(nudge(points, direction, large)))
    if target.section == "tiers" and plan.tiers[target.index].limit is not None:
        limit = plan.tiers[target.index].limit or 1
        return set_limit(plan, target.index, max(1, int(nudge(limit, direction, large))))
    raise AbmError("move to a threshold, a criterion's points or a tier's limit to nudge it")


def editable(plan: Plan, target: Target) -> tuple[str, object, Callable[[str], Plan]] | None:
    """What Enter edits under the cursor: a title, the current value, and how typed text changes the plan."""
    if target.section == "engagement" and target.setting:
        e = plan.engagement
        if target.setting in ("recent_days", "window_days"):
            def days(text: str) -> Plan:
                return replace(plan, engagement=replace(e, **{target.setting: int(parse_value(text, 1))}))
            return f"engagement.{target.setting}", getattr(e, target.setting), days
        if target.setting == "half_life_days" and target.column:
            channel = target.column

            def half_life(text: str) -> Plan:
                return with_half_life(plan, channel, parse_value(text, 1.0))
            return f"half-life of {channel} in days", dict(e.half_life_days)[channel], half_life

        def weight(text: str) -> Plan:
            value = float(parse_value(text, 1.0))
            return replace(plan, engagement=replace(
                e, weights=tuple((c, value if c == target.setting else w) for c, w in e.weights)))
        return f"weight of {target.setting}", e.weight(target.setting), weight
    if target.index is None or target.section == "plays":
        return None
    if target.is_test and target.column and target.op and target.op != "*":
        value = get_test(plan, target.section, target.index, target.column, target.op)
        title = f"{target.section}[{target.index}]: {rules.describe_compare(Compare(target.column, target.op, value))}"

        def test(text: str) -> Plan:
            if isinstance(value, tuple):
                parsed: object = tuple(parse_value(part, value[0]) for part in text.split(",") if part.strip())
            else:
                parsed = parse_value(text, value)
            return set_test(plan, target.section, target.index, target.column, target.op, parsed)
        return title, value, test
    if target.section == "criteria":
        def points(text: str) -> Plan:
            return set_points(plan, target.index, int(parse_value(text, 1)))
        return f"points for {plan.criteria[target.index].name}", plan.criteria[target.index].points, points
    if target.section == "tiers":
        def limit(text: str) -> Plan:
            cleared = text.strip().lower() in ("", "none")
            return set_limit(plan, target.index, None if cleared else int(parse_value(text, 1)))
        tier = plan.tiers[target.index]
        return f"limit for {tier.name} (none: no limit)", tier.limit if tier.limit else "none", limit
    return None
