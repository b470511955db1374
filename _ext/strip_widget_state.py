"""Remove the stored ipywidgets state from the built pages.

When a chapter executes, nbclient stores the state of every widget the
notebook created in the notebook's metadata, and myst-nb copies it into the
page as a <script type="application/vnd.jupyter.widget-state+json">. An
explorer is an anywidget whose state holds its whole ES module (the engine,
the UI helpers and the view), which the page already inlines once in the
explorer's own text/html view: the stored copy would only add weight, since
no widget manager ever reads it (nb_ipywidgets_js is empty in _config.yml).
"""

import re
from pathlib import Path

WIDGET_STATE = re.compile(
    r'<script type="application/vnd\.jupyter\.widget-state\+json">'
    r".*?</script>\s*",
    re.S,
)


def strip(app, exception):
    """Delete every stored widget state from the HTML pages, after a successful build."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = WIDGET_STATE.sub("", text)
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    app.connect("build-finished", strip)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
