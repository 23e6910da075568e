"""Small, named plan changes: each returns a new Plan and leaves the old one as it was.

The session's history is a list of plans, so an edit never mutates; these helpers spare
notebooks, benchmarks and the workbench from rebuilding nested frozen dataclasses by hand.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from abm_tui.errors import AbmError, nearest
from abm_tui.plan import rules
from abm_tui.plan.model import AllOf, AnyRule, Compare, Plan, Scalar, Section, Tier
from abm_tui.plan.ops import OPS

Value = Scalar | tuple[Scalar, ...]


def set_test(plan: Plan, section: Section | str, index: int, column: str, op: str, value: Value) -> Plan:
    """Set `column.op = value` in one rule's top-level `where`, adding the test if it is not there."""
    if op not in OPS:
        raise AbmError(f"unknown test {op!r}" + (nearest(op, OPS) or f"; expected one of {', '.join(OPS)}"))
    kind, rules = _section(plan, section, index)
    rule = rules[index]
    items = list(rule.where.items)
    position = next((i for i, c in enumerate(items) if isinstance(c, Compare) and (c.column, c.op) == (column, op)),
                    None)
    if position is None:
        items.append(Compare(column, op, value))
    else:
        items[position] = Compare(column, op, value)
    return _replace_rule(plan, kind, index, where=AllOf(tuple(items)))


def _section(plan: Plan, section: Section | str, index: int) -> tuple[Section, tuple[AnyRule, ...]]:
    """The section (the TOML's "fit" accepted for the criteria) and its rules, with the index checked."""
    try:
        kind = Section.parse(section)
    except ValueError:
        raise AbmError(f"no section {section!r}; expected one of {', '.join(Section)}") from None
    rules = kind.rules(plan)
    if not 0 <= index < len(rules):
        raise AbmError(f"{kind.key}[{index}]: the plan has {len(rules)} {kind.value}")
    return kind, rules


def get_test(plan: Plan, section: Section | str, index: int, column: str, op: str) -> Value | None:
    rule = _section(plan, section, index)[1][index]
    return next((c.value for c in rule.where.items if isinstance(c, Compare) and (c.column, c.op) == (column, op)),
                None)


def _replace_rule(plan: Plan, section: Section | str, index: int, **changes: object) -> Plan:
    kind, rules = _section(plan, section, index)
    changed: AnyRule = replace(rules[index], **changes)  # type: ignore[arg-type]
    return kind.with_rules(plan, rules[:index] + (changed,) + rules[index + 1 :])


def toggle(plan: Plan, section: Section | str, index: int) -> Plan:
    """Switch a rule off (kept in the plan, skipped by the engine) or back on."""
    rule = _section(plan, section, index)[1][index]
    return _replace_rule(plan, section, index, enabled=not rule.enabled)


def set_points(plan: Plan, index: int, points: int) -> Plan:
    return _replace_rule(plan, Section.CRITERIA, index, points=points)


def set_limit(plan: Plan, index: int, limit: int | None) -> Plan:
    """A tier's cap; None removes it. Limits below 1 are refused."""
    if limit is not None and limit < 1:
        raise AbmError(f"tiers[{index}].limit: expected a whole number of at least 1, got {limit}")
    return _replace_rule(plan, Section.TIERS, index, limit=limit)


def set_rank_by(plan: Plan, index: int, columns: tuple[str, ...] | None) -> Plan:
    """The order a tier's limit keeps its best by; None (or nothing) goes back to the default ranking."""
    if columns is not None and len(set(columns)) < len(columns):
        raise AbmError(f"tiers[{index}].rank_by: a column is named twice in {', '.join(columns)}")
    return _replace_rule(plan, Section.TIERS, index, rank_by=columns or None)


def move(plan: Plan, section: Section | str, index: int, offset: int) -> Plan:
    """Move a rule up (-1) or down (+1): tiers, stages and buckets are first-match, so order decides."""
    kind, rules = _section(plan, section, index)
    target = index + offset
    if not 0 <= target < len(rules):
        raise AbmError(f"{kind.key}[{index}] is already {'first' if offset < 0 else 'last'}")
    order = list(rules)
    order[index], order[target] = order[target], order[index]
    return kind.with_rules(plan, tuple(order))


def delete(plan: Plan, section: Section | str, index: int) -> Plan:
    kind, rules = _section(plan, section, index)
    return kind.with_rules(plan, rules[:index] + rules[index + 1 :])


