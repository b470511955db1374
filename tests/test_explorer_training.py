"""Tests for the training explorer: the pure run, the live widget driven from Python, the book frames."""

import json
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.explorers import training as T  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def sane_run():
    return T.toy_run(
        "moons", lr=0.1, batch_size=8, epochs=T.EPOCHS_MAX, seed=0
    )


def test_loss_decreases_at_a_sane_learning_rate(sane_run):
    loss = np.array(sane_run.loss)
    assert sane_run.diverged_at is None and len(loss) == T.EPOCHS_MAX + 1
    assert loss[-1] < 0.2 * loss[0]
    # Not only at the end: the loss falls over every stretch of 10 epochs.
    assert np.all(np.diff(loss[::10]) < 0)


def test_decision_boundary_beats_chance(sane_run):
    # Read the class of each training point off the stored probability map (nearest grid
    # point), not from the network: this is what the figure shows.
    P = sane_run.probability[-1]
    cols = np.abs(sane_run.xs[None, :] - sane_run.X[0][:, None]).argmin(
        axis=1
    )
    rows = np.abs(sane_run.ys[None, :] - sane_run.X[1][:, None]).argmin(
        axis=1
    )
    inside = (np.abs(sane_run.X) <= 2).all(axis=0)
    predicted = (P[rows, cols] > 0.5).astype(int)
    accuracy = np.mean(predicted[inside] == sane_run.labels[inside])
    assert accuracy > 0.9
    # Before training the same map is no better than a coin for one of the classes.
    P0 = sane_run.probability[0]
    assert (
        np.mean((P0[rows, cols] > 0.5)[inside] == sane_run.labels[inside])
        < accuracy - 0.2
    )


def test_snapshots_are_those_of_an_independent_training(sane_run):
    # Train the same network with the package directly for 7 epochs and compare the map.
    X, labels = T.make_problem("moons", seed=0)
    net = bp.MLP(
        T.SIZES,
        hidden="tanh",
        output="softmax",
        loss="cross_entropy",
        seed=0,
    )
    bp.training.train(
        net,
        X,
        bp.data.one_hot(labels, 2),
        epochs=7,
        batch_size=8,
        lr=0.1,
        seed=0,
        progress=False,
    )
    point = np.array([[sane_run.xs[10]], [sane_run.ys[40]]])
    assert sane_run.probability[7][40, 10] == pytest.approx(
        net.forward(point)[1, 0], rel=1e-12
    )
    assert sane_run.loss[7] == pytest.approx(
        net.loss(X, bp.data.one_hot(labels, 2)), rel=1e-12
    )


def test_shorter_run_is_a_prefix():
    short = T.toy_run("circles", lr=0.3, batch_size=16, epochs=6)
    long = T.toy_run("circles", lr=0.3, batch_size=16, epochs=12)
    assert short.loss == long.loss[:7]
    np.testing.assert_array_equal(short.probability[6], long.probability[6])


def test_huge_learning_rate_is_reported_as_divergence_not_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = T.toy_run(
            "moons", lr=T.LR_RANGE[1], batch_size=1, epochs=T.EPOCHS_MAX
        )
        assert run.diverged_at is not None
        assert "diverged" in run.status(
            T.EPOCHS_MAX
        ) and "too large" in run.status(T.EPOCHS_MAX)
        assert all(np.isfinite(run.loss)) and all(
            np.isfinite(P).all() for P in run.probability
        )
        ex = T.TrainingExplorer(lr=T.LR_RANGE[1], batch_size=1)
        png = ex.png()
    assert png.startswith(b"\x89PNG")
    assert "diverged" in ex.status


@pytest.mark.parametrize(
    "lr, batch_size",
    [(T.LR_RANGE[0], 1), (T.LR_RANGE[0], T.M), (T.LR_RANGE[1], T.M)],
)
def test_slider_extremes_are_finite_and_quiet(lr, batch_size):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = T.toy_run(
            "circles", lr=lr, batch_size=batch_size, epochs=T.EPOCHS_MAX
        )
    assert all(np.isfinite(run.loss))
    if run.diverged_at is None:
        assert len(run.loss) == T.EPOCHS_MAX + 1


def test_bad_settings():
    with pytest.raises(ValueError, match="dataset"):
        T.toy_run("spirals")
    with pytest.raises(ValueError, match="lr"):
        T.toy_run(lr=0)
    with pytest.raises(ValueError, match="batch_size"):
        T.toy_run(batch_size=T.M + 1)
    ex = T.TrainingExplorer()
    before = ex.run
    with pytest.raises(ValueError):
        ex.set(lr=-1.0)
    assert (
        ex.run is before and ex.settings["lr"] == 0.1
    )  # the explorer is left as it was


def test_widget_sliders_drive_the_state():
    view = T.show()
    ex, controls = view.explorer, view.widget.controls
    image = view.widget.children[5]
    first_png = image.value
    assert ex.epoch == T.EPOCHS_MAX

    controls["epochs"].value = 5
    e, loss, accuracy, _ = ex.state()
    assert e == 5 and loss == ex.run.loss[5] and loss > ex.run.loss[-1]
    assert image.value != first_png
    assert view.widget.children[6].value.startswith("epoch 5:")

    run_before = ex.run
    controls["lr"].value = 0.3
    assert ex.run is not run_before and ex.run.lr == pytest.approx(0.3)
    assert ex.run.loss[0] == run_before.loss[0]  # same start, another path
    assert ex.run.loss[5] != run_before.loss[5]

    controls["batch_size"].value = 32
    assert ex.run.batch_size == 32

    controls["dataset"].value = "circles"
    X, _ = T.make_problem("circles")
    np.testing.assert_array_equal(ex.run.X, X)

    controls["lr"].value = (
        10 ** controls["lr"].max
    )  # FloatLogSlider: min and max are exponents
    assert (
        ex.run.diverged_at is not None
        and "diverged" in view.widget.children[6].value
    )


def test_dual_view_bundle_has_the_frames():
    view = T.show(frames=6)
    bundle = view._repr_mimebundle_()
    html = bundle["text/html"]
    assert (
        "VBox(" not in bundle["text/plain"]
        and "Training explorer" in bundle["text/plain"]
    )
    assert 'class="bp-frames"' in html
    payload = json.loads(
        re.search(
            r'<script type="application/json" class="bp-frames-data">(.*?)</script>',
            html,
            re.S,
        ).group(1)
    )
    assert (
        len(payload["frames"]) == 6 and len(set(payload["frames"])) == 6
    )  # every frame differs
    assert payload["labels"][0].startswith("epoch 0:")
    assert payload["labels"][-1].startswith(f"epoch {T.EPOCHS_MAX}:")
    assert WIDGET_VIEW in bundle
