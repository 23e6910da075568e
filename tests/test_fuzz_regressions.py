"""Reproducers the fuzz suite (tests/test_fuzz.py) found, each now a one-line refusal naming the file and what was
expected instead of an internal error."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from abm_tui import cli
from abm_tui.errors import AbmError
from abm_tui.ingest import cleaning
from abm_tui.plan.limits import short
from abm_tui.plan.parse import loads_plan

BASE = 'version = 1\n[data]\naccounts = "accounts.csv"\n'


def _said(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out + err


@pytest.mark.parametrize("number", ["1" + "0" * 400, "-1" + "0" * 400])
def test_a_where_value_past_any_float_is_refused_with_the_key_path(number: str) -> None:
    """10^400 in a `where` crashed formatting the refusal (OverflowError: int too large to convert to float)."""
    with pytest.raises(AbmError) as caught:
        loads_plan(BASE + f'[[stages]]\nname = "S"\nwhere = {{ days_since_engaged = {{ gt = {number} }} }}\n')
    message = str(caught.value)
    assert "stages[0].where.days_since_engaged.gt: expected" in message
    assert "e+400" in message


def test_short_says_numbers_of_any_size() -> None:
    assert short(10**30) == "1e+30"
    assert short(10**400) == "1.00e+400"
    assert short(-(10**4000)) == "-1.00e+4000"


def test_a_number_with_more_digits_than_python_reads_names_its_line() -> None:
    """A 5,000-digit number made tomllib raise a bare ValueError (Python's int digit cap): an internal error."""
    text = BASE + '\n[[tiers]]\nname = "T"\nwhere = { employees = { min = 1' + "0" * 5000 + " } }\n"
    with pytest.raises(AbmError, match=r"plan: line 7: a number has more digits than any plan can hold"):
        loads_plan(text)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("regressions")
    assert cli.main(["demo", "--accounts", "20", "--events", "200", "--out", str(folder)]) == 0
    return folder


def _plan_reading(demo: Path, folder: Path, accounts: str) -> Path:
    for name in ("engagement.parquet", "plan.toml", "contacts.csv"):
        shutil.copy(demo / name, folder / name)
    plan = folder / "plan.toml"
    text = plan.read_text(encoding="utf-8").replace('accounts = "accounts.csv"', f'accounts = "{accounts}"')
    plan.write_text(text, encoding="utf-8")
    return plan


@pytest.mark.parametrize("command", ["validate", "matrix", "run", "explain"])
def test_an_earlier_runs_assignments_fed_back_as_accounts_name_the_clashing_columns(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """assignments.csv holds engagement_recent: beside the engagement features that was two columns of one name
    (DuplicateError: could not create a new DataFrame) from every command."""
    plan = demo / "plan.toml"
    assert cli.main(["run", str(plan), "--out", str(tmp_path / "first"), "--no-history"]) == 0
    capsys.readouterr()
    again = _plan_reading(demo, tmp_path, "first/assignments.csv")
    extra = {"run": ["--out", str(tmp_path / "second")], "explain": ["A000001"]}.get(command, [])
    status, said = _said([command, str(again), *extra], capsys)
    assert status == 1
    assert said.strip() == (
        "abm-tui: first/assignments.csv: columns engagement_recent, engagement_total are also computed from the "
        "engagement file; expected accounts without them (rename them, or leave out the engagement file to use "
        "them as they are)"
    )
    assert not (tmp_path / "second").exists()


def test_a_snapshot_given_as_the_accounts_file_names_its_feature_columns(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = sorted((demo / "history").glob("*.parquet"))[0]
    shutil.copy(snapshot, tmp_path / "snapshot.parquet")
    status, said = _said(["validate", str(_plan_reading(demo, tmp_path, "snapshot.parquet"))], capsys)
    assert status == 1
    assert "snapshot.parquet: columns engagement_recent, engagement_window, " in said
    assert "more are also computed from the engagement file" in said
    assert "internal error" not in said


def _parquet_accounts(demo: Path, folder: Path, column: str, values: pl.Expr) -> Path:
    accounts = pl.read_csv(demo / "accounts.csv", infer_schema_length=0).with_columns(values.alias(column))
    accounts.write_parquet(folder / "accounts.parquet")
    return _plan_reading(demo, folder, "accounts.parquet")


def test_contains_text_in_a_list_of_numbers_is_refused_with_the_key_path(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Parquet tech_stack of whole numbers: validate said "valid", then run and matrix said internal error
    ('list.contains' cannot check for String values in List(Int64) data)."""
    plan = _parquet_accounts(demo, tmp_path, "tech_stack", pl.lit([1, 2]))
    for command in ("validate", "run", "matrix"):
        status, said = _said([command, str(plan)], capsys)
        assert status == 1
        assert ('fit.criteria[5].where.any[0].tech_stack.contains: expected a number, got "Salesforce" '
                "(tech_stack holds lists of numbers)") in said
        assert "internal error" not in said



@pytest.mark.parametrize("cell", ["1e400", "-1e400", "9" * 400, "$" + "9" * 400, "1" + "0" * 400 + ".5"])
def test_a_figure_past_the_largest_float_is_unread_not_infinite(cell: str) -> None:
    """`1e400` read as inf (while `inf` itself is unread): a rule's min then matched it and exports wrote inf."""
    assert pl.DataFrame({"v": [cell, "$1,200"]}).select(cleaning.money("v")).to_series().to_list() == [None, 1200.0]


def test_figures_past_the_largest_float_are_counted_as_unreadable(demo: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    accounts = pl.read_csv(demo / "accounts.csv", infer_schema_length=0)
    revenue = pl.Series(["1e400", "9" * 400]).extend(accounts.get_column("annual_revenue").slice(2))
    accounts.with_columns(revenue.alias("annual_revenue")).write_csv(tmp_path / "accounts.csv")
    status, said = _said(["validate", str(_plan_reading(demo, tmp_path, "accounts.csv"))], capsys)
    assert status == 0, said
    assert 'annual_revenue: 2 values are not numbers (first at row 2: "1e400"); treated as missing' in said


@pytest.mark.parametrize(("column", "values", "said"), [
    ("opportunity_amount", pl.lit(["Salesforce", "=cmd()"]), "column opportunity_amount holds lists; expected numbers"),
    ("opportunity_amount", pl.lit(b"\x00\x01"), "column opportunity_amount holds binary data; expected numbers"),
    ("domain", pl.struct(a=pl.lit(1)), "column domain holds nested records; expected text"),
    ("domain", pl.lit(b"\x00\x01"), "column domain holds binary data; expected text"),
    ("account_id", pl.lit([], pl.List(pl.String)), "column account_id holds lists; expected one id per row"),
])
def test_a_canonical_column_of_nested_or_binary_cells_is_refused_when_read(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, values: pl.Expr, said: str
) -> None:
    """validate and matrix passed, then run said internal error (cannot cast List type to Float64 in the snapshot,
    CSV format does not support nested data, datatype binary cannot be written to CSV)."""
    plan = _parquet_accounts(demo, tmp_path, column, values)
    for command in ("validate", "run"):
        status, output = _said([command, str(plan)], capsys)
        assert status == 1
        assert output.strip().endswith(f"accounts.parquet: {said}")
    assert not (tmp_path / "exports").exists()


def test_a_list_of_text_in_a_text_column_is_still_read(demo: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    plan = _parquet_accounts(demo, tmp_path, "name", pl.lit(["Ana", "Bo"]))
    status, output = _said(["run", str(plan), "--out", str(tmp_path / "out")], capsys)
    assert status == 0, output
    assert "Ana; Bo" in (tmp_path / "out" / "assignments.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("channel", ["engagement", "Engagement"])
def test_a_channel_named_engagement_is_refused_naming_the_file(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], channel: str
) -> None:
    """Its counts were engagement_recent/_window/_total beside the weighted scores of those names: validate, run and
    explain said internal error (DuplicateError: column with name 'engagement_recent' has more than one occurrence)."""
    plan = _plan_reading(demo, tmp_path, str(demo / "accounts.csv"))
    events = pl.read_parquet(demo / "engagement.parquet")
    first = pl.int_range(pl.len()) < 3
    events.with_columns(pl.when(first).then(pl.lit(channel)).otherwise(pl.col("channel")).alias("channel")).write_parquet(
        tmp_path / "engagement.parquet")
    for argv in (["validate", str(plan)], ["run", str(plan)], ["explain", str(plan), "A000001"]):
        status, said = _said(argv, capsys)
        assert status == 1
        assert said.strip().endswith(
            "engagement.parquet: a channel is named 'engagement'; its counts would be engagement_recent, "
            "engagement_window, engagement_total, the names of the weighted scores; expected another channel name "
            "(rename it in the file)")


@pytest.mark.parametrize("count", [float("inf"), float("nan"), -float("inf")])
def test_an_engagement_count_that_is_not_finite_is_refused(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], count: float
) -> None:
    """A Parquet count of inf made every channel sum of its account nan (inf x 0 for the periods the event is not
    in) without a word, and nan fails every comparison."""
    plan = _plan_reading(demo, tmp_path, str(demo / "accounts.csv"))
    events = pl.read_parquet(demo / "engagement.parquet")
    events.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(count).otherwise(pl.col("count").cast(pl.Float64))
                        .alias("count")).write_parquet(tmp_path / "engagement.parquet")
    status, said = _said(["validate", str(plan)], capsys)
    assert status == 1
    assert said.strip().endswith(f"engagement.parquet: 1 row with a count of {count} (first at row 3); expected a "
                                 "finite number of events")
