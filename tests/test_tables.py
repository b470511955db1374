"""backprop.tables: the Markdown tables the chapters show."""

import pytest
from IPython.display import Markdown

import backprop as bp
from backprop.tables import markdown_table, table_text


def test_table_has_header_alignment_row_and_one_line_per_row():
    text = table_text(
        ["name", "value"], [("a", 1), ("$b$", 2.5)], align="lr"
    )
    assert text.splitlines() == [
        "| name | value |",
        "|---|---:|",
        "| a | 1 |",
        "| $b$ | 2.5 |",
    ]


def test_default_alignment_and_centred_columns():
    assert table_text(["x", "y"], []).splitlines()[1] == "|---|---|"
    assert (
        table_text(["x", "y"], [], align="cl").splitlines()[1]
        == "|:---:|---|"
    )


def test_markdown_table_is_an_ipython_markdown_object_with_the_same_text():
    table = markdown_table(["x"], [(1,), (2,)])
    assert isinstance(table, Markdown)
    assert table._repr_markdown_() == "| x |\n|---|\n| 1 |\n| 2 |"


def test_lazy_attribute_of_the_package():
    assert bp.tables.markdown_table is markdown_table


@pytest.mark.parametrize(
    "header, rows, align, words",
    [
        (["x", "y"], [(1, 2, 3)], None, "row 0 has 3 cells"),
        (["x", "y"], [(1, 2)], "lrr", "one of 'l', 'r', 'c' per column"),
        (["x", "y"], [(1, 2)], "lx", "one of 'l', 'r', 'c' per column"),
    ],
)
def test_bad_shapes_and_alignments_are_named(header, rows, align, words):
    with pytest.raises(ValueError, match=words):
        table_text(header, rows, align)
