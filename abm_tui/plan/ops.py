"""The tests a `where` can make, in one table: what each takes, and how it reads in SQL and in words.

Parsing, validation, the Polars and SQL renderings and the plain-words one all look an op up here, so
a new op is one row, and the three renderings cannot drift apart on which symbol an op is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class Op(StrEnum):
    """A test's name as the TOML writes it (`fit_score = { min = 80 }`)."""

    MIN = "min"
    MAX = "max"
    GT = "gt"
    LT = "lt"
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    IS_NULL = "is_null"


class Takes(Enum):
    """The value an op takes, which is also what parsing asks for and validation checks."""

    ORDERED = "a number or a date"
    SCALAR = "a single value"
    LIST = "a non-empty list of values"
    TEXT = "a non-empty string"
    FLAG = "true or false"


@dataclass(frozen=True)
class OpSpec:
    takes: Takes
    sql: str = ""  # the SQL comparison symbol, for ops that are one
    words: str = ""  # the symbol a planner reads in the workbench and in reasons


TABLE: dict[str, OpSpec] = {
    Op.MIN: OpSpec(Takes.ORDERED, ">=", "≥"),
    Op.MAX: OpSpec(Takes.ORDERED, "<=", "≤"),
    Op.GT: OpSpec(Takes.ORDERED, ">", ">"),
    Op.LT: OpSpec(Takes.ORDERED, "<", "<"),
    Op.EQ: OpSpec(Takes.SCALAR, "=", "="),
    Op.NE: OpSpec(Takes.SCALAR, "!=", "≠"),
    Op.IN: OpSpec(Takes.LIST),
    Op.NOT_IN: OpSpec(Takes.LIST),
    Op.CONTAINS: OpSpec(Takes.TEXT),
    Op.IS_NULL: OpSpec(Takes.FLAG),
}
OPS = tuple(op.value for op in Op)
ORDER_OPS = tuple(op for op, spec in TABLE.items() if spec.takes is Takes.ORDERED)
