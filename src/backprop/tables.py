"""Markdown tables: format the tables the chapters show.

A chapter passes a header and rows of already formatted cells; the pipes,
the alignment row and the IPython display object are made here, so a code
cell shows what goes into a table rather than how it is typeset.
"""

_ALIGN = {"l": "---", "r": "---:", "c": ":---:"}


def table_text(header, rows, align=None):
    """Return the pipe-table source of header (n cells) and rows (each n cells); align is e.g. "lrr"."""
    header = [str(h) for h in header]
    align = align or "l" * len(header)
    if len(align) != len(header) or set(align) - set(_ALIGN):
        raise ValueError(
            f"align must give one of 'l', 'r', 'c' per column ({len(header)}); got {align!r}"
        )
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(_ALIGN[a] for a in align) + "|",
    ]
    for i, row in enumerate(rows):
        cells = [str(c) for c in row]
        if len(cells) != len(header):
            raise ValueError(
                f"row {i} has {len(cells)} cells; the header has {len(header)}"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_table(header, rows, align=None):
    """Return header and rows as an IPython Markdown table (str() of each cell; align: 'l', 'r', 'c' per column)."""
    from IPython.display import Markdown

    return Markdown(table_text(header, rows, align))
