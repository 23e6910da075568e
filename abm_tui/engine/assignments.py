"""The engine's answer as one frame: one row per account, where it sits, what to run, and why.

This is a view of an Assignment, not a file: the session, the drill-down and every export read it.
`reasons` writes the short `reason` column once per combination of criteria, tier, stage and bucket.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from abm_tui.engine.segment import Assignment, Engine, criteria_patterns, met_lists
from abm_tui.plan import rules
from abm_tui.plan.model import Plan, Tier


def _labels(labels: tuple[str, ...], codes: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, labels, dtype=pl.String).gather(pl.Series(codes.astype(np.int64)))


def assignments_frame(engine: Engine, plan: Plan, a: Assignment, rows: np.ndarray | None = None) -> pl.DataFrame:
    """One row per account, in input order: who it is, where it sits, what to run, and why.

    `rows` (account positions) builds the frame for those accounts only, as a drill-down needs.
    """
    table = engine.frame(plan)
    if rows is not None:
        table = table[rows]
        a = replace(a, fit_score=a.fit_score[rows], criteria_met=a.criteria_met[rows], bucket=a.bucket[rows],
                    stage=a.stage[rows], tier=a.tier[rows], play=a.play[rows])
    tier = _labels(a.tier_labels, a.tier, "tier")
    stage = _labels(a.stage_labels, a.stage, "stage")
    motions = [t.motion or "" for t in plan.tiers] + [""]
    play_fields = {key: [getattr(p, key) for p in plan.plays] + [""] for key in ("campaign", "cta", "sales_action")}
    identity = [
        table.get_column(c) if c in table.columns else pl.Series(c, [None] * a.size, dtype=pl.String)
        for c in ("account_id", "name", "domain")
    ]
    engagement = [
        table.get_column(f"engagement_{p}") for p in ("recent", "total") if f"engagement_{p}" in table.columns
    ]
    return pl.DataFrame(
        [
            *identity,
            pl.Series("fit_score", a.fit_score),
            met_lists(a.criteria_met, a.criteria_names),
            *engagement,
            _labels(a.bucket_labels, a.bucket, "bucket"),
            tier,
            _labels(tuple(motions), a.tier, "motion"),
            stage,
            (tier + " / " + stage).alias("segment"),
            _labels(a.play_labels, a.play, "play"),
            *(_labels(tuple(values), a.play, key) for key, values in play_fields.items()),
            reasons(plan, a),
        ]
    )


def _ranked_by(tier: Tier) -> str:
    return "fit" if tier.rank_by is None else ", then ".join(tier.rank_by)


def reasons(plan: Plan, a: Assignment) -> pl.Series:
    """One line per account: fit, tier, stage and bucket, each with the rule that decided it.

    The line depends only on the account's criteria pattern, tier, stage and bucket, so it is
    written once per combination that occurs and gathered for every account.
    """
    tier_texts = [
        f"{t.name}: {rules.describe(t.where)}" + (f" (best {t.limit:,} by {_ranked_by(t)})" if t.limit else "")
        for t in plan.tiers
    ] + ["Not target: no tier rule matched"]
    stage_texts = [f"stage {s.name}: {rules.describe(s.where)}" for s in plan.stages] + [
        "Unstaged: no stage rule matched"
    ]
    bucket_texts = [f"bucket {b.name}: {rules.describe(b.where)}" for b in plan.buckets] + [
        "Unclassified: no bucket rule matched"
    ]
    patterns, pattern = criteria_patterns(a.criteria_met)
    points = np.array([c.points for c in plan.criteria if c.enabled], dtype=np.int64)
    fit_texts = [
        f"fit {int(points[row].sum())} ({', '.join(n for n, hit in zip(a.criteria_names, row, strict=True) if hit)})"
        if row.any() else "fit 0 (no criteria met)"
        for row in patterns
    ]
    dims = (len(fit_texts), len(tier_texts), len(stage_texts), len(bucket_texts))
    combined = np.ravel_multi_index((pattern, a.tier, a.stage, a.bucket), dims)
    combos, inverse = np.unique(combined, return_inverse=True)
    lines = [
        f"{fit_texts[f]}; {tier_texts[t]}; {stage_texts[s]}; {bucket_texts[b]}"
        for f, t, s, b in zip(*np.unravel_index(combos, dims), strict=True)
    ]
    return pl.Series("reason", lines, dtype=pl.String).gather(pl.Series(inverse.ravel()))
