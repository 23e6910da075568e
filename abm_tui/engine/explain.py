"""Why an account sits where it does, in words a planner can read aloud to sales.

`explain_account` walks one account through every rule, showing the values that made each test pass or fail.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from abm_tui.engine.features import PERIODS, decayed_name, decaying
from abm_tui.engine.segment import Assignment, Engine, met_lists
from abm_tui.errors import AbmError, nearest
from abm_tui.plan import rules
from abm_tui.plan.model import AllOf, Compare, Condition, Plan

_NEAREST_ID_LIMIT = 50_000


# --- one account ----------------------------------------------------------------------------


def find_row(engine: Engine, account_id: str, source: str) -> int:
    ids = engine.table.get_column("account_id")
    hits = (ids == account_id).arg_true()
    if hits.len() == 0:
        hits = (ids.str.to_lowercase() == account_id.strip().lower()).arg_true()
    if hits.len() == 0:
        hint = nearest(account_id, ids.to_list()) if ids.len() <= _NEAREST_ID_LIMIT else ""
        raise AbmError(f"{source}: no account with account_id {account_id!r}{hint}")
    return int(hits[0])


def explain_account(engine: Engine, plan: Plan, a: Assignment, as_of: dt.date, source: str, account_id: str) -> str:
    """`source` names the accounts file in the message when the id is unknown."""
    row = find_row(engine, account_id, source)
    frame = _row_frame(engine, plan, a, row)
    values = frame.row(0, named=True)
    lines = [_heading(values, plan, as_of)]
    lines += _fit_lines(plan, frame, a, row)
    lines += _first_match_lines("Bucket", plan.buckets, a.bucket_labels, int(a.bucket[row]), frame)
    lines += _first_match_lines("Stage", plan.stages, a.stage_labels, int(a.stage[row]), frame)
    lines += _tier_lines(plan, a, row, frame, engine.channels is not None)
    lines += _play_lines(plan, a, row)
    if engine.channels is not None:
        lines += _engagement_lines(values, engine.channels, plan, as_of)
    return "\n".join(lines)


def _row_frame(engine: Engine, plan: Plan, a: Assignment, row: int) -> pl.DataFrame:
    base = engine.frame(plan).slice(row, 1)
    met = met_lists(a.criteria_met, a.criteria_names).slice(row, 1)
    return base.with_columns(
        pl.Series("fit_score", a.fit_score[row : row + 1]),
        met,
        pl.Series("bucket", [a.bucket_labels[a.bucket[row]]]),
        pl.Series("stage", [a.stage_labels[a.stage[row]]]),
        pl.Series("tier", [a.tier_labels[a.tier[row]]]),
    )


def _heading(values: dict, plan: Plan, as_of: dt.date) -> str:
    who = values.get("name") or values["account_id"]
    extra = ", ".join(str(values[k]) for k in ("account_id", "domain") if values.get(k))
    return f"{who} ({extra})\nplan {plan.name!r}, as of {as_of.isoformat()}\n"


def _holds(condition: Condition, frame: pl.DataFrame) -> bool:
    return bool(frame.select(rules.to_expr(condition, frame.schema)).item())


def _evidence(condition: Condition, frame: pl.DataFrame) -> str:
    """The account's own values for the columns a test reads."""
    shown = []
    for column in sorted(rules.columns(condition)):
        if column in frame.columns:
            value = frame.get_column(column)[0]
            shown.append(
                f"{column} is {rules.format_value(value.to_list() if isinstance(value, pl.Series) else value)}"
            )
    return "; ".join(shown)


def _test_lines(where: AllOf, frame: pl.DataFrame, indent: str = "      ") -> list[str]:
    items = where.items or (where,)
    out = []
    for item in items:
        mark = "✓" if _holds(item, frame) else "✗"
        said = rules.describe_compare(item) if isinstance(item, Compare) else rules.describe(item)
        evidence = _evidence(item, frame)
        out.append(f"{indent}{mark} {said}" + (f"  ({evidence})" if evidence else ""))
    return out


