"""Writing the deck into its folder: every file first into a staging folder inside it, then moved into place, so a
failure midway leaves the previous deck whole; and never over a file the deck did not write.

The folder keeps a list of what the deck wrote there (`.abm-tui-deck`); a file of the same name as one of the
deck's that is not on that list is the planner's, and the deck refuses before writing anything.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from abm_tui.errors import AbmError
from abm_tui.files import guard_inputs, write_text
from abm_tui.outputs.deck.content import Block, Chart
from abm_tui.outputs.deck.html import deck_html
from abm_tui.outputs.deck.markdown import chart_path, deck_markdown

HTML_FILE, MARKDOWN_FILE = "deck.html", "deck.md"
LEDGER = ".abm-tui-deck"  # the files the deck wrote in this folder, one relative path a line


def deck_files(blocks: list[Block]) -> dict[str, str]:
    """Every file of the deck, by its path relative to the folder: the page, the Markdown and its charts."""
    charts = {chart_path(b): b.svg + "\n" for b in blocks if isinstance(b, Chart)}
    return {HTML_FILE: deck_html(blocks), MARKDOWN_FILE: deck_markdown(blocks), **charts}


def written_before(out_dir: Path) -> set[str]:
    ledger = out_dir / LEDGER
    try:
        return set(ledger.read_text(encoding="utf-8").split()) if ledger.is_file() else set()
    except (OSError, UnicodeDecodeError) as err:
        raise AbmError(f"{ledger}: cannot read the list of files the deck wrote ({err})") from err


def check_owned(out_dir: Path, names: list[str]) -> set[str]:
    """The deck's files from an earlier deck; any other file in the way is refused, naming it."""
    before = written_before(out_dir)
    for name in names:
        target = out_dir / name
        if (target.exists() or target.is_symlink()) and name not in before:
            raise AbmError(f"{target}: already exists and was not written by `abm-tui deck`; choose another --out "
                           "folder or move the file")
    return before


def write_deck(blocks: list[Block], out_dir: Path, inputs: set[Path]) -> list[Path]:
    """The deck's files in `out_dir`, staged and then moved; files of an earlier deck it no longer has are removed."""
    files = deck_files(blocks)
    names = sorted(files)
    guard_inputs([out_dir / name for name in names], inputs)
    before = check_owned(out_dir, names)
    # First the ledger, naming the old and the new files: a folder that cannot be written is refused here, naming
    # the folder, and a deck cut short still owns whatever of its files made it into place.
    write_text(out_dir / LEDGER, "\n".join(sorted(before | set(names))) + "\n")
    staging = out_dir / f".deck-staging-{os.getpid()}"
    try:
        for name, text in files.items():
            write_text(staging / name, text)
        for name in names:
            _move(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for stale in sorted(before - set(names)):
        (out_dir / stale).unlink(missing_ok=True)
    write_text(out_dir / LEDGER, "\n".join(names) + "\n")
    return [out_dir / name for name in (HTML_FILE, MARKDOWN_FILE)]


def _move(source: Path, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    except OSError as err:
        raise AbmError(f"{target}: cannot write: {(err.strerror or str(err)).lower()}") from err
