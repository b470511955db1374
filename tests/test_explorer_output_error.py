"""Tests for the output-error explorer (chapter 3): sigmoid + MSE against softmax + cross-entropy.

References are independent of the package: the logistic function and both
costs are written out here with the math module, and derivatives are taken by
centred finite differences.
"""

import math
import warnings

import numpy as np
import pytest

from backprop.explorers import output_error as oe

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def logistic(z):
    return (
        1.0 / (1.0 + math.exp(-z))
        if z >= 0
        else math.exp(z) / (1.0 + math.exp(z))
    )


def mse_cost(z, y):
    return 0.5 * (logistic(z) - y) ** 2


def ce_cost(z, y):
    # Two-class softmax with logits (z, 0) and target (y, 1 − y), written out.
    log_norm = max(z, 0.0) + math.log(
        math.exp(z - max(z, 0.0)) + math.exp(-max(z, 0.0))
    )
    return -(y * (z - log_norm) + (1.0 - y) * (0.0 - log_norm))


def centred(f, z, h=1e-5):
    return (f(z + h) - f(z - h)) / (2 * h)


ZS = [-9.5, -6.0, -2.5, -0.3, 0.0, 0.7, 3.0, 7.5]
YS = [0.0, 0.25, 1.0]


@pytest.mark.parametrize("y", YS)
@pytest.mark.parametrize("z", ZS)
def test_errors_are_the_derivatives_of_the_costs(z, y):
    s = oe.output_errors(z, y)
    assert float(s.delta_mse) == pytest.approx(
        centred(lambda t: mse_cost(t, y), z), abs=1e-8
    )
    assert float(s.delta_ce) == pytest.approx(
        centred(lambda t: ce_cost(t, y), z), abs=1e-8
    )
    assert float(s.cost_mse) == pytest.approx(
        mse_cost(z, y), rel=1e-12, abs=1e-15
    )
    assert float(s.cost_ce) == pytest.approx(
        ce_cost(z, y), rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize("y", YS)
@pytest.mark.parametrize("z", ZS)
def test_cross_entropy_error_is_a_minus_y_and_mse_carries_sigma_prime(z, y):
    s = oe.output_errors(z, y)
    a = logistic(z)
    # softmax((z, 0))_1 = e^z / (e^z + 1) = σ(z): the same output for both costs.
    assert float(s.a) == pytest.approx(a, rel=1e-14)
    assert float(s.delta_ce) == pytest.approx(a - y, abs=1e-14)
    assert float(s.delta_mse) == pytest.approx(
        (a - y) * a * (1 - a), abs=1e-15
    )
    assert float(s.slowdown) <= 0.25


def test_mse_error_vanishes_when_saturated_but_cross_entropy_does_not():
    for z in (-10.0, -8.0):
        s = oe.output_errors(z, 1.0)  # confidently wrong: a ≈ 0, y = 1
        assert abs(float(s.delta_mse)) < 4e-4
        assert float(s.delta_ce) < -0.999
    # Moving towards saturation, the MSE error shrinks monotonically on the wrong side.
    curve = oe.output_errors(np.linspace(-10, -1.5, 50), 1.0)
    assert np.all(np.diff(np.abs(curve.delta_mse)) > 0)
    assert np.all(np.abs(curve.delta_ce) > np.abs(curve.delta_mse))
    # Largest |δ_MSE| for y = 1 is 4/27 (where a = 1/3): far below |δ_CE|'s 1.
    fine = oe.output_errors(np.linspace(-10, 10, 20001), 1.0)
    assert np.max(np.abs(fine.delta_mse)) == pytest.approx(4 / 27, abs=1e-6)


def test_vectorised_values_keep_the_shape_of_z():
    z = np.array([[-1.0, 0.0], [2.0, 3.0]])
    s = oe.output_errors(z, 0.5)
    for v in (
        s.a,
        s.dsigma,
        s.delta_mse,
        s.delta_ce,
        s.cost_mse,
        s.cost_ce,
    ):
        assert v.shape == z.shape


def test_extremes_are_finite_and_silent():
    z = np.linspace(*oe.Z_RANGE, 401)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for y in (0.0, 0.5, 1.0):
                s = oe.output_errors(z, y)
                for v in (
                    s.a,
                    s.dsigma,
                    s.delta_mse,
                    s.delta_ce,
                    s.cost_mse,
                    s.cost_ce,
                ):
                    assert np.all(np.isfinite(v))
                for end in oe.Z_RANGE:
                    t = oe.output_errors(end, y)
                    assert np.isfinite(float(t.cost_ce)) and np.isfinite(
                        float(t.delta_mse)
                    )


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="y"):
        oe.output_errors(0.0, 1.5)
    with pytest.raises(ValueError, match="finite"):
        oe.output_errors(np.nan, 0.5)
    with pytest.raises(TypeError):
        oe.output_errors(0.0, "one")


