"""Errors a planner can act on: each names the file, row, column or key and what was expected.

The CLI turns an `AbmError` into one message and exit status 1; anything else is a bug.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class AbmError(Exception):
    """Bad input from the planner: shown as is, never with a traceback."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan or its data, at a key path such as `tiers[0].where.fit_score.min`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PlanError(AbmError):
    """A plan with one or more problems; all are listed so the planner can fix them in one pass."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{source}: {len(problems)} {noun}\n{listed}")


def nearest(name: str, known: Iterable[str], n: int = 3) -> str:
    """A ' (did you mean ...?)' hint, or '' when nothing is close."""
    candidates = list(known)
    close = difflib.get_close_matches(name, candidates, n=n, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)]
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(str(c)) for c in close) + "?)"


def first_line(err: BaseException) -> str:
    """A library's error, cut to its first line: enough for the planner's one-line message."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
