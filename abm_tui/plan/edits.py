"""Small, named plan changes: each returns a new Plan and leaves the old one as it was.

The session's history is a list of plans, so an edit never mutates; these helpers spare
notebooks, benchmarks and the workbench from rebuilding nested frozen dataclasses by hand.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from abm_tui.errors import AbmError, nearest
from abm_tui.plan import dump, rules
from abm_tui.plan.model import (
    AllOf,
    AnyOf,
    AnyRule,
    Compare,
    Condition,
    Criterion,
    Not,
    Plan,
    Play,
    Rule,
    Scalar,
    Section,
    Tier,
    play_label,
)
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
    _check_name(kind, name, {r.name for r in rules} - {old})
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


ANY, ALL, NOT, SQL, EVERY = "any", "all", "not", "sql", "*"  # a Target's op for a test that is not a comparison
GROUPS = (ANY, ALL, NOT)


@dataclass(frozen=True)
class Target:
    """What a node stands for: a section, a rule, one test of a rule, or an engagement setting.

    A test has its `path` in the rule's condition tree (see TestPath) and, for a comparison, its column
    and op; a group's op is ANY, ALL (an alternative of several tests) or NOT, a sql test's SQL, and the
    line of a rule without tests EVERY. A channel's weight is `setting=channel`; its half-life is
    `setting="half_life_days", column=channel`.
    """

    section: str
    index: int | None = None
    column: str | None = None
    op: str | None = None
    setting: str | None = None
    path: tuple[int, ...] | None = None

    @property
    def is_test(self) -> bool:
        return self.op is not None


_RULE_AT = re.compile(r"^(fit\.criteria|tiers|stages|buckets|plays)\[(\d+)\](?:\.where\.([^.\[\]]+)\.([a-z_]+)$)?")


def problem_target(path: str) -> Target | None:
    """The rule a problem's key path names (`fit.criteria[2].where.employes.min`), or its top-level test when
    the path names one; None for a setting. The workbench marks it, so the planner sees where to fix."""
    found = _RULE_AT.match(path)
    if found is None:
        return None
    section, index, column, op = found.groups()
    section = Section.CRITERIA.value if section == "fit.criteria" else section
    if column is not None and op in OPS:
        return Target(section, int(index), column, op)
    return Target(section, int(index))


def rename_column(plan: Plan, section: Section | str, index: int, old: str, new: str) -> Plan:
    """Every test of one rule on column `old` reads `new` instead, nested ones too: the fix for a typo'd
    column (`employes`), whose tests (its min and its max) all carry the typo."""

    def renamed(condition: Condition) -> Condition:
        if isinstance(condition, Compare):
            return replace(condition, column=new) if condition.column == old else condition
        if isinstance(condition, AllOf):
            return AllOf(tuple(renamed(item) for item in condition.items))
        if isinstance(condition, AnyOf):
            return AnyOf(tuple(AllOf((renamed(item),)) for item in condition.items))
        if isinstance(condition, Not):
            return Not(AllOf((renamed(condition.item),)))
        return condition

    rule = _section(plan, section, index)[1][index]
    return _replace_rule(plan, section, index, where=renamed(rule.where))


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
        test = test_at(plan, target)
        value = None if test is None else test.value
        if test is None or isinstance(value, bool) or not isinstance(value, int | float):
            raise AbmError(f"{target.column} {target.op} is not a number; press Enter to edit it")
        return with_test(plan, target, replace(test, value=nudge(value, direction, large)))
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
    if target.column and target.op:
        return _editable_test(plan, target)
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


def test_at(plan: Plan, target: Target) -> Compare | None:
    """The comparison a target stands for: by its path, or (a target without one) the rule's top-level
    test of its column and op."""
    if target.index is None:
        return None
    if target.path is not None:
        found = condition_at(_where(plan, target.section, target.index), target.path)
        return found if isinstance(found, Compare) else None
    value = get_test(plan, target.section, target.index, target.column or "", target.op or "")
    return None if value is None else Compare(target.column or "", target.op or "", value)


def with_test(plan: Plan, target: Target, test: Compare) -> Plan:
    """The plan with the comparison a target stands for replaced by `test`."""
    assert target.index is not None
    if target.path is not None:
        return set_condition(plan, target.section, target.index, target.path, test)
    return set_test(plan, target.section, target.index, test.column, test.op, test.value)


def _editable_test(plan: Plan, target: Target) -> Editable | None:
    found = test_at(plan, target)
    if found is None:
        return None
    test: Compare = found
    value = test.value
    title = f"{target.section}[{target.index}]: {rules.describe_compare(test)}"

    def typed(text: str) -> Plan:
        parsed: Value
        if isinstance(value, tuple):
            parsed = tuple(parse_value(part, value[0]) for part in text.split(",") if part.strip())
        else:
            parsed = parse_value(text, value)
        return with_test(plan, target, replace(test, value=parsed))
    return title, value, typed


# --- authoring: rules, tests and plays written from scratch ------------------------------------

TestPath = tuple[int, ...]
"""Where a test sits in a rule's condition tree: indexes from the rule's `where` down. In a where table
an index picks an item; under an `any` it picks an alternative (a table of its own); under a `not`, 0
is its table. `(2,)` is the third test; `(1, 0, 3)` is the fourth test of the first alternative of
the `any` that is the second test."""


def new_rule(section: Section | str, name: str, points: int = 10) -> AnyRule:
    """An empty rule of a section (it matches every account until it has tests): a criterion worth
    `points`, a tier without motion or limit, or a stage or bucket."""
    kind = _kind(section)
    if kind is Section.CRITERIA:
        return Criterion(name.strip(), points)
    if kind is Section.TIERS:
        return Tier(name.strip())
    return Rule(name.strip())


def add_rule(plan: Plan, section: Section | str, rule: AnyRule, index: int | None = None) -> Plan:
    """`rule` inserted at `index` (None: last) of a section; refused when its name is empty, the
    section's fallback label, or another rule's, since plays and the matrix refer to rules by name."""
    kind = _kind(section)
    expected = {Section.CRITERIA: Criterion, Section.TIERS: Tier}.get(kind, Rule)
    if type(rule) is not expected:
        raise AbmError(f"{kind.key}: expected a {expected.__name__}, got a {type(rule).__name__}")
    existing = kind.rules(plan)
    _check_name(kind, rule.name, {r.name for r in existing})
    at = len(existing) if index is None else index
    if not 0 <= at <= len(existing):
        raise AbmError(f"{kind.key}: cannot insert at {at}; the plan has {len(existing)} {kind.value}")
    return kind.with_rules(plan, existing[:at] + (rule,) + existing[at:])


def _kind(section: Section | str) -> Section:
    try:
        return Section.parse(section)
    except ValueError:
        raise AbmError(f"no section {section!r}; expected one of {', '.join(Section)}") from None


def _check_name(kind: Section, name: str, taken: set[str]) -> None:
    if not name.strip():
        raise AbmError("expected a name, got nothing")
    if kind.fallback and name.strip().casefold() == kind.fallback.casefold():
        raise AbmError(f'"{kind.fallback}" is where accounts no rule takes are counted; choose another name')
    if name in taken:
        raise AbmError(f'"{name}" is already the name of another rule in {kind.key}')


def set_motion(plan: Plan, index: int, motion: str | None) -> Plan:
    """A tier's motion (how it is worked: 1:1, 1:few, 1:many); empty or None removes it."""
    return _replace_rule(plan, Section.TIERS, index, motion=(motion or "").strip() or None)


