"""backprop: the code the book derives, one idea per module.

    activations   σ and σ' side by side                     (chapter 1)
    losses        costs and ∇_a C_x                          (chapter 3)
    rules         the four rules of backpropagation          (chapters 3-6)
    network       MLP: forward pass and the rules composed   (chapters 1, 7)
    gradcheck     centered finite differences                (chapter 8)
    symbolic      SymPy verification of every rule           (chapters 2-8)
    autograd      a small reverse-mode engine (Tensor)       (chapter 13)
    problems      practice problems that name the mistake    (chapters 3-7, 9)

Heavier modules (plots, explorers, data, training, ...) load on first use,
so `import backprop` stays quick.
"""

import importlib

from . import activations, checks, gradcheck, losses, rules
from .network import MLP, ForwardCache

__all__ = [
    "MLP",
    "ForwardCache",
    "activations",
    "checks",
    "gradcheck",
    "losses",
    "rules",
]

_LAZY = {
    "autograd",
    "symbolic",
    "explorers",
    "data",
    "training",
    "exercises",
    "mistakes",
    "flops",
    "row_convention",
    "tables",
    "text",
    "worked_example",
    "problems",
}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'backprop' has no attribute {name!r}")
