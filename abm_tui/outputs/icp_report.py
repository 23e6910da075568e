"""The ICP report leaving abm-tui: gathered from a session and its history, and written as a table for people,
CSV and JSON for scripts (the shapes DESIGN.md fixes), Markdown with text bars for a planning deck, and a
plan holding the suggested criteria."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from abm_tui.engine.outcomes.backtest import Backtest
from abm_tui.engine.outcomes.lift import ROW_COLUMNS
from abm_tui.engine.outcomes.outcome import Outcome
from abm_tui.engine.outcomes.report import Earlier, IcpReport, icp_report
from abm_tui.engine.outcomes.suggest import POINTS_PER_LOG_ODDS, Suggestions
from abm_tui.errors import AbmError, first_line
from abm_tui.files import csv_text, guard_inputs, write_text
from abm_tui.history.snapshots import history_folder, list_snapshots
from abm_tui.plan.dump import dumps_plan, where_to_dict
from abm_tui.plan.model import Plan
from abm_tui.plan.paths import relocated
from abm_tui.session import Session

SHOWN_ROWS = 25  # attribute rows in the table and Markdown; CSV and JSON list them all
BAR_WIDTH = 20
REPORT_FILES = ("icp.csv", "icp.json", "icp.md")


# --- gathering ----------------------------------------------------------------------------------


def gather(session: Session, outcome: Outcome = Outcome.WON, plan: Plan | None = None) -> IcpReport:
    """The report of the session's plan; with snapshots older than its as-of date, the backtest judges the
    oldest one's tiers on today's outcomes."""
    plan = plan or session.plan
    table = session.engine.frame(plan)
    assignment = session.assignment(plan)
    codes, labels = session.engine.dimension(assignment, "tier")
    assigned = pl.DataFrame({
        "account_id": table.get_column("account_id"),
        "tier": pl.Series(labels, dtype=pl.String).gather(codes.astype("int64")),
        "fit_score": assignment.fit_score,
    })
    return icp_report(table, assigned, labels, outcome, set(session.workspace.dataset.accounts.columns),
                      earliest_snapshot(plan, session), session.as_of, session.report.accounts_file)


def earliest_snapshot(plan: Plan, session: Session) -> Earlier | None:
    """The oldest snapshot dated before the session's as-of date: the longest look back without leakage."""
    older = [s for s in list_snapshots(history_folder(plan)) if s.as_of < session.as_of]
    if not older:
        return None
    first = older[0]
    try:
        frame = first.scan().select("account_id", "tier", "fit_score").collect()
    except pl.exceptions.PolarsError as err:
        raise AbmError(f"{first.path}: cannot read account_id, tier and fit_score ({first_line(err)})") from err
    return Earlier(frame, first.tiers, first.as_of)


# --- CSV and JSON -------------------------------------------------------------------------------


def icp_csv(report: IcpReport) -> str:
    """`column,value,accounts,won,win_rate,lift,low,high`: one row per attribute value, most evidence first."""
    return csv_text(report.lift.rows.select(ROW_COLUMNS))


def icp_document(report: IcpReport) -> dict[str, Any]:
    """The JSON document: the keys DESIGN.md fixes, then `bands`, `gains` and the dates inside `backtest`,
    each row's `small` flag, and the lookalikes, misplaced and duplicate lists."""
    bt = report.backtest
    return {
        "outcome": str(report.outcome), "accounts": report.accounts, "won": report.won,
        "base_rate": report.lift.base_rate,
        "attributes": report.lift.rows.select(*ROW_COLUMNS, "small").to_dicts(),
        "suggested": [
            {"name": s.name, "points": s.points, "where": where_to_dict(s.where), "column": s.column,
             "value": s.value, "accounts": s.accounts, "won": s.won, "win_rate": s.win_rate, "lift": s.lift,
             "coefficient": s.coefficient, "evidence": s.evidence}
            for s in report.suggestions.items
        ],
        "backtest": {
            "tiers": bt.tiers.select("tier", "accounts", "won", "win_rate", "lift").to_dicts(), "auc": bt.auc,
            "bands": bt.bands.to_dicts(), "gains": bt.gains.to_dicts(),
            "tier_from": bt.tier_from and bt.tier_from.isoformat(),
            "outcome_from": bt.outcome_from and bt.outcome_from.isoformat(),
        },
        "duplicates": [{"name": d.name, "kept": d.kept, "phi": d.phi} for d in report.suggestions.duplicates],
        "misplaced": report.misplaced.select("account_id", "fit_score").to_dicts(),
        "lookalikes": report.lookalikes.to_dicts(),
        "skipped": list(report.lift.skipped),
    }


def icp_json(report: IcpReport) -> str:
    return json.dumps(icp_document(report), indent=2, default=str)


# --- words and bars -----------------------------------------------------------------------------