def _fit_lines(plan: Plan, frame: pl.DataFrame, a: Assignment, row: int) -> list[str]:
    possible = sum(c.points for c in plan.criteria if c.enabled and c.points > 0)
    lines = [f"Fit score {a.fit_score[row]}  (the criteria are worth {possible} points in all)"]
    for criterion in plan.criteria:
        if not criterion.enabled:
            lines.append(f"  - {criterion.name} (off)")
            continue
        met = _holds(criterion.where, frame)
        lines.append(f"  {'✓ met' if met else '✗ missed'} {criterion.name} ({criterion.points:+d} points)")
        lines += _test_lines(criterion.where, frame)
    return lines + [""]


def _first_match_lines(
    title: str, section: tuple, labels: tuple[str, ...], code: int, frame: pl.DataFrame
) -> list[str]:
    lines = [f"{title}: {labels[code]}" + ("  (no rule matched)" if code == len(section) else "")]
    for i, rule in enumerate(section[: code + 1]):
        if not rule.enabled:
            lines.append(f"  - {rule.name} (off)")
            continue
        lines.append(f"  {'→ fired' if i == code else '✗ did not match'}: {rule.name}")
        lines += _test_lines(rule.where, frame)
    return lines + [""]


def _tier_lines(plan: Plan, a: Assignment, row: int, frame: pl.DataFrame, has_engagement: bool) -> list[str]:
    code = int(a.tier[row])
    motion = plan.tiers[code].motion if code < len(plan.tiers) else None
    lines = [
        f"Tier: {a.tier_labels[code]}"
        + (f" ({motion})" if motion else "")
        + ("  (no tier rule took it)" if code == len(plan.tiers) else "")
    ]
    for i, tier in enumerate(plan.tiers[: code + 1]):
        if not tier.enabled:
            lines.append(f"  - {tier.name} (off)")
            continue
        if i == code:
            lines.append(f"  → fired: {tier.name}")
        elif _holds(tier.where, frame):
            lines.append(
                f"  ✗ matched {tier.name}, but it is not among the best {tier.limit:,} by "
                f"{', then '.join(tier.ranking(has_engagement))} ({a.cut_by_limit[i]:,} matching accounts fell through)"
            )
        else:
            lines.append(f"  ✗ did not match: {tier.name}")
        lines += _test_lines(tier.where, frame)
    return lines + [""]


def _play_lines(plan: Plan, a: Assignment, row: int) -> list[str]:
    code = int(a.play[row])
    if code == len(plan.plays):
        return ["Play: none of the plan's plays covers this tier, stage and bucket", ""]
    play = plan.plays[code]
    return [
        f"Play: {a.play_labels[code]}",
        f"  campaign: {play.campaign}",
        f"  CTA: {play.cta}",
        f"  sales action: {play.sales_action}",
        "",
    ]


def _engagement_lines(values: dict, channels: tuple[str, ...], plan: Plan, as_of: dt.date) -> list[str]:
    """The counts as they happened, and for a channel with a half-life what they are worth to the scores now."""
    e = plan.engagement
    fading = decaying(channels, e.half_life_days)
    decay = "; scores decay with age: " + ", ".join(
        f"{c} half-life {rules.format_value(e.half_life(c))} days" for c in fading
    ) if fading else ""
    lines = [f"Engagement (recent = last {e.recent_days} days, window = last {e.window_days} days, "
             f"to {as_of}{decay})"]
    lines.append(
        "  weighted score: "
        + ", ".join(f"{p} {rules.format_value(round(values[f'engagement_{p}'], 2))}" for p in PERIODS)
    )
    active = [c for c in channels if values.get(f"{c}_total")]
    for channel in active:
        counts = " / ".join(rules.format_value(values[f"{channel}_{p}"]) for p in PERIODS)
        after = ("; after decay " + " / ".join(rules.format_value(values[decayed_name(channel, p)]) for p in PERIODS)
                 if channel in fading else "")
        lines.append(f"  {channel:<20} {counts}   (weight {rules.format_value(e.weight(channel))}{after})")
    if not active:
        lines.append("  no engagement on record")
    days = values.get("days_since_engaged")
    lines.append(f"  days since engaged: {'never' if days is None else days}")
    lines.append(f"  intent themes: {', '.join(values.get('intent_themes') or []) or 'none'}")
    lines.append(f"  personas engaged: {', '.join(values.get('personas_engaged') or []) or 'none'}")
    return lines
