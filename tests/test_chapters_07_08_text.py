"""The prose of chapters 7 and 8: links that read as prose, no typed facts.

- every {doc} link carries explicit text (a bare {doc} pastes a title);
- the digit network's sizes and parameter count are glued from
  bp.data, never typed (review 7.1, 8.8);
- every glued name the prose uses is glued by a cell of the same page;
- every code line fits the 76-column text width.
"""

import re
from pathlib import Path

import pytest

import backprop as bp

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
    assert not found, f"{page} types {found}; glue them from bp.data"


@pytest.mark.parametrize("page", PAGES)
def test_every_glued_name_is_glued_on_the_page(page):
    text = (CHAPTERS / page).read_text()
    prose, cells = split(text)
    used = set(re.findall(r"\{glue:\w+\}`(\w+)", prose))
    used |= set(re.findall(r"```\{glue:\w+\} (\w+)", prose))
    code = "\n".join(cells)
    glued = set(re.findall(r'glue\(\s*"(\w+)"', code))
    glued |= {
        prefix + name
        for prefix in re.findall(r'glue\(\s*f"(\w+)\{', code)
        for name in _dynamic_names(page)
    }
    assert used, f"{page} glues nothing"
    assert used <= glued, f"{page}: never glued: {sorted(used - glued)}"


def _dynamic_names(page):
    """Return the suffixes that a page's f-string glue names can take."""
    if page == "07_algorithm.md":
        from backprop import worked_example

        return [*worked_example.equations()] + [
            f"{k}_text" for k in ("C", "C_next", "ETA")
        ]
    return [
        f"{key}_{what}"
        for key in ("early", "late")
        for what in ("C", "g", "rel")
    ]


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
