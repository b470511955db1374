"""Numbers in the prose: what MyST's {eval} role shows (every chapter).

A chapter never types a computed number. A code cell binds it, formatted,
to a name, and the prose quotes the name with MyST's inline {eval} role:

    p_text = show(test_accuracy, ".1%")       # in a code cell
    ... an accuracy of {eval}`p_text` ...      # in the prose

MyST-NB fills the role when it builds the book (executing the page cell by
cell, `execute_notebooks: inline`), and jupyterlab-myst fills it in
JupyterLab when the Markdown cell runs; both show the value's text/plain
representation. That of a plain str carries quotes, so `show` returns a
`Text`: a str whose repr is itself. Math and Markdown values need no
helper: an IPython `Math` or `Markdown` object is shown as such.
"""

__all__ = ["Text", "show", "sup", "sub"]

#: Format types that take an int, and those that take a float.
_INT_TYPES = set("bcdoxX")
_FLOAT_TYPES = set("eEfFgGn%")


class Text(str):
    """A string that {eval} shows as itself: its repr has no quotes.

    `value` keeps the number it was formatted from, so that a test can
    check the number the prose quotes at full precision.
    """

    value = None

    def __repr__(self):
        """Return the text itself."""
        return str(self)


def show(value, spec=""):
    """Return value formatted with format spec `spec` (".3f", ",", "+.1e") as Text.

    An integer type (d, x, ...) formats int(value), a float type (f, e, g,
    %, ...) float(value), and no type str(value): the rules of myst-nb's
    {glue:text} role, which the chapters used before.
    """
    if not isinstance(spec, str):
        raise TypeError(
            f"spec must be a format spec string such as '.3f'; got {spec!r}"
        )
    kind, raw = spec[-1:], value
    try:
        if kind in _INT_TYPES:
            value = int(value)
        elif kind in _FLOAT_TYPES:
            value = float(value)
        elif not spec or kind == "s":
            value = str(value)
        text = Text(format(value, spec))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"cannot format {value!r} with spec {spec!r} ({error}); "
            "expected a number and a spec such as '.3f', ',' or '.1%'"
        ) from None
    text.value = raw
    return text


_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sup(n):
    """Return the integer n in superscript digits, as in W² or δ³."""
    return str(n).translate(_SUP)


def sub(n):
    """Return the integer n in subscript digits, as in w²₁₃ or x₂."""
    return str(n).translate(_SUB)
