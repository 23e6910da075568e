"""The deck as one self-contained HTML page: the charts inlined as SVG, no script, no external file, so it opens
from a mail attachment or a shared drive and its tables paste into slides and spreadsheets."""

from __future__ import annotations

from html import escape

from abm_tui.outputs.deck.content import Block, Chart, Heading, Paragraph, Table

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1d1d1f; padding: 0 1rem; }
h1 { font-size: 1.8rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f5f8; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
"""


def _inline(text: str) -> str:
    """Escaped text; `code` spans (the commands the deck names) as <code>."""
    parts = escape(text).split("`")
    return "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts))


def _table(table: Table) -> str:
    def cell(tag: str, j: int, text: str) -> str:
        kind = ' class="n"' if j in table.numeric else ""
        return f"<{tag}{kind}>{escape(text)}</{tag}>"

    head = "".join(cell("th", j, text) for j, text in enumerate(table.head))
    body = "\n".join("<tr>" + "".join(cell("td", j, text) for j, text in enumerate(row)) + "</tr>"
                     for row in table.rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _block(block: Block) -> str:
    match block:
        case Heading(text, level):
            return f"<h{level}>{escape(text)}</h{level}>"
        case Paragraph(text):
            return f"<p>{_inline(text)}</p>"
        case Chart(name, alt, svg):
            return f'<figure id="{name}" role="img" aria-label="{escape(alt)}">\n{svg}\n</figure>'
        case Table():
            return _table(block)


def deck_html(blocks: list[Block]) -> str:
    title = next((b.text for b in blocks if isinstance(b, Heading)), "Planning deck")
    body = "\n".join(_block(block) for block in blocks)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="generator" content="abm-tui deck">\n<title>{escape(title)}</title>\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")
