"""Tests for the training explorer (chapter 10): the state, both engines, the view.

The pure state function is checked against the package used directly; the
page's engine (web/training.js) against the package in headless Chromium:
the same initial weights and shuffles give the same loss curves.
"""

import json
import math
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.explorers import training as T

CONFIG = T.make_config()


def controls(**changes):
    return {**T.make_controls(), **changes}


@pytest.fixture(scope="module")
def sane():
    return T.state(CONFIG, controls())


def _data(dataset, config=CONFIG):
    """Return X (2, m) and labels (m,) of a data set of the config."""
    d = config["datasets"][dataset]
    return np.array(d["X"]), np.array(d["labels"])


def _run(config, dataset, lr, batch_size):
    """Return the state of the whole run of EPOCHS_MAX epochs at these settings."""
    return T.state(config, controls(dataset=dataset, lr=lr,
                                    batch_size=batch_size))  # fmt: skip


def _trained(dataset, lr, batch_size, epochs):
    """Return (net, X, Y): the package's own SGD, from scratch, no explorer code."""
    X, labels = _data(dataset)
    Y = bp.data.one_hot(labels, 2)
    net = bp.MLP(**T.NETWORK, seed=0)
    orders = T.epoch_orders(X.shape[1], max(epochs, 1))
    if epochs:
        bp.training.train(
            net,
            X,
            Y,
            epochs,
            batch_size,
            lr,
            progress=False,
            orders=lambda e: orders[e - 1],
            divergence_factor=10.0,  # the chapter's "loss rose tenfold"
        )
    return net, X, Y


# -- the shuffles and the orders hook of training.train ----------------------


def test_epoch_orders_are_fresh_permutations():
    orders = T.epoch_orders(150, 60)
    assert len(orders) == 60
    for order in orders:
        assert sorted(order) == list(range(150))
    assert len({tuple(o) for o in orders}) == 60  # every epoch its own
    assert T.epoch_orders(150, 3) == orders[:3]  # one stream: a prefix
    # Every position is visited by every example about equally often.
    firsts = np.bincount([o[0] for o in T.epoch_orders(10, 5000)])
    assert firsts.min() > 400 and firsts.max() < 600


def test_shuffles_put_every_example_everywhere_equally_often():
    # The generator the shuffles rank (host.uniforms) must make every
    # permutation equally likely: over 6000 epochs of 4 examples, each of
    # the 24 permutations turns up 250 times, give or take 4 sigma, and
    # each example sits at each position 1500 times.
    orders = np.array(T.epoch_orders(4, 6000, seed=7))
    counts = np.unique(orders, axis=0, return_counts=True)[1]
    sigma = np.sqrt(6000 * (1 / 24) * (23 / 24))
    assert len(counts) == 24 and np.all(np.abs(counts - 250) < 4 * sigma)
    for position in range(4):
        at = np.bincount(orders[:, position], minlength=4)
        assert np.all(np.abs(at - 1500) < 4 * np.sqrt(6000 * 3 / 16))
    # Another seed, other orders.
    assert T.epoch_orders(150, 2, seed=8) != T.epoch_orders(150, 2, seed=7)


def test_orders_hook_gives_the_seeded_run_when_passed_its_shuffles():
    X, labels = _data("circles")
    Y = bp.data.one_hot(labels, 2)
    rng = np.random.default_rng(5)
    perms = [rng.permutation(X.shape[1]) for _ in range(3)]
    runs = []
    for orders in (None, lambda e: perms[e - 1]):
        net = bp.MLP(**T.NETWORK, seed=1)
        h = bp.training.train(
            net, X, Y, 3, 16, 0.3, seed=5, progress=False, orders=orders
        )
        runs.append((h.train_loss, net.weights[0]))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_orders_hook_refuses_what_is_not_a_permutation():
    X, labels = _data("moons")
    net = bp.MLP(**T.NETWORK)
    for bad in ([0] * 150, list(range(149)), np.arange(150.0)):
        with pytest.raises(ValueError, match="permutation"):
            bp.training.train(
                net, X, labels, 1, 8, 0.1, progress=False,
                orders=lambda e, bad=bad: bad,
            )  # fmt: skip


# -- the state, against the package used directly -----------------------------


