"""Command line: train word vectors on a corpus and save them in word2vec text format.

    python -m derivations.train CORPUS --out vectors.txt [--epochs 5 --window 5 ...]

CORPUS is a UTF-8 text file, one sentence per line, tokens separated by
whitespace; ``head500`` or ``lee`` name the corpora shipped with gensim. The
output loads back with :func:`derivations.training.trainer.load_word2vec_format` or
gensim's ``KeyedVectors.load_word2vec_format``. Ctrl-C stops cleanly: the
vector file is written atomically, so it is never left half-written.
"""
import argparse
import sys

from .evaluation import datapath, evaluate
from .trainer import train

SHIPPED = {"head500": "head500.noblanks.cor", "lee": "lee_background.cor"}


def parser():
    p = argparse.ArgumentParser(prog="python -m derivations.train", description=__doc__.split("\n\n")[0])
    p.add_argument("corpus", help="text file, one sentence per line (or 'head500' / 'lee', shipped with gensim)")
    p.add_argument("--out", required=True, help="where to write the vectors (word2vec text format)")
    p.add_argument("--size", type=int, default=100, help="vector dimension d (default 100)")
    p.add_argument("--window", type=int, default=5, help="largest window m each side (default 5)")
    p.add_argument("--min-count", type=int, default=5, help="drop words seen fewer times (default 5)")
    p.add_argument("--sample", type=float, default=1e-3, help="subsampling threshold (default 1e-3; 0 = off)")
    p.add_argument("--negative", type=int, default=5, help="negatives K per pair (default 5; 0 = naive softmax)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--alpha", type=float, default=0.025, help="initial learning rate (default 0.025)")
    p.add_argument("--min-alpha", type=float, default=1e-4, help="final learning rate (default 1e-4)")
    p.add_argument("--batch-size", type=int, default=8192, help="pairs per minibatch (default 8192)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-share-negatives", action="store_true",
                   help="draw K negatives per pair (word2vec.c) instead of per window")
    p.add_argument("--evaluate", action="store_true", help="print WordSim353, SimLex-999 and analogy scores")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    corpus = datapath(SHIPPED[args.corpus]) if args.corpus in SHIPPED else args.corpus
    try:
        model = train(corpus, vector_size=args.size, window=args.window, min_count=args.min_count,
                      sample=args.sample, negative=args.negative, epochs=args.epochs, alpha=args.alpha,
                      min_alpha=args.min_alpha, batch_size=args.batch_size, seed=args.seed,
                      share_negatives=not args.no_share_negatives, progress=not args.quiet)
        model.save(args.out)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {args.out} was not written (or keeps its previous contents)")
        return 130
    except (ValueError, TypeError, OSError) as err:
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
