"""The planning deck: one self-contained HTML page and the same as Markdown with SVG charts beside it.

One concept per module: `data` gathers every number from the core calls the CLI makes (Session.matrix,
the history review, the ICP report), `charts` draws them with matplotlib, `content` says what the deck
shows as neutral blocks, `html` and `markdown` render those blocks, and `folder` writes the files,
staged and then moved, never over a file the deck did not write. matplotlib is imported by `charts`
only, and nothing outside this package imports it, so no other command pays for it at start-up.
"""
