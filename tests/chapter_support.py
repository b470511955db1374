"""Helpers shared by the chapter tests: run a chapter, and a reference gradient.

`centred_differences` is written here, not taken from backprop.gradcheck,
so that the tests' reference does not depend on the code it checks.
"""

import numpy as np


def execute_chapters(paths):
    """Return {key: executed notebook} for {key: chapter .md path}, as the build runs them."""
    import jupytext
    import nbclient

    notebooks = {}
    for key, path in paths.items():
        nb = jupytext.read(path)
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
