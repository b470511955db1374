"""Interactive explorers: a pure function, a live ipywidgets view, and precomputed frames for the book (see backprop.frames)."""
