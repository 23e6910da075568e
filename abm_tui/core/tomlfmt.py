"""TOML layout for plans: tomli-w formats every value; we keep rule conditions inline.

tomli-w writes every nested table as its own `[tiers.where.fit_score]` section, which scatters one
rule over many lines. Planners read and diff plans in git, so `where` stays one inline table per rule,
as in the design's examples. Output is checked by parsing it back in the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import tomli_w

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def dumps(doc: Mapping[str, Any]) -> str:
    """Tables inside arrays of tables (a rule's `where`) are written inline; others as sections."""
    return "".join(_table(doc, "")).lstrip("\n")


def _table(table: Mapping[str, Any], name: str) -> Iterator[str]:
    literals = [(k, v) for k, v in table.items() if not _is_table(v) and not _is_array_of_tables(v)]
    if name and (literals or not table):
        yield f"\n[{name}]\n"
    yield from (f"{_key(k)} = {_inline(v)}\n" for k, v in literals)
    for key, value in table.items():
        child = f"{name}.{_key(key)}" if name else _key(key)
        if _is_table(value):
            yield from _table(value, child)
        elif _is_array_of_tables(value):
            for item in value:
                yield f"\n[[{child}]]\n"
                yield from (f"{_key(k)} = {_inline(v)}\n" for k, v in item.items())


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_array_of_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _scalar(key)


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")