def bar(value: float | None, top: float, width: int = BAR_WIDTH) -> str:
    """A text bar, `value / top` of `width` characters (eighths of a block for the remainder)."""
    if value is None or top <= 0 or value != value:
        return ""
    eighths = round(max(0.0, min(value / top, 1.0)) * width * 8)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def _percent(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:.1%}"


def _lift(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:.2f}"


def heading(report: IcpReport) -> list[str]:
    return [f"{report.accounts:,} accounts, {report.won:,} {report.outcome.noun} (crm_stage "
            f"{', '.join(report.outcome.stages)}): base rate {report.lift.base_rate:.1%}"]


def attribute_rows(report: IcpReport, shown: int | None = SHOWN_ROWS) -> list[list[str]]:
    """The lift table's rows as shown to people (the first `shown`, None for all); a small row's value ends in *."""
    rows = report.lift.rows if shown is None else report.lift.rows.head(shown)
    top = top_lift(rows)
    return [
        [r["column"], r["value"] + (" *" if r["small"] else ""), f"{r['accounts']:,}", f"{r['won']:,}",
         _percent(r["win_rate"]), f"{_percent(r['low'])} – {_percent(r['high'])}", _lift(r["lift"]),
         bar(r["lift"], top)]
        for r in rows.iter_rows(named=True)
    ]


ATTRIBUTE_HEAD = ["column", "value", "accounts", "won", "win rate", "95% interval", "lift", ""]
TIER_HEAD = ["tier", "accounts", "won", "win rate", "95% interval", "lift", ""]


def rate_rows(frame: pl.DataFrame, label: str) -> list[list[str]]:
    """Tiers or bands; a target tier converting worse than Not target is flagged."""
    top = top_lift(frame)
    return [
        [r[label] + (" (below Not target)" if r.get("below_not_target") else ""), f"{r['accounts']:,}",
         f"{r['won']:,}", _percent(r["win_rate"]),
         f"{_percent(r['low'])} – {_percent(r['high'])}" if r["accounts"] else "", _lift(r["lift"]),
         bar(r["lift"], top)]
        for r in frame.iter_rows(named=True)
    ]


def top_lift(frame: pl.DataFrame) -> float:
    """The longest bar's lift: the table's largest, and at least 1 so that the base rate is never a full bar."""
    largest = frame.get_column("lift").drop_nans().max()
    return max(float(largest), 1.0) if isinstance(largest, int | float) else 1.0


def gain_rows(bt: Backtest) -> list[list[str]]:
    return [[f"top {r['top']:.0%}", f"{r['accounts']:,}", f"{r['won']:,.0f}", _percent(r["share_of_wins"]),
             bar(r["share_of_wins"], 1.0)] for r in bt.gains.iter_rows(named=True)]


def backtest_lines(bt: Backtest) -> list[str]:
    when = (f"tiers and fit scores of the snapshot of {bt.tier_from.isoformat()}, judged on outcomes of "
            f"{bt.outcome_from.isoformat() if bt.outcome_from else 'today'} (no leakage)" if bt.tier_from
            else "the current tiers and fit scores (no earlier snapshot in the history folder)")
    auc = "n/a (every account has the outcome, or none)" if bt.auc is None else f"{bt.auc:.3f}"
    top = bt.gains.row(0, named=True) if bt.gains.height else None
    gain = (f"; the top 10% by fit score hold {top['share_of_wins']:.0%} of the wins" if top else "")
    return [f"{when}: {bt.accounts:,} accounts, {bt.won:,} with the outcome",
            f"AUC of fit_score, won against not won: {auc}{gain}"]


def suggestion_lines(suggestions: Suggestions) -> list[str]:
    if not suggestions.items:
        return ["none: no attribute value wins more often than chance explains (see the README, ICP discovery)"]
    lines = [f"{s.points:+4d}  {s.evidence}" for s in suggestions.items]
    lines += [f"left out: {d.name} (phi {d.phi:.2f} with {d.kept}: counted once)" for d in suggestions.duplicates]
    return lines


def lookalike_rows(report: IcpReport) -> list[list[str]]:
    return [[r["tier"], r["account_id"], r["name"] or "", f"{r['fit_score']}", f"{r['icp_score']}", r["reason"]]
            for r in report.lookalikes.iter_rows(named=True)]


LOOKALIKE_HEAD = ["tier", "account_id", "name", "fit_score", "icp points", "criteria met"]


def misplaced_line(report: IcpReport) -> str:
    frame = report.misplaced
    if frame.is_empty():
        return "won outside the target tiers: none"
    shown = ", ".join(f"{r['account_id']} ({r['fit_score']})" for r in frame.head(5).iter_rows(named=True))
    return f"won outside the target tiers: {frame.height:,} (highest fit score first: {shown})"


