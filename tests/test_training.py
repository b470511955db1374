"""Tests for backprop.training: minibatch SGD, its history, its errors and its progress bar."""

import math
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import data, gradcheck, training


def small_problem(m=7, seed=0):
    """Return (net, X, Y): a 3-4-2 tanh network with softmax output and a batch of m labelled points."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, m))
    labels = (X[0] + X[1] * X[2] > 0).astype(int)
    net = bp.MLP(
        [3, 4, 2],
        hidden="tanh",
        output="softmax",
        loss="cross_entropy",
        seed=seed,
    )
    return net, X, data.one_hot(labels, 2)


def reference_sgd(net, X, Y, epochs, batch_size, lr, seed):
    """SGD written from the definition, with gradients from finite differences (not the four rules)."""
    net = net.copy()
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    for _ in range(epochs):
        order = rng.permutation(m)
        for first in range(0, m, batch_size):
            batch = order[first : first + batch_size]
            dWs, dbs = gradcheck.numerical_gradients(
                net, X[:, batch], Y[:, batch], eps=1e-6
            )
            net.weights = [W - lr * dW for W, dW in zip(net.weights, dWs)]
            net.biases = [b - lr * db for b, db in zip(net.biases, dbs)]
    return net


@pytest.mark.parametrize(
    "batch_size", [1, 3, 7]
)  # 3 leaves a last minibatch of one example
def test_sgd_matches_finite_difference_reference(batch_size):
    net, X, Y = small_problem()
    expected = reference_sgd(
        net, X, Y, epochs=2, batch_size=batch_size, lr=0.3, seed=11
    )
    training.train(
        net,
        X,
        Y,
        epochs=2,
        batch_size=batch_size,
        lr=0.3,
        seed=11,
        progress=False,
    )
    for W, W_ref in zip(
        net.weights + net.biases, expected.weights + expected.biases
    ):
        np.testing.assert_allclose(W, W_ref, rtol=0, atol=1e-7)


def test_full_batch_step_is_gradient_descent_by_hand():
    # One epoch with batch_size = m is one step W ← W − η ∂C/∂W, whatever the shuffle.
    net, X, Y = small_problem(m=5)
    before = net.copy()
    dWs, dbs = gradcheck.numerical_gradients(before, X, Y)
    training.train(
        net, X, Y, epochs=1, batch_size=5, lr=0.7, seed=123, progress=False
    )
    np.testing.assert_allclose(
        net.weights[0], before.weights[0] - 0.7 * dWs[0], atol=1e-8
    )
    np.testing.assert_allclose(
        net.biases[1], before.biases[1] - 0.7 * dbs[1], atol=1e-8
    )


def test_history_records_each_epoch():
    net, X, Y = small_problem(m=20)
    X_val, Y_val = X[:, :6] + 0.1, Y[:, :6]
    seen = []
    history = training.train(
        net,
        X,
        Y,
        epochs=4,
        batch_size=5,
        lr=0.2,
        X_val=X_val,
        Y_val=Y_val,
        progress=False,
        callback=lambda e, n, h: seen.append((e, n.loss(X, Y))),
    )
    assert history.epoch == [1, 2, 3, 4]
    for name in (
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "time",
    ):
        assert len(getattr(history, name)) == 4, name
    # The last entries describe the trained network, computed here independently.
    a = net.forward(X)
    assert history.train_loss[-1] == pytest.approx(
        -np.sum(Y * np.log(a)) / 20, rel=1e-12
    )
    assert history.train_accuracy[-1] == np.mean(
        np.argmax(a, 0) == np.argmax(Y, 0)
    )
    assert history.val_loss[-1] == pytest.approx(
        net.loss(X_val, Y_val), rel=1e-12
    )
    assert [e for e, _ in seen] == [1, 2, 3, 4]
    assert [loss for _, loss in seen] == pytest.approx(
        history.train_loss, rel=1e-12
    )
    assert history.time == sorted(history.time)
    d = history.as_dict()
    assert (
        d["train_loss"] == history.train_loss
        and d["lr"] == 0.2
        and d["batch_size"] == 5
    )


def test_no_accuracy_for_targets_that_are_not_classes():
    rng = np.random.default_rng(1)
    X = rng.random((4, 12))
    net = bp.MLP(
        [4, 3, 4], hidden="tanh", output="sigmoid", loss="mse", seed=0
    )
    history = training.train(
        net,
        X,
        X,
        epochs=3,
        batch_size=4,
        lr=0.5,
        X_val=X,
        Y_val=X,
        progress=False,
    )
    assert history.train_accuracy == [] and history.val_accuracy == []
    assert len(history.val_loss) == 3
    assert (
        history.train_loss[-1] < history.train_loss[0] + 1e-12
        or history.train_loss[-1] < 1
    )


def test_labels_as_targets_give_the_same_run():
    net, X, Y = small_problem(m=10)
    twin = net.copy()
    h1 = training.train(net, X, Y, 3, 4, 0.4, seed=2, progress=False)
    h2 = training.train(
        twin, X, np.argmax(Y, 0), 3, 4, 0.4, seed=2, progress=False
    )
    assert (
        h1.train_loss == h2.train_loss
        and h1.train_accuracy == h2.train_accuracy
    )


def test_same_seed_same_history_and_weights():
    net, X, Y = small_problem(m=30)
    a, b = net.copy(), net.copy()
    ha = training.train(a, X, Y, 5, 4, 0.5, seed=7, progress=False)
    hb = training.train(b, X, Y, 5, 4, 0.5, seed=7, progress=False)
    assert (
        ha.train_loss == hb.train_loss
        and ha.train_accuracy == hb.train_accuracy
    )
    for W, V in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(W, V)
    c = net.copy()
    hc = training.train(c, X, Y, 5, 4, 0.5, seed=8, progress=False)
    assert hc.train_loss != ha.train_loss  # another shuffle, another path


def test_digits_reach_97_percent():
    split = data.load_digits(seed=1)
    net = data.digits_classifier(seed=0)  # chapter 10's network
    assert net.sizes == [64, 64, 10] and net.n_params == 4810
    history = training.train(
        net,
        split.X_train,
        split.Y_train,
        epochs=40,
        batch_size=32,
        lr=0.5,
        X_val=split.X_test,
        Y_val=split.Y_test,
        seed=0,
        progress=False,
    )
    accuracy = np.mean(
        net.predict(split.X_test) == split.y_test
    )  # computed here, not read from history
    assert accuracy >= 0.97
    assert history.val_accuracy[-1] == accuracy
    assert history.train_loss[-1] < history.train_loss[0] / 5


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr=0.0), "lr"),
        (dict(lr=-0.1), "lr"),
        (dict(lr=float("nan")), "lr"),
        (dict(lr=float("inf")), "lr"),
        (dict(lr="0.1"), "lr"),
        (dict(lr=True), "lr"),
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size=8), r"between 1 and m = 7"),
        (dict(batch_size=2.0), "batch_size"),
        (dict(batch_size=True), "batch_size"),
        (dict(epochs=0), "epochs"),
        (dict(epochs=1.5), "epochs"),
        (dict(epochs=-3), "epochs"),
    ],
)
def test_bad_hyper_parameters(kwargs, match):
    net, X, Y = small_problem()
    args = dict(epochs=2, batch_size=3, lr=0.1) | kwargs
    before = [W.copy() for W in net.weights]
    with pytest.raises(ValueError, match=match):
        training.train(net, X, Y, progress=False, **args)
    for W, V in zip(before, net.weights):
        np.testing.assert_array_equal(W, V)  # nothing was trained


def test_validation_needs_both():
    net, X, Y = small_problem()
    with pytest.raises(ValueError, match="X_val and Y_val"):
        training.train(net, X, Y, 1, 3, 0.1, X_val=X, progress=False)


def test_divergence_is_one_clear_error_without_warnings():
    # Identity output and MSE with a far too large step: the parameters overflow to inf and NaN.
    rng = np.random.default_rng(0)
    X = rng.random((4, 40))
    net = bp.MLP(
        [4, 8, 4], hidden="relu", output="identity", loss="mse", seed=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning would fail here
        with pytest.raises(training.DivergenceError) as info:
            training.train(
                net, X, X, epochs=50, batch_size=4, lr=50.0, progress=False
            )
    err = info.value
    assert isinstance(err, ArithmeticError)
    message = str(err)
    assert f"epoch {err.epoch} of 50" in message
    assert "smaller learning rate" in message and "lr = 5" in message
    assert "nan" not in message.lower().replace("nan or inf", "")
    assert len(err.history.train_loss) == err.epoch - 1
    assert all(math.isfinite(v) for v in err.history.train_loss)


def test_divergence_factor():
    net, X, Y = small_problem(m=20)
    start = net.loss(X, Y)
    with pytest.raises(
        training.DivergenceError, match="over 2 times its starting value"
    ) as info:
        training.train(
            net,
            X,
            Y,
            epochs=30,
            batch_size=1,
            lr=200.0,
            progress=False,
            divergence_factor=2,
        )
    assert (
        info.value.history.train_loss == []
        or max(info.value.history.train_loss) <= 2 * start
    )
    with pytest.raises(ValueError, match="divergence_factor"):
        training.train(
            net, X, Y, 1, 2, 0.1, progress=False, divergence_factor=0.5
        )


# ---------------------------------------------------------------------------
# the progress bar
# ---------------------------------------------------------------------------


def test_progress_outside_jupyter_goes_to_stdout(capsys):
    net, X, Y = small_problem()
    training.train(net, X, Y, epochs=3, batch_size=3, lr=0.1, progress=True)
    out, err = capsys.readouterr()
    assert err == ""
    assert "3/3" in out and "loss=" in out


def test_progress_in_a_notebook_is_one_final_line():
    """Execute a notebook as the book does; its stored outputs are what the HTML shows."""
    import nbformat
    from nbclient import NotebookClient

    code = (
        "import numpy as np, backprop as bp\n"
        "X = np.random.default_rng(0).random((3, 20)); Y = bp.data.one_hot((X[0] > .5).astype(int), 2)\n"
        "net = bp.MLP([3, 4, 2], hidden='tanh', output='softmax', loss='cross_entropy')\n"
        "h = bp.training.train(net, X, Y, epochs=5, batch_size=4, lr=0.5)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs
    bundle = outputs[0].data
    text = bundle["text/plain"]
    assert "5/5 epochs" in text and "loss=" in text
    assert (
        "HBox" not in text and "\r" not in text and "\n" not in text.strip()
    )
    assert (
        "application/vnd.jupyter.widget-view+json" in bundle
    )  # live in JupyterLab