def duplicate(plan: Plan, section: Section | str, index: int) -> Plan:
    """A copy of the rule right below it, named so names stay unique: the way to add a rule."""
    kind, rules = _section(plan, section, index)
    names = {r.name for r in rules}
    base = rules[index].name
    name = next(f"{base} ({n})" for n in range(2, len(rules) + 3) if f"{base} ({n})" not in names)
    return kind.with_rules(plan, rules[: index + 1] + (replace(rules[index], name=name),) + rules[index + 1 :])


def add_rule(plan: Plan, section: Section | str, rule: AnyRule, index: int | None = None) -> Plan:
    """`rule` added to the section at `index` (default: last), as a suggested fit criterion joins the plan.

    A name the section already has is refused: plays, the rules tree and every message name rules by it.
    """
    try:
        kind = Section.parse(section)
    except ValueError:
        raise AbmError(f"no section {section!r}; expected one of {', '.join(Section)}") from None
    rules = kind.rules(plan)
    if any(r.name == rule.name for r in rules):
        raise AbmError(f"{kind.key}: the plan already has a rule named {rule.name!r}")
    at = len(rules) if index is None else index
    if not 0 <= at <= len(rules):
        raise AbmError(f"{kind.key}[{at}]: the plan has {len(rules)} {kind.value}")
    return kind.with_rules(plan, rules[:at] + (rule,) + rules[at:])


def remove_test(plan: Plan, section: Section | str, index: int, column: str, op: str) -> Plan:
    kind, rules = _section(plan, section, index)
    rule = rules[index]
    kept = tuple(c for c in rule.where.items if not (isinstance(c, Compare) and (c.column, c.op) == (column, op)))
    return _replace_rule(plan, kind, index, where=AllOf(kept))


def nudge(value: float | int, direction: int, large: bool = False) -> float | int:
    """The next value up or down: steps scale with the value (80 moves by 5, 5,000 by 500), and a
    large step is ten small ones, so thresholds of any size can be swept from the keyboard."""
    magnitude = abs(value)
    step = 1 if magnitude < 20 else 10 ** (len(str(int(magnitude))) - 1) / 2
    step = step * 10 if large else step
    moved = value + direction * step
    return int(moved) if isinstance(value, int) and float(step).is_integer() else round(moved, 6)


def parse_value(text: str, like: Scalar) -> Scalar:
    """A typed value in the type of the one it replaces; raises AbmError saying what was expected."""
    if isinstance(like, bool):
        return _parse_bool(text)
    if isinstance(like, int):
        whole = parse_number(text)
        return int(whole) if whole.is_integer() else whole
    if isinstance(like, float):
        return parse_number(text)
    if isinstance(like, dt.date):
        return _parse_date(text)
    if not text.strip():
        raise AbmError("expected a value, got nothing")
    return text.strip()


def parse_number(text: str) -> float:
    try:
        number = float(text.strip().replace(",", ""))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise AbmError(f"expected a number, got {text.strip()!r}")
    return number


def parse_whole(text: str) -> int:
    """A whole number typed for points, a limit or a window: 12.5 is refused rather than truncated."""
    number = parse_number(text)
    if not number.is_integer():
        raise AbmError(f"expected a whole number, got {text.strip()!r}")
    return int(number)


def _parse_bool(text: str) -> bool:
    if text.strip().lower() not in ("true", "false"):
        raise AbmError(f"expected true or false, got {text.strip()!r}")
    return text.strip().lower() == "true"


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise AbmError(f"expected a date such as 2026-11-20, got {text.strip()!r}") from None