def _aligned(head: list[str], rows: list[list[str]], text: int = 1) -> list[str]:
    """Columns padded to one width; the first `text` columns and the last (a bar or a reason) to the left."""
    widths = [max(len(h), *(len(r[j]) for r in rows)) if rows else len(h) for j, h in enumerate(head)]
    numeric = [text <= j < len(head) - 1 for j in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True))

    return [line(head).rstrip(), *(line(r).rstrip() for r in rows)]


def icp_table(report: IcpReport) -> str:
    """The report as a planner reads it in a terminal, in a minute."""
    bt = report.backtest
    out = [*heading(report), "",
           f"attributes, most evidence first (* few accounts: too few to say much; csv lists all "
           f"{report.lift.rows.height:,}):",
           *_aligned(ATTRIBUTE_HEAD, attribute_rows(report), 2), "",
           f"suggested fit criteria ({POINTS_PER_LOG_ODDS} points per e-fold of the odds; --write-plan writes them):",
           *suggestion_lines(report.suggestions), "",
           "backtest:", *backtest_lines(bt), *_aligned(TIER_HEAD, rate_rows(bt.tiers, "tier")), "",
           *_aligned(["fit_score", *TIER_HEAD[1:]], rate_rows(bt.bands, "band")), "",
           *_aligned(["by fit score", "accounts", "won", "share of wins", ""], gain_rows(bt)), "",
           misplaced_line(report), "",
           "lookalikes: not yet won, most ICP points first, per tier:",
           *_aligned(LOOKALIKE_HEAD, lookalike_rows(report), 3)]
    if report.lift.skipped:
        out += ["", f"not counted (identifiers or of a kind not binned): {', '.join(report.lift.skipped)}"]
    return "\n".join(out)


def _markdown_table(head: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return [line(head), "|" + "|".join("---" for _ in head) + "|", *(line(r) for r in rows)]


def icp_markdown(report: IcpReport) -> str:
    """The report for a planning deck: Markdown tables with text bars that paste anywhere."""
    bt = report.backtest
    out = ["# ICP discovery", "", *heading(report), "",
           "## What the accounts with the outcome share", "",
           f"Most evidence first; `*` marks values with too few accounts to say much "
           f"(showing {min(SHOWN_ROWS, report.lift.rows.height)} of {report.lift.rows.height:,}).", "",
           *_markdown_table(ATTRIBUTE_HEAD[:-1] + ["lift bar"], attribute_rows(report)), "",
           "## Suggested fit criteria", "", *(f"- {line.strip()}" for line in suggestion_lines(report.suggestions)),
           "", "## Backtest", "", *(f"- {line}" for line in backtest_lines(bt)), "",
           *_markdown_table(TIER_HEAD[:-1] + ["lift bar"], rate_rows(bt.tiers, "tier")), "",
           *_markdown_table(["fit_score", *TIER_HEAD[1:-1], "lift bar"], rate_rows(bt.bands, "band")), "",
           "### Cumulative gains", "",
           *_markdown_table(["by fit score", "accounts", "won", "share of wins", "gain"], gain_rows(bt)), "",
           f"- {misplaced_line(report)}", "", "## Lookalikes", "",
           *_markdown_table(LOOKALIKE_HEAD, lookalike_rows(report))]
    return "\n".join(out)


RENDERINGS = {"table": icp_table, "csv": icp_csv, "json": icp_json, "markdown": icp_markdown}


def write_report(report: IcpReport, out_dir: Path, inputs: set[Path]) -> list[Path]:
    """icp.csv, icp.json and icp.md in `out_dir`, each atomically; never over one of the plan's inputs."""
    targets = [out_dir / name for name in REPORT_FILES]
    guard_inputs(targets, inputs)
    texts = (icp_csv(report), icp_json(report), icp_markdown(report))
    return [write_text(path, text.rstrip("\n") + "\n") for path, text in zip(targets, texts, strict=True)]


# --- the suggested plan -------------------------------------------------------------------------


def suggested_plan(plan: Plan, suggestions: Suggestions, target: Path) -> Plan:
    """The plan with the suggested criteria in place of its own, its data paths rewritten for `target`'s folder."""
    if not suggestions.items:
        raise AbmError(f"{target}: not written; there is no suggested criterion to put in it")
    moved = relocated(plan, target.parent)
    return replace(moved, name=f"{plan.name} (ICP suggested)", criteria=suggestions.criteria())


def write_plan(plan: Plan, suggestions: Suggestions, target: Path, inputs: set[Path], force: bool = False) -> Path:
    """Write the suggested plan to `target`, which must not exist unless `force` (and is never an input)."""
    guard_inputs([target], inputs)
    if target.exists() and not force:
        raise AbmError(f"{target}: already exists; choose another file or pass --force to replace it")
    return write_text(target, dumps_plan(suggested_plan(plan, suggestions, target)))
