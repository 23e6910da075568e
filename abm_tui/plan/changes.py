"""Two plans compared rule by rule, in words: what a planner changed, for `abm-tui diff` and the workbench.

A text diff of two TOML files shows moved lines and reflowed tables; a planner wants to hear "Tier 1:
fit_score ≥ 80 -> ≥ 70" and "Tier 2 now comes before Tier 1". So rules are matched by name (a rename is
a rule in the same place saying the same thing under a new name), and every condition and value is
worded by `rules`, exactly as the explain view and the workbench word them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from abm_tui.plan.model import AllOf, AnyRule, Compare, Criterion, Plan, Play, Rule, Tier, play_label
from abm_tui.plan.rules import describe, describe_compare, format_value

SECTION_TITLES = {
    "name": "Name",
    "as_of": "As of",
    "data": "Data",
    "engagement": "Engagement",
    "fit": "Fit criteria",
    "tiers": "Tiers",
    "stages": "Stages",
    "buckets": "Buckets",
    "plays": "Plays",
    "export": "Export",
    "history": "History",
}
PLAY_TEXTS = (("campaign", "campaign"), ("cta", "CTA"), ("sales_action", "sales action"))

Item = TypeVar("Item", bound=Criterion | Tier | Rule | Play)
Key = Callable[[int, Item], Hashable | None]


@dataclass(frozen=True)
class Change:
    section: str  # a key of SECTION_TITLES
    rule: str | None  # the rule, criterion or play it concerns; None for settings
    text: str  # one line a planner reads aloud


def plan_changes(before: Plan, after: Plan) -> tuple[Change, ...]:
    """In plan order: settings first (as_of, data, engagement), then fit criteria, tiers, stages, buckets, plays,
    export; identical plans give ()."""
    return (
        *_setting("name", "Name", f'"{before.name}"', f'"{after.name}"'),
        *_setting("as_of", "As of", before.as_of, after.as_of, missing="not set"),
        *_data_changes(before, after),
        *_engagement_changes(before, after),
        *_rules("fit", before.criteria, after.criteria),
        *_rules("tiers", before.tiers, after.tiers),
        *_rules("stages", before.stages, after.stages),
        *_rules("buckets", before.buckets, after.buckets),
        *_plays(before.plays, after.plays),
        *_export_changes(before, after),
        *_setting("history", "History folder", before.history.folder, after.history.folder),
    )


def describe_changes(changes: Iterable[Change]) -> str:
    """Plain text for the CLI: each section's lines under its heading, sections in plan order."""
    grouped: dict[str, list[str]] = {}
    for change in changes:
        grouped.setdefault(change.section, []).append(change.text)
    if not grouped:
        return "No changes: the two plans say the same thing."
    return "\n\n".join(
        SECTION_TITLES[section] + "\n" + "\n".join(f"  {text}" for text in texts) for section, texts in grouped.items()
    )


# --- settings -------------------------------------------------------------------------------


def _show(value: object, missing: str = "none") -> str:
    if value is None or value == ():
        return missing
    if isinstance(value, tuple):
        return ", ".join(format_value(v) for v in value)
    return format_value(value)


def _setting(section: str, label: str, old: object, new: object, missing: str = "none") -> list[Change]:
    if old == new:
        return []
    return [Change(section, None, f"{label}: {_show(old, missing)} -> {_show(new, missing)}")]


def _keyed(
    section: str, label: str, old: tuple[tuple[str, object], ...], new: tuple[tuple[str, object], ...],
    show: Callable[[object | None], str],
) -> list[Change]:
    """Per-key changes of a `name = value` table; a key missing on one side is shown by `show(None)`."""
    before, after = dict(old), dict(new)
    return [
        Change(section, None, f"{label.format(key)}: {show(before.get(key))} -> {show(after.get(key))}")
        for key in dict.fromkeys([*after, *before])
        if before.get(key) != after.get(key)
    ]


def _data_changes(before: Plan, after: Plan) -> list[Change]:
    old, new = before.data, after.data
    return [
        *_setting("data", "Accounts file", old.accounts, new.accounts),
        *_setting("data", "Accounts sheet", old.sheet, new.sheet, missing="the first"),
        *_setting("data", "Engagement file", old.engagement, new.engagement),
        *_setting("data", "Preset", old.preset, new.preset),
        *_keyed("data", "Column {}", old.columns, new.columns,
                lambda header: "none" if header is None else f'"{header}"'),
    ]