def rename(plan: Plan, section: Section | str, index: int, name: str) -> Plan:
    """A new name for a rule, carried into the plays that refer to it, so no play is orphaned."""
    kind, rules = _section(plan, section, index)
    name = name.strip()
    old = rules[index].name
    if not name:
        raise AbmError("expected a name, got nothing")
    if kind.fallback and name.casefold() == kind.fallback.casefold():
        raise AbmError(f'"{kind.fallback}" is where accounts no rule takes are counted; choose another name')
    if name != old and name in {r.name for r in rules}:
        raise AbmError(f'"{name}" is already the name of another rule in {kind.key}')
    changed = _replace_rule(plan, kind, index, name=name)
    key = kind.play_key
    if key is None:
        return changed

    def carried(names: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if names is None else tuple(name if n == old else n for n in names)

    plays = []
    for play in changed.plays:
        renamed: dict[str, Any] = {key: carried(getattr(play, key))}
        plays.append(replace(play, **renamed))
    return replace(changed, plays=tuple(plays))


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


def with_half_life(plan: Plan, channel: str, days: float) -> Plan:
    """A half-life of 0 would make every event worthless at once: the plan format wants more than 0 days."""
    if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
        raise AbmError(f"the half-life of {channel} must stay above 0 days")
    e = plan.engagement
    half_lives = tuple((c, float(days) if c == channel else d) for c, d in e.half_life_days)
    return replace(plan, engagement=replace(e, half_life_days=half_lives))


def with_window(plan: Plan, setting: str, days: int) -> Plan:
    """`recent_days` or `window_days`, kept at least one day."""
    e = plan.engagement
    days = max(1, days)
    if setting == "recent_days":
        return replace(plan, engagement=replace(e, recent_days=days))
    return replace(plan, engagement=replace(e, window_days=days))


def with_weight(plan: Plan, channel: str, weight: float) -> Plan:
    e = plan.engagement
    weights = tuple((c, weight if c == channel else w) for c, w in e.weights)
    return replace(plan, engagement=replace(e, weights=weights))


WINDOWS = ("recent_days", "window_days")


def nudged(plan: Plan, target: Target, direction: int, large: bool) -> Plan:
    """The plan with the number under the cursor moved one step: a test's value, a criterion's
    points, a tier's limit, a window, a channel weight or a channel's half-life."""
    e = plan.engagement
    if target.section == "engagement" and target.setting:
        if target.setting in WINDOWS:
            return with_window(plan, target.setting, int(nudge(getattr(e, target.setting), direction, large)))
        if target.setting == "half_life_days" and target.column:
            return with_half_life(plan, target.column,
                                  nudge(dict(e.half_life_days)[target.column], direction, large))
        return with_weight(plan, target.setting, max(0.0, float(nudge(e.weight(target.setting), direction, large))))
    index = target.index
    if index is None:
        raise AbmError("move to a threshold, a criterion's points or a tier's limit to nudge it")
    if target.column and target.op:
        value = get_test(plan, target.section, index, target.column, target.op)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AbmError(f"{target.column} {target.op} is not a number; press Enter to edit it")
        return set_test(plan, target.section, index, target.column, target.op, nudge(value, direction, large))
    if target.section == Section.CRITERIA:
        return set_points(plan, index, int(nudge(plan.criteria[index].points, direction, large)))
    limit = plan.tiers[index].limit if target.section == Section.TIERS else None
    if limit is not None:
        return set_limit(plan, index, max(1, int(nudge(limit, direction, large))))
    raise AbmError("move to a threshold, a criterion's points or a tier's limit to nudge it")


Editable = tuple[str, object, Callable[[str], Plan]]


def editable(plan: Plan, target: Target) -> Editable | None:
    """What Enter edits under the cursor: a title, the current value, and how typed text changes the plan."""
    if target.section == "engagement" and target.setting:
        return _editable_setting(plan, target.setting, target.column)
    index = target.index
    if index is None or target.section == "plays":
        return None
    if target.column and target.op and target.op != "*":
        return _editable_test(plan, target.section, index, target.column, target.op)
    if target.section == Section.CRITERIA:
        def points(text: str) -> Plan:
            return set_points(plan, index, parse_whole(text))
        return f"points for {plan.criteria[index].name}", plan.criteria[index].points, points
    if target.section == Section.TIERS:
        def limit(text: str) -> Plan:
            cleared = text.strip().lower() in ("", "none")
            return set_limit(plan, index, None if cleared else parse_whole(text))
        tier: Tier = plan.tiers[index]
        return f"limit for {tier.name} (none: no limit)", tier.limit if tier.limit else "none", limit
    return None


def _editable_setting(plan: Plan, setting: str, channel: str | None) -> Editable:
    e = plan.engagement
    if setting in WINDOWS:
        def days(text: str) -> Plan:
            return with_window(plan, setting, parse_whole(text))
        return f"engagement.{setting}", getattr(e, setting), days
    if setting == "half_life_days" and channel:
        def half_life(text: str) -> Plan:
            return with_half_life(plan, channel, parse_number(text))
        return f"half-life of {channel} in days", dict(e.half_life_days)[channel], half_life

    def weight(text: str) -> Plan:
        return with_weight(plan, setting, parse_number(text))
    return f"weight of {setting}", e.weight(setting), weight


def _editable_test(plan: Plan, section: str, index: int, column: str, op: str) -> Editable:
    value = get_test(plan, section, index, column, op)
    shown = "" if value is None else value
    title = f"{section}[{index}]: {rules.describe_compare(Compare(column, op, shown))}"

    def test(text: str) -> Plan:
        parsed: Value
        if isinstance(value, tuple):
            parsed = tuple(parse_value(part, value[0]) for part in text.split(",") if part.strip())
        else:
            parsed = parse_value(text, "" if value is None else value)
        return set_test(plan, section, index, column, op, parsed)
    return title, value, test