def condition_at(where: AllOf, path: TestPath) -> Condition:
    """The condition `path` points at (see TestPath); an empty path is the rule's whole `where`."""
    node: Condition = where
    for step in path:
        children = _children(node)
        if not 0 <= step < len(children):
            raise AbmError(f"no test at {list(path)} in this rule")
        node = children[step]
    return node


def _children(node: Condition) -> tuple[Condition, ...]:
    if isinstance(node, AllOf | AnyOf):
        return node.items
    if isinstance(node, Not):
        return (node.item,)
    return ()


def _rebuilt(node: Condition, path: TestPath, change: Callable[[Condition], Condition | None]) -> Condition | None:
    """`node` with the condition at `path` replaced by `change(it)`; None removes it, and a group or an
    alternative left empty goes with it (an empty table in an `any` would match every account)."""
    if not path:
        return change(node)
    step, rest = path[0], path[1:]
    children = _children(node)
    if not 0 <= step < len(children):
        raise AbmError(f"no test at {list(path)} in this rule")
    changed = _rebuilt(children[step], rest, change)
    kept = tuple(c for c in (*children[:step], changed, *children[step + 1 :]) if c is not None)
    if isinstance(node, AnyOf):
        alternatives = tuple(_as_all(c) for c in kept if not isinstance(c, AllOf) or c.items)
        return AnyOf(alternatives) if alternatives else None
    if isinstance(node, Not):
        return Not(_as_all(kept[0])) if kept and (not isinstance(kept[0], AllOf) or kept[0].items) else None
    return AllOf(kept)


def _as_all(condition: Condition) -> AllOf:
    return condition if isinstance(condition, AllOf) else AllOf((condition,))