def test_loss_decreases_at_a_sane_learning_rate(sane):
    loss = np.array(sane["curve"])
    assert sane["diverged_at"] == 0 and len(loss) == T.EPOCHS_MAX + 1
    assert loss[-1] < 0.2 * loss[0]
    # Not only at the end: the mean loss of each stretch of 10 epochs
    # (1-10, 11-20, ...) is below that of the stretch before.
    assert np.all(np.diff(loss[1:].reshape(6, 10).mean(axis=1)) < 0)


def test_state_is_the_package_trained_directly():
    for dataset, lr, b, e in (
        ("moons", 0.1, 8, 7),
        ("circles", 0.3, 20, 60),
    ):
        s = T.state(CONFIG, controls(dataset=dataset, lr=lr, batch_size=b,
                                     epochs=e))  # fmt: skip
        net, X, Y = _trained(dataset, lr, b, e)
        assert s["C"] == pytest.approx(net.loss(X, Y), rel=1e-13)
        assert s["curve"][e] == s["C"]
        np.testing.assert_allclose(s["weights"][1], net.weights[1], rtol=0,
                                   atol=1e-13)  # fmt: skip
        # P is the network's probability of class 1 at the grid points
        # (rows along x₂), to six decimals.
        grid = np.array(CONFIG["grid"])
        for r, q in ((0, 0), (10, 30), (40, 5)):
            point = np.array([[grid[q]], [grid[r]]])
            assert s["P"][r][q] == pytest.approx(
                net.forward(point)[1, 0], abs=6e-7
            )
        dWs, dbs = net.gradients(X, Y)
        np.testing.assert_allclose(s["dW"][0], dWs[0], rtol=1e-10, atol=0)
        np.testing.assert_allclose(s["db"][2], dbs[2], rtol=1e-10, atol=0)
        labels = CONFIG["datasets"][dataset]["labels"]
        assert s["accuracy"] == np.mean(net.predict(X) == np.array(labels))


def test_decision_boundary_beats_chance(sane):
    # Read the class of each training point off the map the view draws
    # (nearest grid point), not from the network.
    grid = np.array(CONFIG["grid"])
    X = np.array(CONFIG["datasets"]["moons"]["X"])
    labels = np.array(CONFIG["datasets"]["moons"]["labels"])
    cols = np.abs(grid[None, :] - X[0][:, None]).argmin(axis=1)
    rows = np.abs(grid[None, :] - X[1][:, None]).argmin(axis=1)
    inside = (np.abs(X) <= 2).all(axis=0)

    def read(P):
        P = np.array(P)
        return np.mean((P[rows, cols] > 0.5)[inside] == labels[inside])

    assert read(sane["P"]) > 0.9
    start = T.state(CONFIG, controls(epochs=0))
    assert read(start["P"]) < read(sane["P"]) - 0.2


def test_huge_learning_rate_reports_divergence_never_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = T.state(CONFIG, controls(lr=T.LEARNING_RATES[-1], batch_size=1))
    assert s["diverged_at"] >= 1
    assert s["epoch"] == s["diverged_at"] - 1
    # The package alone says the same: the next epoch's loss explodes.
    with pytest.raises(bp.training.DivergenceError) as err:
        _trained("moons", T.LEARNING_RATES[-1], 1, T.EPOCHS_MAX)
    assert err.value.epoch == s["diverged_at"]
    text = json.dumps(s, allow_nan=False)  # raises on NaN or inf
    assert "null" not in text


@pytest.mark.parametrize(
    "lr, batch_size",
    [(T.LEARNING_RATES[0], 1), (T.LEARNING_RATES[0], T.M),
     (T.LEARNING_RATES[-1], T.M), (2.0, 8), (5.0, 3)],
)  # fmt: skip
def test_every_setting_is_finite_and_quiet(lr, batch_size):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for e in (0, T.EPOCHS_MAX):
            s = T.state(CONFIG, controls(dataset="circles", lr=lr,
                                         batch_size=batch_size, epochs=e))  # fmt: skip
            json.dumps(s, allow_nan=False)
            assert 0 <= min(min(r) for r in s["P"]) <= 1
            assert s["epoch"] <= e


