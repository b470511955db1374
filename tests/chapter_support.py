"""Helpers shared by the chapter tests: run a chapter, and a reference gradient.

`centred_differences` is written here, not taken from backprop.gradcheck,
so that the tests' reference does not depend on the code it checks.
"""

import numpy as np


def execute_chapters(paths):
    """Return {key: executed notebook} for {key: chapter .md path}, as the build runs them."""
    import jupytext
    import nbclient
    import nbformat

    notebooks = {}
    for key, path in paths.items():
        nb = jupytext.read(path)
        nb.cells.append(
            nbformat.v4.new_code_cell(
                DUMP_TEXTS, metadata={"tags": ["remove-input"]}
            )
        )
        nbclient.NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        notebooks[key] = nb
    return notebooks


def centred_differences(cost, arrays, eps=1e-6):
    """Return (cost(P + ε) − cost(P − ε)) / 2ε for every entry of every array."""
    out = []
    for P in arrays:
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + eps
            up = cost()
            P[idx] = old - eps
            down = cost()
            P[idx] = old  # restore exactly
            G[idx] = (up - down) / (2 * eps)
        out.append(G)
    return out


# The names the prose quotes, read back from an executed chapter: myst-nb's
# glue records (chapters that still glue) and, for chapters whose prose uses
# {eval}, every backprop.text.Text the kernel holds at the end (its `value`
# is the number at full precision, not the formatted text).
DUMP_TEXTS = """\
import json as _json
from backprop.text import Text as _Text
print("@@texts@@" + _json.dumps({
    _k: _v.value for _k, _v in dict(globals()).items()
    if isinstance(_v, _Text) and not _k.startswith("_")
}, default=lambda o: o.item() if hasattr(o, "item") else repr(o)))
"""


def glued(nb):
    """Return {name: value} of every number an executed chapter's prose quotes."""
    import ast
    import json

    values = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                text = o["data"]["application/papermill.record/text/plain"]
                values[name] = ast.literal_eval(text)  # a plain number
            for line in o.get("text", "").splitlines():
                if line.startswith("@@texts@@"):
                    values.update(json.loads(line[len("@@texts@@") :]))
    return values
