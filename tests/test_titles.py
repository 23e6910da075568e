"""The title classifier against a hand-labelled set of real-looking B2B titles (tests/data/titles.csv).

Accuracy is measured per dimension over the titles that have an expected label (a blank expected seniority means
the title names none, and the classifier must then leave it unread, not guess). The floor is what the shipped
rules must keep; the measured figures are printed with `-s` and written in the helper's notes.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from abm_tui.errors import AbmError
from abm_tui.ingest.titles import Function, Seniority, TitleRule, read_titles, rules_table

SET = Path(__file__).parent / "data" / "titles.csv"
FLOOR = 0.90


def _scored() -> pl.DataFrame:
    expected = pl.read_csv(SET, infer_schema=False)
    read = read_titles(expected.get_column("title")).frame
    return expected.hstack(read.select(pl.all().cast(pl.String).name.prefix("got_")))


def _accuracy(scored: pl.DataFrame, column: str) -> float:
    got, want = pl.col(f"got_{column}"), pl.col(column)
    return scored.select(got.eq_missing(want).mean()).item()


def test_the_set_is_large_and_labelled_with_the_enums() -> None:
    expected = pl.read_csv(SET, infer_schema=False)
    assert expected.height >= 300
    assert set(expected.get_column("function").drop_nulls()) <= {f.value for f in Function}
    assert set(expected.get_column("seniority").drop_nulls()) <= {s.value for s in Seniority}


@pytest.mark.parametrize("column", ["function", "seniority"])
def test_accuracy_floor(column: str) -> None:
    scored = _scored()
    accuracy = _accuracy(scored, column)
    wrong = scored.filter(pl.col(f"got_{column}").ne_missing(pl.col(column)))
    print(f"{column}: {accuracy:.1%} of {scored.height} titles; wrong: {wrong.rows()[:40]}")
    assert accuracy >= FLOOR


def test_the_issue_examples() -> None:
    read = read_titles(pl.Series(["VP, Demand Generation", "Head of RevOps", "Chief Revenue Officer"])).frame
    assert read.rows() == [("Marketing", "VP"), ("Revenue Operations", "Director"), ("Executive", "C-level")]


def test_unreadable_titles_are_counted_and_listed_not_guessed() -> None:
    titles = pl.Series(["12345", "12345", "x" * 10_000, "Marketing", None, " ", "CMO"])
    read = read_titles(titles)
    assert read.frame.get_column("function").to_list()[:4] == [None, None, None, "Marketing"]
    assert read.frame.get_column("seniority").to_list()[3] is None
    assert read.titled == 5
    unread = dict(zip(read.unread.get_column("job_title"), read.unread.get_column("contacts"), strict=True))
    assert unread["12345"] == 2 and unread["Marketing"] == 1 and len(unread) == 3
    summary = "\n".join(read.summary())
    assert "1 of 5 read" in summary and "'12345' x2: no function and seniority" in summary
    assert "..." in summary  # the 10,000-character cell is shortened in the listing


def test_a_planners_rules_come_first() -> None:
    titles = pl.Series(["Growth Hacker", "Chief Happiness Officer", "Ninja"])
    extra = (TitleRule(Function.HR, ("chief happiness*",)), TitleRule(Seniority.IC, ("ninja",)),
             TitleRule(Function.ENGINEERING, ("ninja",)))
    assert read_titles(titles, extra).frame.rows() == [
        ("Marketing", "Individual contributor"), ("HR", "C-level"), ("Engineering", "Individual contributor")]


def test_a_rule_word_without_letters_is_refused() -> None:
    with pytest.raises(AbmError, match=r"titles\[0\]: the word '--' has no letters"):
        read_titles(pl.Series(["CEO"]), (TitleRule(Function.HR, ("--",)),))


def test_readme_shows_every_shipped_rule() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Contacts and the buying committee", 1)[1].split("\n## ", 1)[0]
    shown = [tuple(cell.strip().strip("`") for cell in row.split("|")[1:4])
             for row in section.splitlines() if re.match(r"\| (function|seniority) \|", row)]
    assert shown == rules_table()