def test_chapter_10_says_what_the_runs_do():
    # The prose around the explorer in chapter 10 and its exercise 2.
    def run(lr, b):
        return np.array(_run(CONFIG, "moons", lr, b)["curve"])

    one, eight, full = run(0.1, 1), run(0.1, 8), run(0.1, T.M)
    # 150: exact steps, a smooth curve, still high after 60 epochs.
    assert np.all(np.diff(full) < 0) and full[-1] > 0.25
    # 1: drops within a few epochs, then jitters on a plateau.
    assert one[3] < 0.5 * one[0] and np.sum(np.diff(one[10:]) > 0) >= 10
    assert one[10:].min() > 0.25
    # 8: by far the lowest loss.
    assert eight[-1] < 0.3 * min(one[-1], full[-1])
    # 0.01 crawls; about 1 the loss jumps around; 2 and above explode.
    assert run(0.01, 8)[-1] > 0.25
    jumpy = run(1.0, 8)
    assert np.sum(np.diff(jumpy) > 0) >= 15 and jumpy[-1] > 0.25
    for lr in (2.0, 3.0, 5.0):
        assert _run(CONFIG, "moons", lr, 8)["diverged_at"] > 0


def test_epochs_only_looks_along_one_run():
    a = T.state(CONFIG, controls(epochs=6))
    b = T.state(CONFIG, controls(epochs=12))
    assert a["curve"] == b["curve"] and a["C"] == b["curve"][6]
    assert a["P"] != b["P"]


def test_bad_controls_are_refused():
    for bad, match in (
        ({"dataset": "spirals"}, "dataset"),
        ({"lr": 0.0}, "lr"),
        ({"lr": 0.15}, "lr"),
        ({"batch_size": T.M + 1}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"epochs": -1}, "epochs"),
    ):
        with pytest.raises(ValueError, match=f"^{match} must be"):
            T.show(**bad)


# -- the JupyterLab side: every control recomputes with the package ------------


def test_every_control_drives_the_widget_state():
    ex = T.show()
    first = ex.state
    assert ex.controls == T.make_controls()
    moves = {
        "dataset": "circles",
        "lr": 0.3,
        "batch_size": 32,
        "epochs": 20,
    }
    for key, value in moves.items():
        before = ex.state
        after = ex.set_controls(**{key: value})
        assert after[key] == value
        assert after["P"] != before["P"]
        assert after == T.state(ex.config, ex.controls)
    assert first["dataset"] == "moons" and ex.state["dataset"] == "circles"
    ex.set_controls(lr=T.LEARNING_RATES[-1])
    k = ex.state["diverged_at"]
    assert k and f"diverged in epoch {k}" in repr(ex)


def test_book_view_is_small_and_has_a_fallback():
    ex = T.show()
    bundle = ex._repr_mimebundle_()
    html = bundle["text/html"]
    assert 'data-explorer="training"' in html
    assert "<noscript>" in html and "data:image/png;base64," in html
    assert "function trainRun" in html  # the engine retrains in the page
    assert len(html) < 200_000
    assert "Training explorer" in bundle["text/plain"]


# -- the page's engine against the package (headless Chromium) --------------

browser = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium(playwright_session):
    from browser_support import launch_chromium

    b = launch_chromium(playwright_session)
    yield b
    b.close()


# Makes the view's top-level functions reachable from the test (a module
# script's names are not globals).
EXPOSE = (
    'ui.boot("',
    "window.bpTraining = { Sgd, epochOrders, network, initialNet, "
    'oneHot }; ui.boot("',
)


def _page(chromium, tmp_path, replace=None):
    from browser_support import explorer_page

    ex = T.show()
    return ex, explorer_page(chromium, tmp_path, ex, replace=replace)


JS_CURVES = """(settings) => {
  const el = document.querySelector("[data-explorer]");
  return settings.map((c) => {
    el.bpModel.set("controls", c);
    el.bpModel.save_changes();
    const s = JSON.parse(el.getAttribute("data-state"));
    return [s.curve, s.diverged_at];
  });
}"""


def _horizon(config, dataset, lr, b):
    """Return the epochs that float64 determines: the package against itself.

    Where SGD is chaotic, moving one initial weight in its 13th digit moves
    the loss after some epochs in its first: no second engine can agree
    beyond that. Return the last epoch up to which the perturbed run stays
    within 1e-9 of the run.
    """
    nudged = json.loads(json.dumps(config))
    nudged["weights"][0][0][0] *= 1 + 1e-13
    a = _run(config, dataset, lr, b)["curve"]
    z = _run(nudged, dataset, lr, b)["curve"]
    for e, (u, v) in enumerate(zip(a, z)):
        if abs(u - v) > 1e-9 * abs(u):
            return e - 1
    return min(len(a), len(z)) - 1


SETTINGS = [
    (d, lr, b)
    for d in T.DATASETS
    for lr in (0.001, 0.03, 0.1, 0.3, 1.0, 30.0)
    for b in (1, 3, 8, 32, 150)
]