def _engagement_changes(before: Plan, after: Plan) -> list[Change]:
    old, new = before.engagement, after.engagement
    return [
        *_setting("engagement", "Recent period", f"last {old.recent_days:,} days", f"last {new.recent_days:,} days"),
        *_setting("engagement", "Window", f"last {old.window_days:,} days", f"last {new.window_days:,} days"),
        *_keyed("engagement", "Weight for {}", old.weights, new.weights,
                lambda weight: "1 by default" if weight is None else format_value(weight)),
        *_keyed("engagement", "Half-life for {}", old.half_life_days, new.half_life_days,
                lambda days: "none" if days is None else f"{format_value(days)} days"),
    ]


def _export_changes(before: Plan, after: Plan) -> list[Change]:
    old, new = before.export, after.export
    return [
        *_setting("export", "Export to", old.to, new.to),
        *_setting("export", "HubSpot key", old.hubspot_key, new.hubspot_key),
        *_setting("export", "LinkedIn lists per", old.linkedin_per, new.linkedin_per),
        *_setting("export", "LinkedIn minimum list size", old.linkedin_min_size, new.linkedin_min_size),
        *_setting("export", "SQL dialect", old.sql_dialect, new.sql_dialect),
        *_setting("export", "SQL accounts table", old.accounts_table, new.accounts_table),
        *_setting("export", "SQL events table", old.events_table, new.events_table),
    ]


# --- rules and plays ------------------------------------------------------------------------


def _rules(section: str, before: tuple[AnyRule, ...], after: tuple[AnyRule, ...]) -> list[Change]:
    """Matched by name, then a rename: the same place and the same content under another name."""
    keys: tuple[Key, ...] = (lambda _, rule: rule.name, lambda i, rule: (i, replace(rule, name="")))
    return _section(section, before, after, keys, lambda rule: rule.name, _rule_added, _rule_edits)


def _plays(before: tuple[Play, ...], after: tuple[Play, ...]) -> list[Change]:
    """Matched by name, then (unnamed plays, or a play renamed) by the tiers, stages and buckets it covers."""
    keys: tuple[Key, ...] = (lambda _, play: play.name, lambda _, play: (play.tier, play.stage, play.bucket))
    return _section("plays", before, after, keys, play_label, _play_added, _play_edits)


def _section(
    section: str, before: Sequence[Item], after: Sequence[Item], keys: tuple[Key, ...], label: Callable[[Item], str],
    added: Callable[[Item], str], edits: Callable[[Item, Item], list[str]],
) -> list[Change]:
    """Removed rules first (they explain why later positions shift), then the new plan's rules in order."""
    pairs = _match(before, after, keys)
    gone = set(range(len(before))) - set(pairs.values())
    out = [Change(section, label(before[i]), f"{label(before[i])}: removed") for i in sorted(gone)]
    moves = _moves(pairs, [label(rule) for rule in after])
    for j, rule in enumerate(after):
        name = label(rule)
        if j not in pairs:
            out.append(Change(section, name, f"{name}: added at position {j + 1}{added(rule)}"))
            continue
        old = before[pairs[j]]
        renamed = [f"{label(old)}: renamed to {name}"] if label(old) != name else []
        said = renamed + moves.get(j, []) + [f"{name}: {text}" for text in edits(old, rule)]
        out += [Change(section, name, text) for text in said]
    return out


def _match(before: Sequence[Item], after: Sequence[Item], keys: tuple[Key, ...]) -> dict[int, int]:
    """After-position -> before-position, pass by pass; a key of None never matches."""
    pairs: dict[int, int] = {}
    for key in keys:
        waiting: dict[Hashable, list[int]] = {}
        taken = set(pairs.values())
        for i, rule in enumerate(before):
            value = key(i, rule)
            if i not in taken and value is not None:
                waiting.setdefault(value, []).append(i)
        for j, rule in enumerate(after):
            found = waiting.get(key(j, rule)) if j not in pairs else None
            if found:
                pairs[j] = found.pop(0)
    return pairs


