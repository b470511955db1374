"""Chapters 5 and 6 (rules 3 and 4): the claims they make, and the chapters themselves.

Every claim is checked against a reference that does not use the code under
test's answer: sympy.diff, centred finite differences of the cost, or a
derivative worked out by hand. The last tests execute both chapters in a fresh
kernel started in chapters/, as the book build does.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop import symbolic
from chapter_support import DUMP_TEXTS, execute_chapters, glued

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = {
    5: ROOT / "chapters" / "05_bias_gradient.md",
    6: ROOT / "chapters" / "06_weight_gradient.md",
}


def finite_differences(net, X, Y, eps=1e-6):
    """Return (dWs, dbs) by centred differences of net.loss, on copies of the network."""

    def estimate(kind, l):
        P = (net.weights if kind == "w" else net.biases)[l]
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            costs = []
            for sign in (1, -1):
                twin = net.copy()
                (twin.weights if kind == "w" else twin.biases)[l][idx] += (
                    sign * eps
                )
                costs.append(twin.loss(X, Y))
            G[idx] = (costs[0] - costs[1]) / (2 * eps)
        return G

    return [estimate("w", l) for l in range(net.L)], [
        estimate("b", l) for l in range(net.L)
    ]


def batch(sizes, m, seed, hidden="sigmoid", output="identity", loss="mse"):
    rng = np.random.default_rng(seed)
    net = bp.MLP(sizes, hidden=hidden, output=output, loss=loss, seed=seed)
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(size=(sizes[0], m))
    if loss == "cross_entropy":
        Y = rng.random(size=(sizes[-1], m))
        Y /= Y.sum(axis=0, keepdims=True)
    else:
        Y = rng.normal(size=(sizes[-1], m))
    return net, X, Y


# -- SymPy: the mathematics, for every pairing ----------------------------------


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "identity"])
@pytest.mark.parametrize("output,loss", symbolic.PAIRINGS)
def test_rule_3_equals_sympy_diff(hidden, output, loss):
    results = symbolic.verify_bias_gradient(
        hidden=hidden, output=output, loss=loss
    )
    assert [r.holds for r in results] == [True, True]
    assert sum(len(r.entries) for r in results) == 3 + 2


@pytest.mark.parametrize("m", [1, 3])
def test_rule_3_equals_sympy_diff_for_other_batch_sizes(m):
    assert all(
        r.holds for r in symbolic.verify_bias_gradient(hidden="tanh", m=m)
    )


def test_rule_3_equals_sympy_diff_with_two_hidden_layers():
    results = symbolic.verify_bias_gradient(sizes=(2, 2, 2, 2), m=2)
    assert len(results) == 3 and all(r.holds for r in results)


@pytest.mark.parametrize("output,loss", symbolic.PAIRINGS)
def test_rule_4_equals_sympy_diff(output, loss):
    results = symbolic.verify_weight_gradient(output=output, loss=loss)
    assert [r.holds for r in results] == [True, True]
    assert sum(len(r.entries) for r in results) == 6 + 6


@pytest.mark.parametrize(
    "hidden,output,sizes,m",
    [
        ("relu", "identity", (2, 3, 2), 2),
        ("tanh", "sigmoid", (2, 2, 2), 3),
        ("tanh", "identity", (2, 2, 2, 1), 1),
    ],
)
def test_rule_4_equals_sympy_diff_elsewhere(hidden, output, sizes, m):
    results = symbolic.verify_weight_gradient(
        hidden=hidden, output=output, loss="mse", sizes=sizes, m=m
    )
    assert len(results) == len(sizes) - 1 and all(r.holds for r in results)


def test_a_wrong_rule_is_caught_by_the_verification(monkeypatch):
    # Summing instead of averaging must not pass the SymPy check (m = 2).
    monkeypatch.setattr(
        bp.rules,
        "bias_gradient",
        lambda delta: delta.sum(axis=1, keepdims=True),
    )
    assert not any(
        r.holds
        for r in symbolic.verify_bias_gradient(
            hidden="identity", output="identity"
        )
    )


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
@pytest.mark.parametrize("output,loss", symbolic.PAIRINGS)
def test_code_equals_sympy_diff_at_random_numbers(hidden, output, loss):
    rows, max_diff = symbolic.numeric_comparison(
        hidden=hidden, output=output, loss=loss
    )
    assert len(rows) == 17
    assert max_diff < 1e-10


# -- a case worked out by hand ------------------------------------------------------


def test_one_linear_unit_by_hand():
    # z = w x + b, a = z, C = (1/m) Σ ½ (a − y)²: dC/db = mean(a − y), dC/dw = mean((a − y) x).
    net = bp.MLP([1, 1], hidden="identity", output="identity", loss="mse")
    net.weights[0][:] = 0.5
    net.biases[0][:] = -1.0
    X = np.array([[1.0, 2.0, -1.0, 4.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.5]])
    residual = 0.5 * X - 1.0 - Y  # [-0.5, -1.0, -2.5, 0.5]
    dWs, dbs = net.gradients(X, Y)
    assert dbs[0][0, 0] == pytest.approx(-3.5 / 4)
    assert dWs[0][0, 0] == pytest.approx((-0.5 - 2.0 + 2.5 + 2.0) / 4)
    assert dWs[0][0, 0] == pytest.approx(np.mean(residual * X))


# -- chapter 5's claims ---------------------------------------------------------------


def test_per_example_bias_gradients_are_the_columns_of_delta_and_their_mean_is_the_gradient():
    net, X, Y = batch([2, 3, 2], 5, seed=5)
    _, _, deltas = net.backward(net.forward(X, return_cache=True), Y)
    for l in (1, 2):
        for i in range(5):
            _, dbs_i = finite_differences(net, X[:, [i]], Y[:, [i]])
            np.testing.assert_allclose(
                deltas[l][:, [i]], dbs_i[l - 1], rtol=1e-6, atol=1e-9
            )
        _, dbs = finite_differences(net, X, Y)
        np.testing.assert_allclose(
            bp.rules.bias_gradient(deltas[l]),
            dbs[l - 1],
            rtol=1e-6,
            atol=1e-9,
        )
        np.testing.assert_allclose(
            deltas[l].mean(axis=1, keepdims=True),
            dbs[l - 1],
            rtol=1e-6,
            atol=1e-9,
        )


def test_a_bias_is_a_weight_on_a_constant_input():
    net, X, Y = batch([2, 3, 2], 6, seed=2)
    m = X.shape[1]
    # Fold b^1 into W^1 as an extra column and feed a constant 1: same network, same cost.
    folded = bp.MLP(
        [3, 3, 2], hidden="sigmoid", output="identity", loss="mse"
    )
    folded.weights = [
        np.hstack([net.weights[0], net.biases[0]]),
        net.weights[1].copy(),
    ]
    folded.biases = [np.zeros((3, 1)), net.biases[1].copy()]
    X1 = np.vstack([X, np.ones((1, m))])
    assert folded.loss(X1, Y) == pytest.approx(net.loss(X, Y), rel=1e-14)
    dW_folded, _ = finite_differences(folded, X1, Y)
    _, dbs = net.gradients(X, Y)
    np.testing.assert_allclose(
        dW_folded[0][:, [2]], dbs[0], rtol=1e-6, atol=1e-9
    )
    _, _, deltas = net.backward(net.forward(X, return_cache=True), Y)
    np.testing.assert_allclose(
        bp.rules.weight_gradient(deltas[1], np.ones((1, m))),
        dbs[0],
        rtol=1e-13,
    )


def test_exercise_5_1_output_bias_gradient_is_the_mean_residual():
    net, X, Y = batch([3, 4, 2], 7, seed=11)
    _, dbs = finite_differences(net, X, Y)
    np.testing.assert_allclose(
        dbs[1],
        (net.forward(X) - Y).mean(axis=1, keepdims=True),
        rtol=1e-6,
        atol=1e-9,
    )


def test_exercise_5_2_softmax_output_bias_gradient_sums_to_zero():
    net, X, Y = batch(
        [2, 3, 4],
        5,
        seed=4,
        hidden="tanh",
        output="softmax",
        loss="cross_entropy",
    )
    _, dbs = finite_differences(net, X, Y)
    assert abs(dbs[1].sum()) < 1e-8
    assert abs(dbs[1]).max() > 1e-3  # not trivially zero
    assert abs(net.gradients(X, Y)[1][1].sum()) < 1e-14


def test_a_summed_cost_has_m_times_the_gradient():
    # the self-checking exercise's sum-instead-of-mean attempt
    net, X, Y = batch([2, 3, 2], 8, seed=6)
    m = X.shape[1]
    eps = 1e-6
    twin_plus, twin_minus = net.copy(), net.copy()
    twin_plus.biases[0][1, 0] += eps
    twin_minus.biases[0][1, 0] -= eps
    summed = (m * twin_plus.loss(X, Y) - m * twin_minus.loss(X, Y)) / (
        2 * eps
    )
    assert summed == pytest.approx(
        m * net.gradients(X, Y)[1][0][1, 0], rel=1e-6
    )


def test_exercise_5_3_a_dead_relu_unit_gets_no_gradient():
    net, X, Y = batch([2, 3, 2], 6, seed=8, hidden="relu")
    net.biases[0][
        2, 0
    ] = -50.0  # unit 3 of layer 1 is negative on every example
    dWs, dbs = finite_differences(net, X, Y)
    assert dbs[0][2, 0] == 0.0 and np.all(dWs[0][2] == 0.0)
    dWs_bp, dbs_bp = net.gradients(X, Y)
    assert dbs_bp[0][2, 0] == 0.0 and np.all(dWs_bp[0][2] == 0.0)
    alive = (net.forward(X, return_cache=True).z[1] > 0).any(axis=1)
    assert not alive[2] and alive.any()
    assert np.all(
        dbs_bp[0][alive] != 0.0
    )  # units active on some example do learn


# -- chapter 6's claims -----------------------------------------------------------------


def test_one_example_weight_gradient_is_the_outer_product():
    net, X, Y = batch([2, 3, 2], 1, seed=5)
    cache = net.forward(X, return_cache=True)
    _, _, deltas = net.backward(cache, Y)
    dWs, _ = finite_differences(net, X, Y)
    for l in (1, 2):
        outer = np.outer(deltas[l][:, 0], cache.a[l - 1][:, 0])
        np.testing.assert_allclose(outer, dWs[l - 1], rtol=1e-6, atol=1e-9)
        assert np.linalg.matrix_rank(outer) == 1


def test_batch_weight_gradient_is_the_mean_of_outer_products():
    net, X, Y = batch([3, 4, 2], 6, seed=9, hidden="tanh")
    cache = net.forward(X, return_cache=True)
    _, _, deltas = net.backward(cache, Y)
    dWs, _ = finite_differences(net, X, Y)
    for l in (1, 2):
        loop = (
            sum(
                np.outer(deltas[l][:, i], cache.a[l - 1][:, i])
                for i in range(6)
            )
            / 6
        )
        np.testing.assert_allclose(loop, dWs[l - 1], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(
            bp.rules.weight_gradient(deltas[l], cache.a[l - 1]),
            loop,
            rtol=1e-12,
        )


def test_a_quiet_unit_learns_slowly_in_and_out():
    # The chapter's example: b^1_2 = -7 switches hidden unit 2 nearly off.
    rng = np.random.default_rng(5)
    net = bp.MLP(
        [2, 3, 2], hidden="sigmoid", output="identity", loss="mse", seed=1
    )
    X, Y = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    net.biases[0][1, 0] = -7.0
    dWs, _ = finite_differences(net, X, Y)
    out_cols = np.linalg.norm(dWs[1], axis=0)
    in_rows = np.linalg.norm(dWs[0], axis=1)
    assert out_cols[1] < 0.01 * min(out_cols[0], out_cols[2])
    assert in_rows[1] < 0.02 * min(in_rows[0], in_rows[2])


def test_exercise_6_2_scaling_an_input_scales_its_column():
    rng = np.random.default_rng(0)
    delta, a = rng.normal(size=(3, 10)), rng.normal(size=(4, 10))
    scaled = a.copy()
    scaled[2] *= 1000.0
    G, G_scaled = (
        bp.rules.weight_gradient(delta, a),
        bp.rules.weight_gradient(delta, scaled),
    )
    np.testing.assert_allclose(G_scaled[:, 2], 1000.0 * G[:, 2], rtol=1e-12)
    np.testing.assert_array_equal(
        np.delete(G_scaled, 2, axis=1), np.delete(G, 2, axis=1)
    )


@pytest.mark.parametrize(
    "m,n_l,n_prev", [(1, 4, 5), (2, 4, 5), (3, 4, 5), (9, 4, 5), (9, 3, 2)]
)
def test_rank_of_the_batch_gradient_is_at_most_min_m_n_l_n_prev(
    m, n_l, n_prev
):
    rng = np.random.default_rng(m)
    G = bp.rules.weight_gradient(
        rng.normal(size=(n_l, m)), rng.normal(size=(n_prev, m))
    )
    assert np.linalg.matrix_rank(G) == min(m, n_l, n_prev)


def test_exercise_6_4_identical_units_stay_identical():
    net, X, Y = batch([2, 3, 2], 6, seed=12)
    net.weights[0][2] = net.weights[0][
        1
    ]  # unit 3 copies unit 2's incoming weights
    net.biases[0][2] = net.biases[0][1]  # ... and bias
    net.weights[1][:, 2] = net.weights[1][:, 1]  # ... and outgoing weights
    dWs, dbs = finite_differences(net, X, Y)
    np.testing.assert_allclose(
        dWs[1][:, 2], dWs[1][:, 1], rtol=1e-6, atol=1e-10
    )
    np.testing.assert_allclose(dWs[0][2], dWs[0][1], rtol=1e-6, atol=1e-10)
    assert dbs[0][2, 0] == pytest.approx(dbs[0][1, 0], rel=1e-6)
    for _ in range(5):  # gradient descent keeps them copies
        gW, gb = net.gradients(X, Y)
        net.weights = [W - 0.5 * g for W, g in zip(net.weights, gW)]
        net.biases = [b - 0.5 * g for b, g in zip(net.biases, gb)]
    np.testing.assert_allclose(
        net.weights[0][2], net.weights[0][1], rtol=1e-12
    )
    np.testing.assert_allclose(
        net.weights[1][:, 2], net.weights[1][:, 1], rtol=1e-12
    )


# -- the chapters themselves ------------------------------------------------------------


@pytest.fixture(scope="module")
def executed():
    """Execute both chapters in a fresh kernel started in chapters/, as the book build does."""
    return execute_chapters(CHAPTERS)


def outputs(nb):
    return [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    ]


@pytest.mark.parametrize("number", [5, 6])
def test_chapter_runs_without_errors_or_stderr(executed, number):
    for o in outputs(executed[number]):
        assert o.output_type != "error", o
        assert not (o.output_type == "stream" and o.name == "stderr"), (
            o.text
        )


@pytest.mark.parametrize(
    "number,rule,entries", [(5, "rule 3", 10), (6, "rule 4", 24)]
)
def test_chapter_shows_sympy_verdicts(executed, number, rule, entries):
    shown = [
        o["data"]["text/markdown"]
        for o in outputs(executed[number])
        if "text/markdown" in o.get("data", {})
        and o["data"]["text/markdown"].startswith(f"**{rule}")
    ]
    assert shown and all("DIFFERENT" not in s for s in shown)
    assert sum(int(s.split(" of ")[1].split()[0]) for s in shown) == entries


@pytest.mark.parametrize(
    "number,column,entries",
    [(5, "biases equal to", 10), (6, "weights equal to", 24)],
)
def test_chapter_sympy_summary_table(executed, number, column, entries):
    """N12: one summary table says what the folded details say."""
    tables = [
        o["data"]["text/markdown"]
        for o in outputs(executed[number])
        if column in o.get("data", {}).get("text/markdown", "")
    ]
    assert len(tables) == 1
    rows = [r for r in tables[0].splitlines()[2:] if r.startswith("|")]
    assert len(rows) == 2
    total = 0
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        verified, of = re.fullmatch(r"(\d+) of (\d+)", cells[1]).groups()
        assert verified == of
        total += int(of)
        assert float(cells[2].split()[0]) < 1e-12 and "correct" in cells[2]
    assert total == entries
    # the details are folded away, not shown next to the summary
    folded = [
        c
        for c in executed[number].cells
        if c.cell_type == "code"
        and "hide-cell" in c.metadata.get("tags", [])
    ]
    assert any(
        "**rule" in o.get("data", {}).get("text/markdown", "")
        for c in folded
        for o in c.get("outputs", [])
    )


@pytest.mark.parametrize("number", [5, 6])
def test_chapter_numbers_agree(executed, number):
    text = "".join(
        o.get("text", "")
        for o in outputs(executed[number])
        if o.output_type == "stream"
    )
    diffs = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if "largest difference" in line
        or "relative error against finite differences" in line
    ]
    assert diffs and max(diffs) < 1e-7


@pytest.mark.parametrize("number", [5, 6])
def test_chapter_explorer_and_figures(executed, number):
    nb = executed[number]
    bundles = [o["data"] for o in outputs(nb) if "data" in o]
    explorers = [
        d
        for d in bundles
        if 'data-explorer="weights"' in d.get("text/html", "")
    ]
    assert len(explorers) == 1 and "VBox(" not in explorers[0]["text/plain"]
    for cell in nb.cells:
        if cell.cell_type == "code" and any(
            "image/png" in o.get("data", {})
            for o in cell.get("outputs", [])
        ):
            assert cell.metadata["mystnb"]["image"]["alt"].strip()


@pytest.mark.parametrize("number", [5, 6])
def test_chapter_ends_with_exercises_that_have_solutions(number):
    # The chapter's own exercises come last, followed only by the exercise that checks itself.
    text, _, self_checking = (
        CHAPTERS[number]
        .read_text()
        .partition("## An exercise that checks itself")
    )
    assert self_checking
    sections = [
        line for line in text.splitlines() if line.startswith("## ")
    ]
    assert sections[-1] == "## Exercises" and "## Explore" in sections
    # one numbering style (N20): "1. **Title.**", solutions indented
    exercises = re.findall(r"^(\d+)\. \*\*", text, flags=re.M)
    assert exercises == [str(i) for i in range(1, len(exercises) + 1)]
    assert 3 <= len(exercises) <= 4 and "**Exercise" not in text
    solution = "   :::{admonition} Solution\n   :class: dropdown"
    assert text.count(solution) == len(exercises)
    assert text.count("(a transfer).**") == 1


# -- the transfer exercises and the glued numbers --------------------------------------


def test_exercise_5_4_a_shared_bias_gets_the_sum_of_the_bias_gradients():
    net, X, Y = batch([2, 3, 2], 6, seed=21)
    net.biases[0][:] = -0.4  # one β for every unit of layer 1
    eps = 1e-6
    up, down = net.copy(), net.copy()
    up.biases[0] += eps
    down.biases[0] -= eps
    dC_dbeta = (up.loss(X, Y) - down.loss(X, Y)) / (2 * eps)
    _, dbs = finite_differences(net, X, Y)  # untied, by finite differences
    assert dC_dbeta == pytest.approx(dbs[0].sum(), rel=1e-6)
    assert abs(dC_dbeta - dbs[0].mean()) > 1e-3  # the mean would be wrong
    # and the solution's formula from the errors: (1/m) Σ_x Σ_j δ_j
    _, _, deltas = net.backward(net.forward(X, return_cache=True), Y)
    assert dC_dbeta == pytest.approx(deltas[1].sum() / 6, rel=1e-6)


def test_exercise_6_3_l2_penalty_adds_lambda_w():
    net, X, Y = batch([3, 4, 2], 7, seed=22, hidden="tanh")
    lam, eps = 0.3, 1e-6

    def penalised(n):
        return n.loss(X, Y) + lam / 2 * sum(np.sum(W**2) for W in n.weights)

    dWs, _ = net.gradients(X, Y)
    for l, W in enumerate(net.weights):
        numeric = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            up, down = net.copy(), net.copy()
            up.weights[l][idx] += eps
            down.weights[l][idx] -= eps
            numeric[idx] = (penalised(up) - penalised(down)) / (2 * eps)
        np.testing.assert_allclose(
            dWs[l] + lam * W, numeric, rtol=1e-6, atol=1e-9
        )
        wrong = dWs[l] + lam * W / X.shape[1]  # λW divided by m
        assert np.abs(wrong - numeric).max() > 1e-3
    # the step is a decay: W − η(dW + λW) = (1 − ηλ) W − η dW
    eta = 0.5
    step = net.weights[0] - eta * (dWs[0] + lam * net.weights[0])
    np.testing.assert_allclose(
        step, (1 - eta * lam) * net.weights[0] - eta * dWs[0], rtol=1e-14
    )


@pytest.mark.parametrize("number", [5, 6])
def test_every_number_the_prose_quotes_is_computed_by_the_chapter(
    executed, number
):
    text = CHAPTERS[number].read_text()
    names = set(re.findall(r"\{eval\}`([A-Za-z_]\w*)`", text))
    assert names and names <= set(glued(executed[number]))
    assert "{glue" not in text


def chapter_network():
    """The 2-3-2 network and batch that chapters 5 and 6 use."""
    rng = np.random.default_rng(5)
    net = bp.MLP(
        [2, 3, 2], hidden="sigmoid", output="identity", loss="mse", seed=1
    )
    return net, rng.normal(size=(2, 5)), rng.normal(size=(2, 5))


def test_chapter_5_sign_count_against_finite_differences(executed):
    net, X, Y = chapter_network()
    per_example = [
        finite_differences(net, X[:, [i]], Y[:, [i]]) for i in range(5)
    ]
    points = np.array(
        [np.vstack([dbs[0], dbs[1]]).ravel() for _, dbs in per_example]
    ).T  # (5 biases, 5 examples)
    mixed = np.sum((points > 0).any(axis=1) & (points < 0).any(axis=1))
    assert glued(executed[5])["n_mixed_sign"] == mixed
    assert mixed < 5 and np.all(points[4] > 0)  # the alt text: not b^2_2


def test_chapter_5_per_example_check_is_by_finite_differences(executed):
    source = "".join(
        c.source for c in executed[5].cells if "per_example" in c.source
    )
    assert "numerical_gradients" in source and "net.gradients" not in source


def test_chapter_6_quiet_unit_numbers_against_finite_differences(executed):
    net, X, Y = chapter_network()
    net.biases[0][1, 0] = -7.0
    dWs, _ = finite_differences(net, X, Y)
    out_cols = np.linalg.norm(dWs[1], axis=0)
    in_rows = np.linalg.norm(dWs[0], axis=1)
    g = glued(executed[6])
    assert g["quiet_out"] == pytest.approx(
        min(out_cols[[0, 2]]) / out_cols[1], rel=1e-4
    )
    assert g["quiet_in"] == pytest.approx(
        min(in_rows[[0, 2]]) / in_rows[1], rel=1e-4
    )
    a = 1 / (1 + np.exp(-(net.weights[0] @ X + net.biases[0])))
    assert g["quiet_mean_a"] == pytest.approx(a[1].mean(), rel=1e-10)


@pytest.mark.parametrize("number", [5, 6])
def test_transfer_exercise_cells_agree_with_finite_differences(
    executed, number
):
    text = "".join(
        o.get("text", "")
        for o in outputs(executed[number])
        if o.output_type == "stream"
    )
    if number == 5:
        lines = text.splitlines()
        fd = next(
            x for x in lines if x.startswith("finite difference in β")
        )
        total = next(x for x in lines if x.startswith("sum of the entries"))
        assert float(fd.split()[-1]) == pytest.approx(
            float(total.split()[-1]), rel=1e-6
        )
    else:
        rel = [
            float(x.rsplit(" ", 1)[1])
            for x in text.splitlines()
            if "rule 4 + λW against finite differences" in x
        ]
        assert len(rel) == 2 and max(rel) < 1e-7


@pytest.mark.parametrize("number", [5, 6])
def test_no_code_or_printed_line_is_wider_than_the_column(executed, number):
    for cell in executed[number].cells:
        if cell.cell_type != "code" or "remove-input" in str(cell.metadata):
            continue
        if cell.source == DUMP_TEXTS:
            continue  # the tests' own last cell, not the chapter's
        for line in cell.source.splitlines():
            assert len(line) <= 76, line
        for o in cell.get("outputs", []):
            if set(o.get("data", {})) - {"text/plain"}:
                continue  # shown as Markdown, HTML or an image, not as text
            text = o.get("text", "") or o.get("data", {}).get(
                "text/plain", ""
            )
            for line in text.splitlines():
                assert len(line) <= 76, line
