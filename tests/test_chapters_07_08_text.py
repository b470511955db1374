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


# -- the words around the quoted numbers agree with them ---------------------


@pytest.fixture(scope="module")
def quoted():
    """Return {page: {name: value}} of the numbers each page quotes."""
    from chapter_support import execute_chapters, glued

    executed = execute_chapters({p: CHAPTERS / p for p in PAGES})
    return {page: glued(nb) for page, nb in executed.items()}


def test_chapter_7_counts_what_its_prose_says(quoted):
    q = quoted["07_algorithm.md"]
    # rule 1 once, rules 4 and 3 for each of three layers, rule 2 twice
    assert q["n_calls"] == 1 + 2 * 3 + 2
    assert q["sym_verified"] == q["sym_total"] > 0  # "for all of them"
    assert (q["row_gap_text"] == 0) == q["row_agree"].startswith("bit")


def test_chapter_8_numbers_read_as_its_prose_says(quoted):
    q = quoted["08_gradient_checking.md"]
    good, suspect = bp.gradcheck.GOOD, bp.gradcheck.SUSPECT
    # "the two differences follow their theoretical slopes, 1 and 2"
    assert q["slope_one_text"] == pytest.approx(1, abs=0.15)
    assert q["slope_cen_text"] == pytest.approx(2, abs=0.15)
    ratio = q["best_one"] / q["best_cen"]
    assert q["best_ratio"] == pytest.approx(ratio) and ratio < 1000
    # the summed bias gradient: (m − 1)/(m + 1), and the check measures it
    m = q["m_check"]
    assert q["bias_predicted"] == pytest.approx((m - 1) / (m + 1))
    assert q["bias_error_text"] == pytest.approx(q["bias_predicted"], 1e-4)
    # float64: a band of steps reads "correct", far below the threshold
    assert q["good64_lo"] < q["good64_hi"]
    assert q["rel64_default"] < good / 100
    # float32: at best in the grey zone, and never "correct"
    assert good < q["best32"] < suspect < q["rel32_default"]
    # near a minimum: "correct" early, a confident "wrong" late
    assert q["tiny_early_rel"] < good < suspect < q["tiny_late_rel"]
    assert q["tiny_gap_ratio"] > 1 and q["tiny_late_g"] < 1e-12
    # the zero-bias kink: some of the 40 examples, rated "wrong"
    assert 0 < q["zero_examples"] < 40 and q["zero_b2"] > suspect
    # three ways: 2-3-2 has 2·3 + 3 + 3·2 + 2 parameters
    assert q["three_n"] == 2 * 3 + 3 + 3 * 2 + 2
    assert q["three_bp_sympy"] < 1e-12 and q["three_fd_sympy"] < good
    # the digit network's facts, counted here from its sizes
    sizes = list(bp.data.DIGITS_SIZES)
    n = sum(a * b + a for a, b in zip(sizes[1:], sizes[:-1]))
    assert q["digits_sizes"] == sizes
    assert q["digits_params"] == n and q["digits_passes"] == 2 * n
    assert q["digits_count"].count("·") == len(sizes) - 1
