"""The prose of chapters 7 and 8: links that read as prose, no typed facts.

- every {doc} link carries explicit text (a bare {doc} pastes a title);
- the digit network's sizes and parameter count come from bp.data
  through {eval}, never typed (review 7.1, 8.8);
- every name the prose quotes with {eval} is bound by a cell above it;
- every code line fits the 76-column text width.
"""

import re
from pathlib import Path

import pytest

import backprop as bp
import test_lab as lab

CHAPTERS = Path(__file__).parents[1] / "chapters"
PAGES = ["07_algorithm.md", "08_gradient_checking.md"]


def split(text):
    """Return (prose, code): the page without code cells, and the cells."""
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, re.S)
    prose = re.sub(r"```\{code-cell\}[^\n]*\n.*?```", "", text, flags=re.S)
    return prose, cells


@pytest.mark.parametrize("page", PAGES)
def test_doc_links_have_explicit_text(page):
    prose, _ = split((CHAPTERS / page).read_text())
    bare = re.findall(r"\{doc\}`([^`<]+)`", prose)
    assert not bare, f"{page}: bare {{doc}} links {bare}"


@pytest.mark.parametrize("page", PAGES)
def test_digit_network_facts_are_not_typed(page):
    prose, _ = split((CHAPTERS / page).read_text())
    sizes = bp.data.DIGITS_SIZES
    n = bp.data.digits_classifier().n_params
    typed = [
        str(list(sizes)),
        f"{n:,}",
        str(n),
        f"{2 * n:,}",
        str(2 * n),
        "2410",
        "2,410",
        "[64, 32, 10]",
        "64 inputs, 32 hidden",
    ]
    found = [t for t in typed if t in prose]
    assert not found, f"{page} types {found}; take them from bp.data"


@pytest.mark.parametrize("page", PAGES)
def test_every_quoted_name_is_bound_on_the_page(page):
    # the generic checks of a page converted from glue to {eval}: no glue
    # left, every {eval} name bound by a cell above it, inline execution
    lab.test_a_converted_chapter_has_no_glue_left(page)
    lab.test_every_eval_name_is_bound_in_a_cell_above_it(page)
    lab.test_a_converted_chapter_executes_inline(page)


@pytest.mark.parametrize("page", PAGES)
def test_code_lines_fit_the_column(page):
    text = (CHAPTERS / page).read_text()
    blocks = re.findall(
        r"```(?:\{code-cell\}[^\n]*|python)\n(.*?)```", text, re.S
    )
    # a cell's metadata block (tags, alt text) is not shown as code
    blocks = [
        re.sub(r"\A---\n.*?\n---\n", "", b, flags=re.S) for b in blocks
    ]
    long = [
        line
        for block in blocks
        for line in block.splitlines()
        if len(line) > 76
    ]
    assert not long, f"{page}: lines wider than 76 columns: {long}"