def _with_where(plan: Plan, section: Section | str, index: int, where: Condition | None) -> Plan:
    where = AllOf() if where is None else _as_all(where)
    try:
        dump.where_to_dict(where)
    except ValueError as err:
        raise AbmError(f"{_kind(section).key}[{index}]: {err}") from None
    return _replace_rule(plan, section, index, where=where)


def _where(plan: Plan, section: Section | str, index: int) -> AllOf:
    return _section(plan, section, index)[1][index].where


def add_test(plan: Plan, section: Section | str, index: int, condition: Condition, into: TestPath = ()) -> Plan:
    """A test added to the where table at `into` (the rule's own `where` by default, one alternative of an
    `any`, or a `not`'s table), or, when `into` is an `any`, as a new alternative of it; refused when that
    table already tests the same column and op (or already has an `any`, a `not` or a `sql`): a TOML table
    holds each key once."""
    target = condition_at(_where(plan, section, index), into)
    if isinstance(target, Not):
        target, into = target.item, (*into, 0)

    def added(table: Condition) -> Condition:
        if isinstance(table, AnyOf):
            return AnyOf((*table.items, _as_all(condition)))
        return AllOf((*_as_all(table).items, condition))
    if not isinstance(target, AllOf | AnyOf):
        raise AbmError("add a test to a rule, to an any (a new alternative), to one of its alternatives or to a not")
    return _with_where(plan, section, index, _rebuilt(_where(plan, section, index), into, added))


def set_condition(plan: Plan, section: Section | str, index: int, path: TestPath, condition: Condition) -> Plan:
    """The test at `path` replaced by `condition` (a changed value, op or column, or a whole group)."""
    if not path:
        return _with_where(plan, section, index, condition)
    return _with_where(plan, section, index, _rebuilt(_where(plan, section, index), path, lambda _: condition))


def remove_condition(plan: Plan, section: Section | str, index: int, path: TestPath) -> Plan:
    """The test at `path` removed; an `any` alternative or a `not` left empty goes too."""
    return _with_where(plan, section, index, _rebuilt(_where(plan, section, index), path, lambda _: None))


def group_any(plan: Plan, section: Section | str, index: int, paths: tuple[TestPath, ...]) -> Plan:
    """Tests of one table made alternatives of a new `any` in their place: any one of them is then enough."""
    if not paths or len({p[:-1] for p in paths}) != 1 or any(not p for p in paths):
        raise AbmError("group tests that sit side by side in one table")
    parent, chosen = paths[0][:-1], {p[-1] for p in paths}
    where = _where(plan, section, index)
    table = condition_at(where, parent)
    if not isinstance(table, AllOf):
        raise AbmError("group tests that sit side by side in one table")
    picked = tuple(table.items[i] for i in sorted(chosen) if 0 <= i < len(table.items))
    if len(picked) != len(chosen):
        raise AbmError(f"no test at one of {[list(p) for p in paths]} in this rule")
    rest = tuple(c for i, c in enumerate(table.items) if i not in chosen)
    grouped = AllOf((*rest, AnyOf(tuple(_as_all(c) for c in picked))))
    return _with_where(plan, section, index, _rebuilt(where, parent, lambda _: grouped))


def group_not(plan: Plan, section: Section | str, index: int, path: TestPath) -> Plan:
    """The test at `path` negated (wrapped in a `not`), or a `not` unwrapped: its tests rejoin the table
    it sat in (a table in a table is flattened)."""
    if not path:
        raise AbmError("negate one test of the rule, not its whole where")

    def flipped(c: Condition) -> Condition:
        return c.item if isinstance(c, Not) else Not(_as_all(c))
    return _with_where(plan, section, index, _rebuilt(_where(plan, section, index), path, flipped))


def describe_removal(plan: Plan, section: Section | str, index: int, path: TestPath | None = None) -> str:
    """What a delete takes away, in words, for the question asked before a whole rule goes."""
    kind, found = _section(plan, section, index)
    rule = found[index]
    if path is None:
        tests = len(rule.where.items)
        plays = [play_label(p) for p in plan.plays if rule.name in (getattr(p, kind.play_key) or ())] \
            if kind.play_key else []
        said = f'{kind.key}[{index}] "{rule.name}" and its {tests} test{"s" if tests != 1 else ""}'
        return said + (f"; plays that name it: {', '.join(plays)}" if plays else "")
    return f'{rules.describe(condition_at(rule.where, path))} from "{rule.name}"'


def add_play(plan: Plan, play: Play, index: int | None = None) -> Plan:
    at = len(plan.plays) if index is None else index
    if not 0 <= at <= len(plan.plays):
        raise AbmError(f"plays: cannot insert at {at}; the plan has {len(plan.plays)} plays")
    return replace(plan, plays=(*plan.plays[:at], _checked_play(plan, play, at), *plan.plays[at:]))


