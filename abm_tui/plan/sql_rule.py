"""A plan's `sql` rule, checked on a parse tree before any engine sees it, and rendered from that tree.

Polars' and DuckDB's SQL parsers run table functions while parsing (`read_csv` inside a subquery
opens the file, and the error then quotes its first line), so the rule's text is never handed to
them as written. sqlglot parses it into a tree, the tree is held to an allow-list of node types (the
account's own columns, literals, operators, CASE, CAST to plain types and a short list of scalar
functions), and both renderings, the Polars expression and the exported SQL, are generated from the
same checked tree. So a trailing `--` comment cannot swallow what follows it, and division is the
same everywhere: true division, and division by zero gives a missing value, so the comparison around
it is false (Postgres would otherwise divide whole numbers as whole numbers, and raise on zero).
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from abm_tui.errors import AbmError, first_line

_STRUCTURE: tuple[type[exp.Expr], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Neg, exp.Not,
    exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between,
    exp.Like, exp.ILike, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe, exp.Case, exp.If,
    exp.Cast, exp.DataType,
)
FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Abs: "abs", exp.Ceil: "ceil", exp.Floor: "floor", exp.Sqrt: "sqrt",
    exp.Coalesce: "coalesce", exp.Nullif: "nullif", exp.Greatest: "greatest", exp.Least: "least",
    exp.Lower: "lower", exp.Upper: "upper", exp.Length: "length", exp.Trim: "trim",
    exp.StrPosition: "strpos", exp.StartsWith: "starts_with",
}
_TYPES = {
    exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT, exp.DataType.Type.BIGINT,
    exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE, exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT,
    exp.DataType.Type.BOOLEAN, exp.DataType.Type.DATE,
}
_ALLOWED = (*_STRUCTURE, *FUNCTIONS)
_WHOLE = {exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT, exp.DataType.Type.BIGINT}
_DECIMAL = {exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE}
# nodes whose value is a decimal when any operand is one
_CARRIES = (exp.Paren, exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.Mod, exp.Abs, exp.Ceil, exp.Floor, exp.Coalesce,
            exp.Nullif, exp.Greatest, exp.Least, exp.Case, exp.If)


class SqlRefused(AbmError):
    """A `sql` rule outside the allow-list, or one that does not parse; the message has no key path,
    which the caller adds."""


@lru_cache(maxsize=4096)
def checked(text: str) -> exp.Expr:
    """The rule's parse tree, held to the allow-list; raises SqlRefused saying what is not allowed."""
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as err:
        raise SqlRefused(_parse_failure(err)) from None
    except sqlglot.errors.SqlglotError as err:
        raise SqlRefused(f"does not parse as SQL: {first_line(err)}") from None
    if len(statements) != 1:
        raise SqlRefused("expected one true/false expression; `;` ends a statement, which a rule may not hold")
    tree = statements[0]
    for node in tree.walk():
        problem = _refusal(node)
        if problem:
            raise SqlRefused(problem)
    return tree


def _parse_failure(err: sqlglot.errors.ParseError) -> str:
    """sqlglot's first error, in the planner's words: where, and what was expected when it says so."""
    found = err.errors[0] if err.errors else {}
    description = str(found.get("description", ""))
    if description.startswith("Required keyword"):
        description = "an operator or function is missing a value"
    where = f" at column {found['col']}" if found.get("col") else ""
    return f"does not parse as SQL{where}" + (f": {description}" if description else "")


def _refusal(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Select | exp.Subquery | exp.Query | exp.Table | exp.From):
        return "a sql rule may not hold a query or read a table; it tests the account's own columns"
    if isinstance(node, exp.NullSafeEQ | exp.NullSafeNEQ):
        return "null-safe comparisons (<=>, IS [NOT] DISTINCT FROM) are not run alike by every engine; use is_null"
    if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest") or node.args.get("field")):
        return "IN takes a list of values, not a query"
    if isinstance(node, exp.TryCast):
        return "TRY_CAST is not run alike by every engine (Postgres has none); use CAST"
    if isinstance(node, exp.DataType) and node.this not in _TYPES:
        return f"cannot CAST to {node.sql()}; expected INT, BIGINT, DOUBLE, VARCHAR, BOOLEAN or DATE"
    if isinstance(node, exp.Column) and node.table:
        return f"{node.sql()}: a column is named alone, without a table"
    if isinstance(node, _ALLOWED):
        return None
    if isinstance(node, exp.Func):
        name = node.sql_name().lower() if not isinstance(node, exp.Anonymous) else str(node.this).lower()
        return f"the function {name}() is not allowed; expected one of {', '.join(sorted(FUNCTIONS.values()))}"
    return f"{node.key.upper()} is not allowed in a sql rule"