def _curve_problems(ex, got):
    problems, full = [], 0
    for (d, lr, b), (curve, diverged) in zip(SETTINGS, got):
        want = _run(ex.config, d, lr, b)
        horizon = _horizon(ex.config, d, lr, b)
        full += horizon == T.EPOCHS_MAX
        for e in range(horizon + 1):
            if (
                not abs(curve[e] - want["curve"][e])
                <= 1e-6 * want["curve"][e]
            ):
                problems.append(f"{d} lr={lr} b={b} epoch {e}: "
                                f"{curve[e]} != {want['curve'][e]}")  # fmt: skip
                break
        done = len(want["curve"]) - 1
        if horizon == done and diverged != want["diverged_at"]:
            problems.append(f"{d} lr={lr} b={b}: diverged_at {diverged}")
    return problems, full


@browser
def test_page_loss_curves_are_the_packages(chromium, tmp_path):
    ex, opened = _page(chromium, tmp_path)
    settings = [
        {"dataset": d, "lr": lr, "batch_size": b, "epochs": T.EPOCHS_MAX}
        for d, lr, b in SETTINGS
    ]
    with opened as (page, errors):
        got = page.evaluate(JS_CURVES, settings)
    problems, full = _curve_problems(ex, got)
    assert problems == [], "\n".join(problems[:10])
    # Most settings are reproducible over the whole run, the book's
    # default and exercise 2's among them.
    assert full >= 0.6 * len(SETTINGS)
    for b in (1, 8, 150):
        assert _horizon(ex.config, "moons", 0.1, b) == T.EPOCHS_MAX
    assert errors == []


JS_GRADIENTS = """(cases) => {
  const { Sgd, network, initialNet, oneHot } = window.bpTraining;
  const config = document.querySelector("[data-explorer]").bpModel.get("config");
  const { X, labels } = config.datasets.moons, Y = oneHot(labels);
  return cases.map(({ weights, cols }) => {
    const net = { ...initialNet(config), weights };
    const sgd = new Sgd(net, X, Y);
    sgd.forward(cols);
    sgd.backward(cols);
    const pick = (A) => A.map((row) => cols.map((c) => row[c]));
    const eng = network.gradients(net, pick(X), pick(Y));
    const same = eng.dWs.every((W, l) => W.flat().every(
      (v, q) => v === sgd.dW[l][q]));
    return { same, dW: eng.dWs, db: eng.dbs };
  });
}"""


@browser
def test_page_shuffles_and_gradients_are_the_packages(chromium, tmp_path):
    ex, opened = _page(chromium, tmp_path, replace=EXPOSE)
    rng = np.random.default_rng(3)
    X, labels = _data("moons")
    Y = bp.data.one_hot(labels, 2)
    cases = []
    for b in (1, 2, 8, 150):
        net = bp.MLP(**T.NETWORK, seed=int(rng.integers(1000)))
        net.weights = [3 * W for W in net.weights]  # not only small z
        cols = [int(c) for c in rng.choice(T.M, b, replace=False)]
        cases.append((net, cols))
    with opened as (page, errors):
        orders = page.evaluate(
            "() => window.bpTraining.epochOrders(150, 60, 2026)"
        )
        got = page.evaluate(
            JS_GRADIENTS,
            [{"weights": [W.tolist() for W in net.weights], "cols": cols}
             for net, cols in cases],
        )  # fmt: skip
    assert orders == T.epoch_orders(150, 60, 2026)
    for (net, cols), g in zip(cases, got):
        # Sgd's flat loop gives exactly engine.js's network.gradients ...
        assert g["same"], f"batch {len(cols)}: Sgd differs from engine.js"
        # ... and both the package's, to rounding.
        dWs, dbs = net.gradients(X[:, cols], Y[:, cols])
        for l in range(3):
            np.testing.assert_allclose(g["dW"][l], dWs[l], rtol=1e-11,
                                       atol=1e-15)  # fmt: skip
            np.testing.assert_allclose(g["db"][l], dbs[l], rtol=1e-11,
                                       atol=1e-15)  # fmt: skip
    assert errors == []


