"""The deck as Markdown, each chart an SVG file beside it (`charts/NAME.svg`): for a wiki, a repository or a
slide tool that imports Markdown."""

from __future__ import annotations

from abm_tui.outputs.deck.content import Block, Chart, Heading, Paragraph, Table

CHART_FOLDER = "charts"


def chart_path(chart: Chart) -> str:
    """Where the chart's file sits, relative to the Markdown."""
    return f"{CHART_FOLDER}/{chart.name}.svg"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> str:
    rule = ["---:" if j in table.numeric else "---" for j in range(len(table.head))]
    lines = [table.head, tuple(rule), *table.rows]
    return "\n".join("| " + " | ".join(_cell(c) if i != 1 else c for c in line) + " |"
                     for i, line in enumerate(lines))


def _block(block: Block) -> str:
    match block:
        case Heading(text, level):
            return f"{'#' * level} {text}"
        case Paragraph(text):
            return text
        case Chart(_, alt, _):
            return f"![{alt}]({chart_path(block)})"
        case Table():
            return _table(block)


def deck_markdown(blocks: list[Block]) -> str:
    return "\n\n".join(_block(block) for block in blocks) + "\n"
