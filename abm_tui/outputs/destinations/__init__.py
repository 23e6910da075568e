"""Segments back into the systems that act on them: HubSpot, Salesforce, LinkedIn and the warehouse.

Each file has the exact layout its importer expects, because a planner uploads it without
editing, and each stays under the importer's limits by splitting. Every CRM row carries the
plan's provenance label and `manifest.json` records what made each file, so a tier seen in a
CRM months later can be traced to the plan that set it. Files hold no timestamp: the same plan
on the same data writes the same bytes, so a weekly run that changed nothing shows no change.

One module per target; TARGETS is the one registry of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from abm_tui.errors import AbmError, nearest
from abm_tui.files import guard_inputs, write_csv, write_text
from abm_tui.outputs.destinations import hubspot, linkedin, salesforce, sql
from abm_tui.outputs.destinations.common import Draft, ExportContext, some
from abm_tui.outputs.destinations.linkedin import LINKEDIN_HEADER
from abm_tui.outputs.manifest import Provenance, provenance, read_manifest, write_manifest
from abm_tui.plan.model import DESTINATIONS

__all__ = ["LINKEDIN_HEADER", "TARGETS", "Delivery", "ExportContext", "Target", "deliver", "provenance",
           "write_manifest"]


@dataclass(frozen=True)
class Target:
    """A destination: how it drafts its files, and which files of an earlier delivery it owns (and replaces)."""

    build: Callable[[ExportContext, Provenance], Draft]
    owned: re.Pattern[str]


TARGETS: dict[str, Target] = {
    "hubspot": Target(hubspot.build, hubspot.OWNED), "salesforce": Target(salesforce.build, salesforce.OWNED),
    "linkedin": Target(linkedin.build, linkedin.OWNED), "sql": Target(sql.build, sql.OWNED),
}


@dataclass(frozen=True)
class Delivery:
    """The files one destination got; `rows` counts data rows written (0 for SQL)."""

    destination: str
    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    rows: int

def deliver(destination: str, context: ExportContext, out_dir: Path,
            progress: Callable[[str], None] | None = None) -> Delivery:
    """Write one destination's files into out_dir, replacing those of its earlier delivery there."""
    if destination not in TARGETS:
        raise AbmError(f"unknown destination {destination!r}; expected one of {', '.join(DESTINATIONS)}"
                       + nearest(destination, DESTINATIONS))
    if context.assignments.height != context.accounts.height:
        raise ValueError("assignments and accounts must describe the same accounts in the same order")
    earlier = read_manifest(out_dir)
    draft = TARGETS[destination].build(context, provenance(context.plan, context.as_of))
    names = [name for name, _ in draft.files]
    stale = [name for name in earlier if TARGETS[destination].owned.fullmatch(name) and name not in names]
    guard_inputs([out_dir / name for name in names + stale], set(context.inputs))
    written = []
    for name, content in draft.files:
        if progress is not None:
            progress(name)
        path = out_dir / name
        written.append(write_csv(content, path) if isinstance(content, pl.DataFrame) else write_text(path, content))
    gone = [name for name in stale if (out_dir / name).is_file()]
    for name in gone:
        (out_dir / name).unlink()
    notes = [f"removed {len(gone)} file(s) of an earlier delivery that this plan no longer makes: "
             + some(gone)] if gone else []
    return Delivery(destination, tuple(written), draft.warnings + tuple(notes), draft.rows)
