"""Part (b)(iv): when L2-normalising word vectors changes a sentiment decision.

A toy bag-of-words classifier: a phrase's score is ``w^T sum_words x_word``
with ``w = (1, 0)``, so only the first coordinate (the sentiment axis) counts;
positive score means a positive phrase. The second coordinate stands for
everything else a vector encodes (topic, frequency). Magnitude along the
sentiment axis is intensity: ``awful`` is ``terrible`` made longer.
"""
import numpy as np

# (2,) vectors: [sentiment, other]. "great" = 3 * "good": same direction, three times as strong.
WORD_VECTORS = {
    "good": np.array([1.0, 0.5]),
    "great": np.array([3.0, 1.5]),
    "terrible": np.array([-3.0, 1.0]),
    "plot": np.array([0.0, 1.0]),
}
SENTIMENT_DIRECTION = np.array([1.0, 0.0])


def l2_normalise(vectors):
    """Every vector divided by its Euclidean length (a dict like :data:`WORD_VECTORS`)."""
    out = {}
    for word, x in vectors.items():
        norm = np.linalg.norm(x)
        if norm == 0:
            raise ValueError(f"cannot L2-normalise the zero vector of {word!r}")
        out[word] = x / norm
    return out


def phrase_score(phrase, vectors=None):
    """``w^T sum_{words} x_word`` for a phrase given as a space-separated string; a float."""
    vectors = WORD_VECTORS if vectors is None else vectors
    words = phrase.split()
    unknown = [w for w in words if w not in vectors]
    if not words or unknown:
        raise ValueError(f"phrase must be words from {sorted(vectors)}, got {phrase!r}")
    return float(SENTIMENT_DIRECTION @ np.sum([vectors[w] for w in words], axis=0))


def classify(phrase, vectors=None):
    """``"positive"`` if :func:`phrase_score` is > 0, else ``"negative"``."""
    return "positive" if phrase_score(phrase, vectors) > 0 else "negative"
