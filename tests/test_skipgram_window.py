"""The notation chapter's window helpers: the pairs, the drawing, one vector per word against two."""
import numpy as np
import pytest

import derivations as D
from derivations.chapters import skipgram_window

WORDS = "government debt problems turning into banking crises as happened in 2009".split()


def test_the_pairs_are_the_centre_with_each_word_of_its_window():
    pairs = skipgram_window.window_pairs(WORDS, 5, 2)
    assert pairs == [("banking", "turning"), ("banking", "into"), ("banking", "crises"), ("banking", "as")]
    c, outside = D.context_window(WORDS, 5, 2)
    assert pairs == [(c, o) for o in outside]


def test_the_window_is_clipped_at_the_sentence_start():
    assert skipgram_window.window_pairs(WORDS, 0, 2) == [("government", "debt"), ("government", "problems")]


def test_bad_window_arguments_name_the_argument():
    with pytest.raises(ValueError, match="m \\(window size\\)"):
        skipgram_window.window_pairs(WORDS, 5, 0)
    with pytest.raises(ValueError, match="t must be a position"):
        skipgram_window.draw_window(WORDS, len(WORDS), 2)
    with pytest.raises(ValueError, match="context must be"):
        skipgram_window.draw_window(WORDS, 5, 2, context=-1)


def test_the_drawing_colours_the_centre_and_exactly_2m_outside_boxes():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ax = skipgram_window.draw_window(WORDS, 5, 2)
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    plt.close(ax.figure)
    assert len(colours) == 2 * 2 + 1 + 2           # the window and one grey word each side (context=1)
    assert colours.count(skipgram_window.CENTRE_COLOUR) == 1 and colours[3] == skipgram_window.CENTRE_COLOUR
    assert [i for i, c in enumerate(colours) if c == skipgram_window.OUTSIDE_COLOUR] == [1, 2, 4, 5]
    texts = [x.get_text() for x in ax.texts]
    assert texts.count("\u2026") == 2 and "government" not in texts   # elided at both ends


def test_the_drawing_at_the_sentence_start_elides_only_the_right():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ax = skipgram_window.draw_window(WORDS, 0, 2, context=0)
    texts = [x.get_text() for x in ax.texts]
    plt.close(ax.figure)
    assert len(ax.patches) == 3 and texts.count("\u2026") == 1


def test_one_vector_per_word_predicts_itself_two_vectors_do_not():
    rng = np.random.default_rng(0)
    V, U = rng.normal(size=(20, 200)), rng.normal(size=(20, 200))
    one = skipgram_window.predicts_itself(V, V)
    two = skipgram_window.predicts_itself(V, U)
    longest = np.argmax(np.linalg.norm(V, axis=0))
    assert one[longest]                     # Cauchy-Schwarz: the longest vector always scores itself highest
    assert one.mean() > 0.9 > 0.1 > two.mean()


def test_predicts_itself_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="V and U"):
        skipgram_window.predicts_itself(np.ones((2, 3)), np.ones((3, 2)))