# One deliberately wrong rule at a time in the page's training loop: the
# loss curves must then differ from the package's.
SGD_BREAKS = [
    ("aL[i * B + j] - this.Y", "aL[i * B + j] + this.Y"),  # rule 1
    ("dp[q] *= 1 - ap1[q] ** 2;", "dp[q] *= 1;"),  # rule 2
    ("db[i] = s / B", "db[i] = s"),  # rule 3
    (
        "dW[i * inner + k] = s / B",
        "dW[i * inner + k] = 2 * s / B",
    ),  # rule 4
    ("W[q] -= lr * dW[q];", "W[q] += lr * dW[q];"),  # the SGD step
    ("(p, q) => u[p] - u[q]", "(p, q) => u[q] - u[p]"),  # the shuffles
]


@browser
@pytest.mark.parametrize("old, new", SGD_BREAKS)
def test_a_broken_rule_in_the_page_is_caught(chromium, tmp_path, old, new):
    ex, opened = _page(chromium, tmp_path, replace=(old, new))
    settings = [
        {"dataset": "moons", "lr": 0.1, "batch_size": b, "epochs": 60}
        for b in (1, 8, 150)
    ]
    with opened as (page, errors):
        got = page.evaluate(JS_CURVES, settings)
    wrong = 0
    for s, (curve, _) in zip(settings, got):
        want = _run(ex.config, "moons", 0.1, s["batch_size"])["curve"]
        n = min(len(curve), len(want))
        wrong += any(
            not math.isclose(curve[e], want[e], rel_tol=1e-6)
            for e in range(n)
        ) or len(curve) != len(want)
    assert wrong > 0, f"breaking {old!r} went unnoticed"


JS_VIEW = """() => {
  const el = document.querySelector("[data-explorer]");
  return {
    state: el.getAttribute("data-state"),
    drawing: el.querySelector("path.bp-boundary").getAttribute("d")
      + el.querySelector("svg.bp-chart").innerHTML,
    status: el.querySelector(".bp-status").textContent,
  };
}"""


def _readout(s):
    """Return the readout the view must show for state s (epoch, loss, %)."""
    return (
        f"epoch {s['epoch']}: training loss {s['C']:.4f}, "
        f"accuracy {100 * s['accuracy']:.1f}%"
    )


@browser
def test_every_control_moves_the_view(chromium, tmp_path):
    ex, opened = _page(chromium, tmp_path)
    with opened as (page, errors):
        root = page.locator("[data-explorer]")
        names = root.locator("[data-control]").evaluate_all(
            "(els) => els.map((e) => e.dataset.control)"
        )
        assert sorted(names) == sorted(T.make_controls())
        for name in names:
            control = root.locator(f'[data-control="{name}"]')
            for how in ("keyboard", "input event"):
                before = page.evaluate(JS_VIEW)
                if name == "dataset":
                    new = "moons" if control.input_value() != "moons" else (
                        "circles")  # fmt: skip
                    if how == "keyboard":
                        control.focus()
                        control.press(
                            "ArrowDown" if new == "circles" else "ArrowUp"
                        )
                    else:
                        control.select_option(new)
                elif how == "keyboard":
                    control.focus()
                    at_max = control.evaluate("(e) => +e.value >= +e.max")
                    control.press("ArrowLeft" if at_max else "ArrowRight")
                else:
                    control.evaluate(
                        """(e) => { e.value = +e.value > +e.min ? e.min
                                                    : e.max;
                           e.dispatchEvent(new Event("input",
                                                     {bubbles: true})); }"""
                    )
                after = page.evaluate(JS_VIEW)
                state = json.loads(after["state"])
                assert after["state"] != before["state"], (name, how)
                assert after["drawing"] != before["drawing"], (name, how)
                assert after["status"] == _readout(state)
                # What the page shows is what the package computes there.
                from browser_support import compare_states

                want = T.state(ex.config, {k: state[k] for k in names})
                assert compare_states(state, want) == [], (name, how)
        # A learning rate far too large: the page says so, with numbers.
        page.evaluate(
            """() => { for (const k of ["epochs", "lr"]) {
                 const e = document.querySelector(`[data-control="${k}"]`);
                 e.value = e.max;
                 e.dispatchEvent(new Event("input", {bubbles: true})); } }"""
        )
        shown = page.evaluate(JS_VIEW)
        state = json.loads(shown["state"])
        want = T.state(ex.config, {k: state[k] for k in names})
        assert want["diverged_at"] > 0
        assert shown["status"].startswith(
            f"diverged in epoch {want['diverged_at']}: learning rate 30 "
        )
        assert shown["status"].endswith(f"showing epoch {want['epoch']}")
        assert "NaN" not in shown["state"] and "Infinity" not in (
            shown["state"] + shown["drawing"])  # fmt: skip
    assert errors == []