def _moves(pairs: dict[int, int], names: list[str]) -> dict[int, list[str]]:
    """Which matched rules changed their order, said against a neighbour in the new order.

    The rules said to stay put are the most that are still in their old relative order (among equally many,
    the earliest in the old plan), so a swap reads as the rule that moved up: "Tier 2 now comes before Tier 1".
    """
    order = [j for _, j in sorted((i, j) for j, i in pairs.items())]
    longest = [1] * len(order)
    for k in reversed(range(len(order))):
        longest[k] = 1 + max((longest[m] for m in range(k + 1, len(order)) if order[m] > order[k]), default=0)
    kept: set[int] = set()
    need, last = max(longest, default=0), -1
    for k, j in enumerate(order):
        if longest[k] == need and j > last:
            kept.add(j)
            need, last = need - 1, j
    placed = sorted(pairs)
    moves = {}
    for position, j in enumerate(placed):
        if j in kept:
            continue
        if position + 1 < len(placed):
            moves[j] = [f"{names[j]} now comes before {names[placed[position + 1]]}"]
        else:
            moves[j] = [f"{names[j]} now comes after {names[placed[position - 1]]}"]
    return moves


def _rule_added(rule: AnyRule) -> str:
    extras = []
    if isinstance(rule, Criterion):
        extras.append(f"{format_value(rule.points)} point{'' if rule.points == 1 else 's'}")
    if isinstance(rule, Tier):
        extras += [rule.motion] if rule.motion else []
        extras += [f"limit {format_value(rule.limit)}"] if rule.limit is not None else []
        extras += [f"ranked by {_show(rule.rank_by)}"] if rule.rank_by is not None else []
    extras += [] if rule.enabled else ["switched off"]
    return (f" ({', '.join(extras)})" if extras else "") + f": {describe(rule.where)}"


def _rule_edits(old: AnyRule, new: AnyRule) -> list[str]:
    switched = [f"switched {'on' if new.enabled else 'off'}"] if old.enabled != new.enabled else []
    fields = [
        f"{field} {_show(getattr(old, field), missing)} -> {_show(getattr(new, field), missing)}"
        for field, missing in (("points", "none"), ("motion", "none"), ("limit", "none"), ("rank_by", "the default"))
        if getattr(old, field, None) != getattr(new, field, None)
    ]
    return switched + fields + _where_edits(old.where, new.where)


def _where_edits(old: AllOf, new: AllOf) -> list[str]:
    """Test by test when both sides are plain tables of compares; otherwise the whole condition, before and after."""
    if old == new:
        return []
    old_tests = [c for c in old.items if isinstance(c, Compare)]
    new_tests = [c for c in new.items if isinstance(c, Compare)]
    if len(old_tests) < len(old.items) or len(new_tests) < len(new.items):
        return [f"where: {describe(old)} -> {describe(new)}"]
    gone = [c for c in old_tests if c not in new_tests]
    came = [c for c in new_tests if c not in old_tests]
    texts = []
    for column in dict.fromkeys(c.column for c in gone + came):
        texts += _column_edits([c for c in gone if c.column == column], [c for c in came if c.column == column])
    return texts


def _column_edits(gone: list[Compare], came: list[Compare]) -> list[str]:
    """One column's tests: the same test with a new value, or a lone test swapped for another, reads as a change."""
    by_op = {c.op: c for c in came}
    changed: list[tuple[Compare, Compare]] = []
    removed: list[Compare] = []
    for test in gone:
        if test.op in by_op:
            changed.append((test, by_op.pop(test.op)))
        else:
            removed.append(test)
    added = list(by_op.values())
    if len(removed) == len(added) == 1:
        changed.append((removed.pop(), added.pop()))
    return (
        [f"{describe_compare(o)} -> {describe_compare(n).removeprefix(f'{n.column} ')}" for o, n in changed]
        + [f"test removed: {describe_compare(c)}" for c in removed]
        + [f"test added: {describe_compare(c)}" for c in added]
    )


def _covers(names: tuple[str, ...] | None) -> str:
    return " or ".join(names) if names else "any"


def _play_added(play: Play) -> str:
    covers = [f"{dim} {_covers(getattr(play, dim))}" for dim in ("tier", "stage", "bucket") if getattr(play, dim)]
    return f": {', '.join(covers) or 'every account'}"


def _play_edits(old: Play, new: Play) -> list[str]:
    covers = [
        f"{dim} {_covers(getattr(old, dim))} -> {_covers(getattr(new, dim))}"
        for dim in ("tier", "stage", "bucket")
        if getattr(old, dim) != getattr(new, dim)
    ]
    texts = [
        f'{word} "{getattr(old, field)}" -> "{getattr(new, field)}"'
        for field, word in PLAY_TEXTS
        if getattr(old, field) != getattr(new, field)
    ]
    return covers + texts
