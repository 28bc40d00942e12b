"""Notation chapter, "What skip-gram predicts": one context window, drawn, and its pairs.

Skip-gram turns a sentence into (centre, outside) pairs: the word at position ``t`` is
the centre word ``c``, and each word ``w_{t+j}`` with ``0 < |j| <= m`` is a true outside
word ``o`` for it. The pairs come from :func:`derivations.context_window`, the same
function part (i) sums the loss over; this module only lists and draws them.
"""
import numpy as np

from ..core.skipgram import context_window

CENTRE_COLOUR, OUTSIDE_COLOUR, OTHER_COLOUR = "#1f77b4", "#ff7f0e", "#bbbbbb"


def window_pairs(words, t, m):
    """The (centre, outside) pairs of the window at position ``t``: eq. (i.1)'s terms, in order.

    ``words`` is a sequence of tokens (strings or word indices), ``t`` a position in it and
    ``m >= 1`` the window size. Returns a list of ``2m`` pairs ``(w_t, w_{t+j})`` for
    ``j = -m..m, j != 0`` (fewer where the window meets the sentence's ends).
    """
    c, outside = context_window(list(words), t, m)
    return [(c, o) for o in outside]


def draw_window(words, t, m, ax=None, context=1):
    """Draw the window at position ``t`` as a row of word boxes: the centre ``w_t`` (blue), its outside
    words ``w_{t+j}``, ``0 < |j| <= m`` (orange), and ``context`` more words each side (grey).

    Words further out are elided with an ellipsis, so the boxes stay large enough to read on a
    phone. Each box in the window is labelled with its offset (``t-2`` ... ``t+2``) below, and a
    bracket above each side says how many outside words it holds. Returns the matplotlib ``Axes``
    (a new figure if ``ax`` is None).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    words = [str(w) for w in words]
    window_pairs(words, t, m)                    # validates t and m with the library's messages
    if isinstance(context, bool) or not isinstance(context, int) or context < 0:
        raise ValueError(f"context must be an integer >= 0 (grey words shown each side), got {context!r}")
    first, last = max(0, t - m - context), min(len(words), t + m + context + 1)
    shown = list(range(first, last))
    # One data unit is one inch of a new figure, so a 14-point word (about 0.11 in a letter) fits its box.
    widths = {i: 0.22 + (0.125 if i == t else 0.11) * len(words[i]) for i in shown}   # the centre is bold
    gap, dots = 0.1, 0.35
    x = dots if first > 0 else 0.0
    total = x + sum(widths.values()) + gap * len(shown) + (dots if last < len(words) else 0.0)
    if ax is None:
        _, ax = plt.subplots(figsize=(total, 1.9))
        ax.set_position([0, 0, 1, 1])
    if first > 0:
        ax.text(dots / 2 - gap / 2, 0.25, "\u2026", ha="center", va="center", fontsize=14, color="#555555")
    spans = {}
    for i in shown:
        j, width = i - t, widths[i]
        role = "centre" if j == 0 else "outside" if abs(j) <= m else "other"
        colour = {"centre": CENTRE_COLOUR, "outside": OUTSIDE_COLOUR, "other": OTHER_COLOUR}[role]
        ax.add_patch(FancyBboxPatch((x, 0.0), width, 0.5, boxstyle="round,pad=0.02,rounding_size=0.06",
                                    facecolor=colour, edgecolor="none"))
        ax.text(x + width / 2, 0.25, words[i], ha="center", va="center", fontsize=14,
                color="#222222" if role == "other" else "white", fontweight="bold" if j == 0 else "normal")
        if role != "other":
            label = "t\ncentre c" if j == 0 else f"t{j:+d}".replace("-", "\u2212")
            ax.text(x + width / 2, -0.08, label, ha="center", va="top", fontsize=12,
                    color=CENTRE_COLOUR if j == 0 else "#333333", fontweight="bold" if j == 0 else "normal")
        spans[i] = (x, x + width)
        x += width + gap
    if last < len(words):
        ax.text(x + dots / 2 - gap / 2, 0.25, "\u2026", ha="center", va="center", fontsize=14, color="#555555")
    for side in (range(max(0, t - m), t), range(t + 1, min(len(words), t + m + 1))):
        side = list(side)
        if not side:
            continue
        left, right = spans[side[0]][0], spans[side[-1]][1]
        ax.plot([left, left, right, right], [0.62, 0.7, 0.7, 0.62], color="#555555", lw=1)
        ax.text((left + right) / 2, 0.78, f"{len(side)} outside word{'s' if len(side) != 1 else ''}",
                ha="center", va="bottom", fontsize=12, color="#333333")
    ax.set_xlim(0, total)
    ax.set_ylim(-0.62, 1.08)
    ax.axis("off")
    return ax


def predicts_itself(V, U):
    """For each word ``w``, is ``w`` its own most likely outside word, ``argmax softmax(U^T v_w) = w``?

    ``V`` and ``U`` are ``(d, |V|)`` (columns ``v_w``, ``u_w``); pass the same array twice for
    a model with one vector per word. Returns a bool array of shape ``(|V|,)``. With one vector
    per word the score of ``w`` as its own outside word is ``|v_w|^2``, which by Cauchy-Schwarz
    beats every word whose vector is no longer than ``v_w``.
    """
    V, U = np.asarray(V, dtype=float), np.asarray(U, dtype=float)
    if V.ndim != 2 or V.shape != U.shape:
        raise ValueError(f"V and U must both be (d, |V|) arrays of one shape, got {V.shape} and {U.shape}")
    scores = U.T @ V                        # (|V|, |V|): column w holds U^T v_w
    return np.argmax(scores, axis=0) == np.arange(V.shape[1])