def test_sliders_drive_the_state_and_the_image():
    ex = oe.OutputErrorExplorer(z=-4.0, y=1.0)
    first = ex.image.value
    ex.z.value = -8.0
    assert float(ex.state.z) == -8.0
    assert float(ex.state.delta_mse) == pytest.approx(
        (logistic(-8) - 1) * logistic(-8) * (1 - logistic(-8))
    )
    assert float(ex.state.delta_ce) == pytest.approx(logistic(-8) - 1)
    assert ex.image.value != first
    assert "-8.0" in ex.readout.value
    ex.y.value = 0.0  # now the output a ≈ 0 is right: both errors ≈ 0
    assert ex.state.y == 0.0
    assert abs(float(ex.state.delta_ce)) < 1e-3
    for end in (ex.z.min, ex.z.max):  # slider extremes
        ex.z.value = end
        assert np.isfinite(float(ex.state.delta_mse)) and np.isfinite(
            float(ex.state.delta_ce)
        )


def test_the_plot_moves_its_artists_in_place():
    plot = oe.OutputErrorPlot(-4.0, 1.0)
    fig, lines = plot.fig, len(plot.right.lines)
    plot.update(3.0, 0.5)
    assert plot.fig is fig and len(plot.right.lines) == lines
    assert plot.mse_dot.get_xdata()[0] == 3.0
    expected = (logistic(3.0) - 0.5) * logistic(3.0) * (1 - logistic(3.0))
    assert plot.mse_dot.get_ydata()[0] == pytest.approx(expected)
    # the curves follow y: the orange one is a − y on the whole grid
    expected = [logistic(z) - 0.5 for z in plot.ce_curve.get_xdata()]
    np.testing.assert_allclose(
        plot.ce_curve.get_ydata(), expected, atol=1e-14
    )


def test_blitted_frames_equal_a_full_redraw():
    # A plot moved from z = −4 to z = 2 (markers blitted over the saved background)
    # must give exactly the pixels of a plot drawn at z = 2 from scratch: no stale markers.
    moved = oe.OutputErrorPlot(-4.0, 1.0)
    first = moved.png()
    moved.update(2.0, 1.0)
    assert moved.png() != first
    fresh = oe.OutputErrorPlot(2.0, 1.0)
    assert moved.png() == fresh.png()
    moved.update(2.0, 0.3)  # a y move redraws the still parts too
    assert moved.png() == oe.OutputErrorPlot(2.0, 0.3).png()


def test_dual_view_carries_frames_and_no_widget_text():
    view = oe.show(z=-4.0, y=1.0)
    bundle = view._repr_mimebundle_()
    html = bundle["text/html"]
    assert "bp-frames" in html
    assert (
        html.count("data:image/png;base64,") == len(oe.BOOK_ZS) + 1
    )  # frame 0 is also the <img> src
    assert "VBox(" not in bundle["text/plain"] and "VBox(" not in repr(view)
    assert WIDGET_VIEW in bundle


def test_palette_frames_are_smaller_and_still_pngs():
    plot = oe.OutputErrorPlot(-4.0, 1.0)
    raw, small = plot.png(), plot.png(colors=64)
    assert raw[:8] == small[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(small) < len(raw) / 2
    from backprop.frames import figure_to_png

    assert (
        oe.compact_png(figure_to_png(plot.fig))[:8] == b"\x89PNG\r\n\x1a\n"
    )
