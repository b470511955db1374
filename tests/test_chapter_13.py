"""Chapter 13 (autograd), executed: the numbers it quotes, and its solutions.

The chapter runs once, in a fresh kernel, with the code of every solution
dropdown appended as cells of its own (so that solution code runs too).
Each quoted number is checked against a threshold or a hand count, not
against a value copied from the package.
"""

import re
from pathlib import Path

import pytest

import backprop as bp
from chapter_support import execute_chapters, glued

CHAPTER = (
    Path(__file__).resolve().parents[1] / "chapters" / "13_autograd.md"
)


def solution_blocks(text):
    """Return the ```python blocks of the chapter (all in solutions)."""
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Execute the chapter with its solutions appended; a notebook."""
    text = CHAPTER.read_text()
    for code in solution_blocks(text):
        text += f"\n```{{code-cell}} ipython3\n{code}```\n"
    path = tmp_path_factory.mktemp("ch13") / CHAPTER.name
    path.write_text(text)
    return execute_chapters({13: path})[13]


def shown(cell):
    """Return what a cell printed and displayed, as plain text."""
    return "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "")
        for o in cell.get("outputs", [])
        if o.output_type in ("stream", "execute_result")
    )


def test_every_name_in_the_prose_is_a_number_the_chapter_computed(
    executed,
):
    used = set(re.findall(r"\{eval\}`([a-z_0-9]+)`", CHAPTER.read_text()))
    assert len(used) >= 20 and used <= set(glued(executed))


def test_engine_matches_the_rules_to_rounding(executed):
    g = glued(executed)
    for name in (
        "mlp_max_rel",
        "pairings_max_rel",
        "cost_gap",
        "delta_gap_text",
        "neuron_gap_text",
        "skip_rule_gap_text",
        "tied_rules_rel_text",
        "l2_rule_rel",
    ):
        assert 0 <= g[name] <= 1e-12, name


def test_pairings_are_every_network_the_package_builds(executed):
    n = 0
    for hidden in bp.activations.HIDDEN_ACTIVATIONS:
        for output in bp.activations.ACTIVATIONS:
            for loss in bp.losses.LOSSES:
                try:
                    bp.MLP([2, 2, 2], hidden, output, loss)
                except ValueError:
                    continue
                n += 1
    assert glued(executed)["n_pairings"] == n == 20


def test_engine_agrees_with_finite_differences(executed):
    g = glued(executed)
    for name in (
        "fd_rel_text",
        "skip_rel_text",
        "tied_rel_text",
        "l2_rel_text",
    ):
        # chapter 8's "correct", and not suspiciously exact either
        assert 1e-13 < g[name] < 1e-7, name


def test_deep_graph_is_deeper_than_the_recursion_limit(executed):
    g = glued(executed)
    assert g["depth_text"] >= 10 * g["recursion_limit"]
    assert g["deep_rel_text"] < 1e-9


def test_tape_and_cache_counts_by_hand(executed):
    g = glued(executed)
    m, n1, n2, nL = 256, 512, 512, 10
    # per hidden layer W A, + b, relu; the output layer W A, + b (identity
    # output); the cost: −Y, A − Y, E ⊙ E, then three scalars
    assert (
        g["tape_floats"] == 3 * (n1 + n2) * m + 2 * nL * m + 3 * nL * m + 3
    )
    assert g["cache_floats"] == 2 * (n1 + n2 + nL) * m  # Z^l and A^l
    assert g["tape_ratio"] == pytest.approx(
        g["tape_floats"] / g["cache_floats"]
    )


def test_engine_line_count_is_the_module_before_its_exercise(executed):
    text = Path(bp.autograd.__file__).read_text()
    engine = text.split("# -- the chapter's self-checking")[0]
    assert glued(executed)["engine_lines"] == engine.count("\n") <= 260


def test_self_checking_exercise_verdicts(executed):
    cells = [c for c in executed.cells if c.cell_type == "code"]
    checks = [shown(c) for c in cells if "ag.check_operation(" in c.source]
    wrong, todo, solution = checks[:3]
    assert "x used twice" in wrong and "WRONG gradient" in wrong
    assert wrong.count("  correct") == 2  # the other two graphs pass
    assert "Not yet correct." in wrong
    assert "not implemented" in todo and "Not yet correct." in todo
    assert solution.count("  correct") == 3 and "WRONG" not in solution
    assert "Correct." in solution


def test_solution_code_runs_and_prints_rounding_errors(executed):
    blocks = [b.strip() for b in solution_blocks(CHAPTER.read_text())]
    assert len(blocks) == 3
    # the appended cells, not execute_chapters' own last cell
    appended = [
        c
        for c in executed.cells
        if c.cell_type == "code" and c.source.strip() in blocks
    ]
    assert len(appended) == 3
    printed = [shown(c).split() for c in appended if shown(c)]
    assert len(printed) == 2  # exercises 2 and 4 print one number each
    for words in printed:
        assert float(words[-1]) < 1e-12
