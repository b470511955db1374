"""backprop.text.show: the prose's numbers, as {glue:text} showed them."""

import pytest
from myst_nb.core.variables import format_plain_text

from backprop.text import Text, show

CASES = [
    (0.123456789, "+.6f"),
    (-0.5, ".3f"),
    (1797, ","),
    (1797, ""),
    (3, "d"),
    (0.98054, ".1%"),
    (1.5e-7, ".0e"),
    (2.0, ".2g"),
    ((64, 30, 10), ""),
    ("tanh", ""),
    (12, "s"),
]


@pytest.mark.parametrize("value, spec", CASES)
def test_show_gives_the_text_glue_gave(value, spec):
    # The reference: myst-nb's own formatting of a glued text/plain repr.
    assert show(value, spec) == format_plain_text(repr(value), spec)


def test_eval_shows_the_text_without_quotes():
    shown = show(0.25, ".2f")
    assert isinstance(shown, Text) and isinstance(shown, str)
    assert repr(shown) == "0.25" and str(shown) == "0.25"


def test_a_spec_that_does_not_fit_the_value_is_refused_clearly():
    with pytest.raises(ValueError, match=r"'abc'.*'\.3f'"):
        show("abc", ".3f")
    with pytest.raises(TypeError, match="format spec"):
        show(1.0, 3)
