"""`make bench` rows for the trainer (issue 6): our words/s against gensim's, and quality.

Both train skip-gram with negative sampling on gensim's ``head500.noblanks.cor``
(sg=1, negative=5, vector_size=100, window=5, min_count=5, sample=1e-3, 5 epochs,
gensim with workers=1), in the same run. Words/s is corpus words times epochs over
wall-clock time, vocabulary included, best of ``REPEATS`` alternating runs (the
machine is shared; the best run is the least disturbed one), in a child process
limited to one BLAS thread (gensim runs one worker thread). Both models go
through the same gensim evaluator.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from derivations.training.evaluation import datapath, gensim_word2vec, word_pairs  # noqa: E402
from derivations.training.trainer import train  # noqa: E402

REPEATS = 2
SETTINGS = dict(vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, epochs=5, seed=1)


def run():
    """Measure in a child process with one BLAS thread, so both trainers use one core."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    child = subprocess.run([sys.executable, __file__, "--json"], env=env, check=True,
                           capture_output=True, text=True)
    return [tuple(row) for row in json.loads(child.stdout.strip().splitlines()[-1])]


def measure():
    corpus = datapath("head500.noblanks.cor")
    ours_s, gensim_s, ours_cpu, gensim_cpu = [], [], [], []
    for _ in range(REPEATS):
        cpu = time.process_time()
        ours = train(corpus, progress=False, **SETTINGS)
        ours_cpu.append(time.process_time() - cpu)
        ours_s.append(ours.seconds)
        cpu = time.process_time()
        g_words, g_vectors, seconds = gensim_word2vec(corpus, **SETTINGS)
        gensim_cpu.append(time.process_time() - cpu)
        gensim_s.append(seconds)
    words = ours.vocab.corpus_words * SETTINGS["epochs"]
    ours_rate, gensim_rate = words / min(ours_s), words / min(gensim_s)
    rows = [("trainer: ours, head500, 5 epochs", ours_rate, "words/s", ""),
            ("trainer: gensim workers=1, same settings", gensim_rate, "words/s", ""),
            ("trainer: speed ratio ours / gensim", ours_rate / gensim_rate, "x", ">= 1.0"),
            # CPU time (all threads) is less disturbed by other jobs on a shared machine.
            ("trainer: CPU-time ratio gensim / ours", min(gensim_cpu) / min(ours_cpu), "x", "")]
    for dataset, label in (("wordsim353.tsv", "WordSim353"), ("simlex999.txt", "SimLex-999")):
        mine = word_pairs(ours.words, ours.vectors, dataset)
        theirs = word_pairs(g_words, g_vectors, dataset)
        rows += [(f"trainer: {label} Spearman, ours", mine.value, "rho", ""),
                 (f"trainer: {label} Spearman, gensim", theirs.value, "rho", ""),
                 (f"trainer: {label} Spearman, ours - gensim", mine.value - theirs.value, "rho", ">= -0.02"),
                 (f"trainer: {label} pairs in vocabulary, ours (gensim {theirs.evaluated}, "
                  f"of {mine.total})", mine.evaluated, "pairs", "")]
    return rows


if __name__ == "__main__":
    if "--json" in sys.argv:
        print(json.dumps(measure()))
        sys.exit(0)
    for label, value, unit, target in run():
        print(f"{label:60s} {value:12,.3f} {unit:8s} {target}")
