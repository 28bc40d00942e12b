"""Interactive explorers: change v_c, U and K and watch the gradients.

Each explorer takes the loss-and-gradient functions as arguments (the book's by
default), so a reader's own implementation drives what is drawn; if it raises
or returns wrong shapes, the widget shows the message instead of a drawing.

In a chapter, one line shows one::

    from derivations.explorers import NaiveSoftmaxExplorer; NaiveSoftmaxExplorer()

The same widgets stay interactive in the published HTML without a kernel: the
page's copy of the formulas (static/common.js) then computes, checked against
NumPy by tests/test_explorables_browser.py.

What a reader gets in both: a plot as wide as the text column (down to a 390 px phone)
whose labels are placed so they never overlap, a legend naming each colour after its term,
named sliders that work from the keyboard (in JupyterLab too: the widget suppresses the
notebook's shortcuts while it has the focus), a gradient-step button and *Play*, which
keeps stepping and traces the loss.
"""
from .naive_softmax import NaiveSoftmaxExplorer
from .neg_sampling import NegSamplingExplorer
from .skipgram import SkipgramExplorer

__all__ = ["NaiveSoftmaxExplorer", "NegSamplingExplorer", "SkipgramExplorer"]