def set_play(plan: Plan, index: int, **changes: Any) -> Plan:
    """A play with some of its keys changed: tier, stage, bucket (a tuple of names, or None for any),
    campaign, cta, sales_action, name. Names are checked against the plan's rules."""
    if not 0 <= index < len(plan.plays):
        raise AbmError(f"plays[{index}]: the plan has {len(plan.plays)} plays")
    changed = _checked_play(plan, replace(plan.plays[index], **changes), index)
    return replace(plan, plays=(*plan.plays[:index], changed, *plan.plays[index + 1 :]))


def delete_play(plan: Plan, index: int) -> Plan:
    if not 0 <= index < len(plan.plays):
        raise AbmError(f"plays[{index}]: the plan has {len(plan.plays)} plays")
    return replace(plan, plays=plan.plays[:index] + plan.plays[index + 1 :])


def _checked_play(plan: Plan, play: Play, index: int) -> Play:
    for kind in (Section.TIERS, Section.STAGES, Section.BUCKETS):
        key = kind.play_key
        assert key is not None
        known = [r.name for r in kind.rules(plan)] + [kind.fallback or ""]
        for name in getattr(play, key) or ():
            if name not in known:
                raise AbmError(f'plays[{index}].{key}: no {key} named "{name}"' + nearest(name, known))
    if play.name is not None and not play.name.strip():
        play = replace(play, name=None)
    return play


def set_channel(plan: Plan, channel: str, weight: float | None = None, half_life: float | None = None) -> Plan:
    """A channel's weight and half-life set, adding the channel when the plan has neither yet."""
    channel = channel.strip()
    if not channel:
        raise AbmError("expected a channel name, got nothing")
    e = plan.engagement
    if weight is not None:
        if weight < 0:
            raise AbmError(f"the weight of {channel} must be 0 or more")
        weights = dict(e.weights) | {channel: float(weight)}
        e = replace(e, weights=tuple(weights.items()))
    if half_life is not None:
        if half_life <= 0:
            raise AbmError(f"the half-life of {channel} must stay above 0 days")
        half_lives = dict(e.half_life_days) | {channel: float(half_life)}
        e = replace(e, half_life_days=tuple(half_lives.items()))
    return replace(plan, engagement=e)


def set_as_of(plan: Plan, as_of: dt.date | None) -> Plan:
    """The day engagement is measured to; None: the newest event's day."""
    return replace(plan, as_of=as_of)


def parse_test(column: str, kind: str, op: str, text: str) -> Compare:
    """A comparison typed in the rule builder: `text` read as `kind` (validate's word for the column's
    values: numbers, dates, text, lists, true/false values); an `in` list is comma-separated, and
    `is_null` reads an empty text as true."""
    op = str(op)  # an Op from the builder is kept as the plain name a parsed plan holds
    if op not in OPS:
        raise AbmError(f"unknown test {op!r}" + (nearest(op, OPS) or f"; expected one of {', '.join(OPS)}"))
    if op == "is_null":
        return Compare(column, op, True if not text.strip() else _parse_bool(text))
    likes: dict[str, Scalar] = {"numbers": 0, "dates": dt.date.min, "true/false values": False}
    like = likes.get(kind, "")
    if op in ("in", "not_in"):
        parts = tuple(parse_value(part, like) for part in text.split(",") if part.strip())
        if not parts:
            raise AbmError("expected one or more values, separated by commas")
        return Compare(column, op, parts)
    return Compare(column, op, parse_value(text, like))


def set_engagement(plan: Plan, recent_days: int, window_days: int, weights: dict[str, float],
                   half_lives: dict[str, float], as_of: dt.date | None) -> Plan:
    """The whole `[engagement]` table and `as_of` at once, as the engagement dialog sets them: a channel
    left out of `half_lives` counts fully at any age, one left out of `weights` weighs 1."""
    if recent_days < 1 or window_days < 1:
        raise AbmError("the windows must be at least 1 day")
    if recent_days > window_days:
        raise AbmError(f"the recent window ({recent_days} days) must fit in the whole window ({window_days} days)")
    for channel, weight in weights.items():
        if weight < 0:
            raise AbmError(f"the weight of {channel} must be 0 or more")
    for channel, days in half_lives.items():
        if days <= 0:
            raise AbmError(f"the half-life of {channel} must stay above 0 days")
    engagement = replace(plan.engagement, recent_days=recent_days, window_days=window_days,
                         weights=tuple(weights.items()), half_life_days=tuple(half_lives.items()))
    return replace(plan, engagement=engagement, as_of=as_of)
