"""Random and extreme settings of an explorer, drawn from its control spec.

The engine tests (test_engine_browser.py) and the explorers' own tests set
these through the page and through the package. Every control kind of
backprop.explorers.controls knows its domain (`draw(rng, ctx)`,
`ends(ctx)`); here the controls are drawn in the spec's order, each in the
network (`ctx`) the controls before it make.
"""


def _spec(explorer):
    return explorer.controls_spec(explorer.config)


def _context(explorer, values):
    return explorer.context(explorer.config, values)


def sample_controls(explorer, rng):
    """Return random controls of explorer: each drawn from its spec item."""
    values = {}
    for c in _spec(explorer):
        values[c.name] = c.draw(rng, _context(explorer, values))
    return values


def _context_before(explorer, name, controls):
    values = {}
    for c in _spec(explorer):
        if c.name == name:
            break
        values[c.name] = controls[c.name]
    return _context(explorer, values)


def _settle(explorer, controls, i):
    # Keep every value of controls that fits the controls before it; put
    # the others at their end i.
    values = {}
    for c in _spec(explorer):
        ctx = _context(explorer, values)
        try:
            values[c.name] = c.check(controls[c.name], ctx)
        except (KeyError, TypeError, ValueError):
            values[c.name] = c.ends(ctx)[i]
    return values


def extreme_controls(explorer):
    """Return settings of explorer at the ends of its spec.

    Each control at each of its ends (the others as they start, or at their
    first end where the start no longer fits); every control at its first
    end, then at its last; and every option of a select with the others
    all at one end (a network's activation at its largest, saturating
    numbers).
    """
    start, out = explorer.controls, []
    for c in _spec(explorer):
        ctx = _context_before(explorer, c.name, start)
        for v in c.ends(ctx):
            out.append(_settle(explorer, {**start, c.name: v}, 0))
    out += [_settle(explorer, {}, i) for i in (0, -1)]
    for c in _spec(explorer):
        if c.kind == "choice":
            ctx = _context_before(explorer, c.name, start)
            out += [
                _settle(explorer, {c.name: v}, i)
                for v in c.ends(ctx)
                for i in (0, -1)
            ]
    return out
