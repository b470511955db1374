"""Interactive explorers: one JavaScript view, two engines (see host.py).

Each module (nudge, output_error, hidden_error, weights, network, training)
has a pure state(config, controls) computed with backprop and a show(...)
for the chapter's one-line cell. In JupyterLab the view is an anywidget fed
by that function; in the HTML book the same view computes in the page with
web/engine.js, a transcription of backprop.rules (web/README.md).
"""
