"""Keep only the MathJax the book loads: tex-chtml.js and what it fetches lazily.

sphinx-mathjax-offline copies the whole MathJax 3 distribution (24 MB, a dozen
combined bundles for SVG, MathML and speech output) into _static/mathjax. The
pages load tex-chtml.js, which fetches the CHTML fonts, TeX extensions, the
menu and the accessibility components on demand; everything else is removed
after the build. The browser tests check that math still renders offline.
"""

import shutil
from pathlib import Path

KEEP = {"tex-chtml.js", "output/chtml", "output/chtml.js", "input/tex", "a11y", "ui", "sre", "adaptors"}


def prune(app, exception):
    """Delete the MathJax files no page can load, after a successful HTML build."""
    root = Path(app.outdir) / "_static" / "mathjax"
    if exception is not None or app.builder.format != "html" or not (root / "tex-chtml.js").exists():
        return
    for path in sorted(root.rglob("*"), reverse=True):
        rel = path.relative_to(root).as_posix()
        needed = any(rel == k or rel.startswith(k + "/") or k.startswith(rel + "/") for k in KEEP)
        if not needed and path.exists():
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def setup(app):
    app.connect("build-finished", prune)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
