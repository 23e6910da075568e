"""Small helpers shared by several test modules."""

from __future__ import annotations

import polars as pl

from abm_tui.ingest.load import Events, usable


def usable_rows(events: Events) -> tuple[pl.DataFrame, int]:
    """The rows the features count, and how many the loader's checks drop (as `load_dataset` filters them)."""
    kept = events.frame.filter(usable())
    return kept, events.frame.height - kept.height
