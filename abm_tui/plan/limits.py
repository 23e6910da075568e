"""How large a number a plan may hold, and how deep its rules may nest.

Each bound is far beyond any real plan and well inside what the engine and every SQL engine hold
exactly: points are summed into a 64-bit fit score (a million criteria at the largest points still
fit), weights and half-lives multiply event counts in 64-bit floats, and a `where` value is compared
with 64-bit columns. Past them Polars overflows or a warehouse disagrees, so they are refused when
the plan is read, with the key path, rather than found as a crash at run time.
"""

from __future__ import annotations

import math
import re
import sys
from decimal import Decimal

from abm_tui.plan.model import plain_number

POINTS = 1_000_000_000
WEIGHT = 1_000_000.0
DAYS = 36_500  # windows and half-lives: a hundred years
LIMIT = 1_000_000_000_000  # a tier's cap
WHOLE = 2**63 - 1  # a whole number in a `where`: what a 64-bit column holds
RULE_DEPTH = 20  # any / not levels inside one rule
RANK_KEYS = 8  # columns a tier's rank_by may name: more could never break a tie a planner would see
TOML_DEPTH = 64  # tables and arrays nested in the file itself


def number_problem(value: int | float, bound: float, what: str = "a number", lowest: float | None = None) -> str | None:
    """Why `value` is out of range (None when it is fine): not finite, or outside lowest (-bound) .. bound."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"expected {what}, got {value}"
    low = -bound if lowest is None else lowest
    if not low <= value <= bound:
        return f"expected {what} between {short(low)} and {short(bound)}, got {short(value)}"
    return None


def short(value: int | float) -> str:
    """10^30 as `1e+30`, not thirty-one digits in a message. A whole number past 1.8e308 (10^400) has no float
    to format, so Decimal says it."""
    if abs(value) < 1e15:
        return f"{plain_number(value):,}"
    try:
        return f"{float(value):.3g}"
    except OverflowError:
        return f"{Decimal(value):.2e}"


def overlong_number_line(text: str) -> str:
    """`line N: ` for the first run of more digits than Python reads as a whole number, or "" if none is found.

    Only called after the TOML reader refused such a number, to say where.
    """
    cap = sys.get_int_max_str_digits()
    found = re.search(rf"\d{{{cap + 1},}}", text) if cap else None
    return f"line {text.count(chr(10), 0, found.start()) + 1}: " if found else ""


def deepest_line(text: str) -> int | None:
    """The line on which the TOML text nests tables and arrays deeper than TOML_DEPTH, if any.

    Only called after the TOML reader ran out of stack, to say where; strings and comments are
    skipped so brackets inside them do not count.
    """
    depth, line, i, quote = 0, 1, 0, ""
    while i < len(text):
        char = text[i]
        if char == "\n":
            line += 1
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif text.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            i += len(quote) - 1
        elif char == "#":
            i = text.find("\n", i) - 1 if "\n" in text[i:] else len(text)
        elif char in "[{":
            depth += 1
            if depth > TOML_DEPTH:
                return line
        elif char in "]}":
            depth -= 1
        i += 1
    return None