def columns(text: str) -> set[str]:
    """The columns the rule reads, from the checked tree."""
    return {column.name for column in checked(text).find_all(exp.Column)}


@lru_cache(maxsize=4096)
def render(text: str, dialect: str = "duckdb", decimals: frozenset[str] = frozenset(),
           texts: frozenset[str] = frozenset()) -> str:
    """The checked rule as SQL for `dialect` ("duckdb", "postgres", or "polars" for `pl.sql_expr`):
    columns quoted (Postgres would fold them to lower case), true division, no comments. `decimals`
    names the data's decimal columns, so a warehouse truncates them when cast to whole numbers, as the
    engine does (DuckDB and Postgres round instead); `texts` its text columns, which Postgres compares
    byte-wise (`COLLATE "C"`) as Polars and DuckDB do."""
    tree = checked(text).transform(_quoted).transform(_true_division)
    if dialect == "postgres":
        tree = tree.transform(_numeric_remainder).transform(lambda node: _bytewise(node, texts))
    if dialect != "polars":
        tree = tree.transform(lambda node: _truncated(node, decimals))
    return tree.sql(dialect="duckdb" if dialect == "polars" else dialect, comments=False)


def _truncated(node: exp.Expr, decimals: frozenset[str]) -> exp.Expr:
    if isinstance(node, exp.Cast) and node.to.this in _WHOLE and _is_decimal(node.this, decimals):
        return exp.Cast(this=exp.func("TRUNC", node.this), to=node.to)
    return node


def _is_decimal(node: exp.Expr, decimals: frozenset[str]) -> bool:
    """Whether the value is a decimal by construction: a division, a decimal literal or column, a cast to
    DOUBLE, a square root, or arithmetic over one of them."""
    if isinstance(node, exp.Div | exp.Sqrt):
        return True
    if isinstance(node, exp.Literal):
        return not node.is_string and not node.this.lstrip("-").isdigit()
    if isinstance(node, exp.Cast):
        return node.to.this in _DECIMAL
    if isinstance(node, exp.Column):
        return node.name in decimals
    if isinstance(node, _CARRIES):
        return any(_is_decimal(child, decimals) for child in node.iter_expressions())
    return False


def _quoted(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Column):
        return exp.column(exp.to_identifier(node.name, quoted=True))
    return node


def _true_division(node: exp.Expr) -> exp.Expr:
    """`a / b` divides as decimals and `a / 0`, `a % 0` are missing values on every engine (DuckDB and
    Postgres raise on a zero divisor, Polars gives null; Postgres divides whole numbers as whole numbers)."""
    if not isinstance(node, exp.Div | exp.Mod):
        return node
    right = node.right
    nonzero = isinstance(right, exp.Literal) and not right.is_string and float(right.this) != 0
    denominator = right if nonzero else exp.Nullif(this=right, expression=exp.Literal.number(0))
    if isinstance(node, exp.Mod):
        return exp.Mod(this=node.left, expression=denominator)
    return exp.Div(this=exp.Cast(this=node.left, to=exp.DataType.build("DOUBLE")), expression=denominator)


def _bytewise(node: exp.Expr, texts: frozenset[str]) -> exp.Expr:
    """Not inside lower() or upper(): under "C" they change only ASCII letters on Postgres."""
    if isinstance(node, exp.Column) and node.name in texts and not isinstance(node.parent, exp.Lower | exp.Upper):
        return exp.Paren(this=exp.Collate(this=node, expression=exp.Identifier(this="C", quoted=True)))
    return node


def _numeric_remainder(node: exp.Expr) -> exp.Expr:
    """Postgres has `%` for whole numbers and NUMERIC only; the engine also takes it on decimals."""
    if not isinstance(node, exp.Mod):
        return node
    operands = (exp.Cast(this=side, to=exp.DataType.build("DECIMAL")) for side in (node.left, node.right))
    return exp.Mod(this=next(operands), expression=next(operands))
