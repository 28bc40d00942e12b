"""Training on several cores: Hogwild worker processes over vectors in shared memory.

``train(..., workers=W)`` with ``W >= 2`` starts ``W`` processes. The input and
output vectors (``float32``, shape ``(|V|, d)``) live in blocks of
:mod:`multiprocessing.shared_memory`; every worker maps the same blocks and
updates them in place, without locks (Hogwild: Recht et al., 2011), as
word2vec.c's and gensim's threads do. The corpus is cut into blocks of whole
sentences, and each epoch queues them, in a seeded random order, in chunks of
a few blocks; a worker takes the next chunk of the queue whenever it is done
with one (a shared counter), so a worker slowed down by other jobs on the
machine leaves more chunks to the others, and both finish together. Each
worker subsamples, forms windows, shuffles and draws negatives with its own
random generator, and all follow one learning-rate schedule, linear in the
words done by all workers together (as gensim's threads do). The encoded
corpus is a file on disk that every worker reads its chunks from, so it is
never copied or held whole.

What is reproducible. For a given seed and worker count, the initial vectors
and the queue (which sentences each chunk holds, and in which order the
chunks are queued) are the same on every run. What is not: which worker
takes which chunk, and so which random draws (subsampling, windows, their
order, negatives) are applied to it; the learning rate at each step, which
follows the workers' joint progress; and the order in which two workers'
updates of the same vector interleave. All depend on the timing of the
processes. Two runs with ``workers=2`` and the same seed therefore give
different vectors, differing by about as much as two seeds do (their scores
on the evaluation sets differ by about as much too). The loss history, being
sampled by the parent process on a timer, differs too. With ``workers=1``
(the default) training runs in the calling process and the vectors depend on
the seed only, bit for bit. Runs with different worker counts differ: the
chunks are cut differently.

Stopping. The workers ignore SIGINT (Ctrl-C; one that comes while they start
is held back for the parent, :func:`_sigint_deferred`); the parent, on
``KeyboardInterrupt``, on SIGTERM (see :func:`sigterm_exits`) or on any error,
terminates and joins them, and unlinks the shared memory, so nothing is left
running or allocated. A worker whose parent has died (``SIGKILL``) notices
within a few batches and exits.
"""
import contextlib
import multiprocessing as mp
import multiprocessing.connection
import os
import secrets
import signal
import threading
import time
from multiprocessing import shared_memory

import numpy as np

from .corpus import EncodedCorpus

POLL_SECONDS = 0.2         # how often the parent reads the workers' status for the progress line
RECORD_SECONDS = 0.5       # how often it adds a point to the loss history


def available_cores():
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        return os.cpu_count() or 1


def check_workers(workers):
    """``workers`` as an ``int`` from 1 to :func:`available_cores`, or a ``ValueError`` saying why not."""
    cores = available_cores()
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)):
        raise ValueError(f"workers must be a whole number of processes from 1 to {cores} "
                         f"(the cores this machine has), got {workers!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (the number of training processes), got {workers}")
    if workers > cores:
        raise ValueError(f"workers={workers} is more than the {cores} cores this machine has: use at most "
                         f"{cores} (each worker process needs a core of its own)")
    return int(workers)


@contextlib.contextmanager
def _sigint_deferred():
    """Inside, Ctrl-C (SIGINT) is noted, not acted on; on the way out it is raised again: never lost.

    The workers are forked inside. Each inherits the noting handler, so a Ctrl-C
    before it sets SIGINT to ignored (the first thing :func:`_worker` does) does
    nothing in it. In this process a Ctrl-C meanwhile is raised again
    (``signal.raise_signal``) once the previous handler is back: the usual
    ``KeyboardInterrupt``, when every started worker is in the list that
    :func:`run`'s clean-up stops. A handler, not a blocked signal mask, because
    a mask holds for one thread only and a process with other threads (a
    Jupyter kernel) takes the signal on another. Ignoring SIGINT here instead,
    as this once did, dropped a Ctrl-C that came while the workers started, and
    training went on to the end.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)
        if noted:
            signal.raise_signal(signal.SIGINT)


@contextlib.contextmanager
def sigterm_exits():
    """Inside, SIGTERM raises ``SystemExit(143)`` instead of killing the process on the spot.

    So ``finally`` blocks run: worker processes are stopped, shared memory and the
    temporary corpus file are removed. Only from the main thread, and only if
    SIGTERM has its default action (a handler someone installed is left alone).
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _context():
    # fork starts a worker in milliseconds; spawn (where there is no fork) re-imports numpy.
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


class _Shared:
    """Named shared-memory blocks holding arrays; the creator unlinks them on :meth:`release`."""

    def __init__(self):
        self.blocks, self.arrays = [], []

    def create(self, array):
        # Named after this process, so a leftover block (after SIGKILL) says whose it was.
        name = f"word2vec-{os.getpid()}-{secrets.token_hex(4)}"
        block = shared_memory.SharedMemory(name=name, create=True, size=max(1, array.nbytes))
        self.blocks.append(block)
        view = np.ndarray(array.shape, dtype=array.dtype, buffer=block.buf)
        view[...] = array
        self.arrays.append(view)
        return view, (block.name, array.shape, array.dtype.str)

    def attach(self, spec):
        name, shape, dtype = spec
        block = shared_memory.SharedMemory(name=name)
        self.blocks.append(block)
        view = np.ndarray(shape, dtype=np.dtype(dtype), buffer=block.buf)
        self.arrays.append(view)
        return view

    def release(self, unlink):
        self.arrays.clear()             # views first: a block with live views cannot close
        for block in self.blocks:
            try:
                block.close()
            except BufferError:         # a view is still referenced somewhere; the OS frees it at exit
                pass
            if unlink:
                with contextlib.suppress(FileNotFoundError):
                    block.unlink()
        self.blocks.clear()


def _worker(target, conn, index, specs, corpus_path, starts, job, seed, parent_pid, counter):
    """Entry point of a worker process: attach, run ``target`` on its share, report ``("done",)`` or the error."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)        # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)       # the parent's terminate() stops a worker at once
    shared = _Shared()
    try:
        Vt, Ut, status = (shared.attach(spec) for spec in specs)
        n = int(starts[-1])
        ids = np.memmap(corpus_path, dtype=np.int32, mode="r", shape=(n,)) if n else np.zeros(0, np.int32)

        def claim():
            with counter.get_lock():
                position = counter.value
                counter.value += 1
            return position

        target(Vt, Ut, EncodedCorpus(ids, starts, corpus_path), job, index, status,
               np.random.default_rng(seed), parent_pid=parent_pid, claim=claim)
        del Vt, Ut, status
        conn.send(("done",))
    except BaseException as err:        # reported to the parent, which raises it
        with contextlib.suppress(Exception):
            conn.send(("error", type(err).__name__, str(err)))
    finally:
        shared.release(unlink=False)
        conn.close()


_RAISED = {"FloatingPointError": FloatingPointError, "ValueError": ValueError, "TypeError": TypeError}


def run(target, job, corpus, vectors, seeds, monitor):
    """Train with ``len(seeds)`` worker processes; returns the trained ``(Vt, Ut)`` as ordinary arrays.

    ``vectors`` is a list ``[Vt, Ut]`` of the initial vectors; it is emptied once
    they are copied into shared memory, so that (if the caller kept no other
    reference) no second copy of them stays in memory while the workers train.

    Worker ``i`` calls ``target(Vt, Ut, corpus, job, i, status, rng, parent_pid=..., claim=...)``
    (the trainer's ``_train_share``, a module-level function, so spawn can pickle it)
    on the shared arrays; ``claim()`` returns the position of the next chunk of
    ``job.queue`` to train, from a counter the workers share. ``corpus`` must be
    encoded to a file (``corpus.path``).
    ``monitor`` receives the shared status rows and is polled for the progress
    line and loss history.
    """
    workers = len(seeds)
    ctx = _context()
    shared = _Shared()
    procs, conns = [], []
    try:
        V_shared, V_spec = shared.create(vectors[0])
        U_shared, U_spec = shared.create(vectors[1])
        vectors.clear()
        status, status_spec = shared.create(np.zeros((workers, 3)))
        monitor.status = status
        counter = ctx.Value("q", 0)               # the position of the next chunk to train
        with _sigint_deferred():
            for index, seed in enumerate(seeds):
                receiver, sender = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_worker, name=f"word2vec-worker-{index}", daemon=True,
                                   args=(target, sender, index, (V_spec, U_spec, status_spec), corpus.path,
                                         corpus.starts, job, seed, os.getpid(), counter))
                proc.start()
                sender.close()
                procs.append(proc)
                conns.append(receiver)
        _wait(procs, conns, monitor)
        return np.array(V_shared), np.array(U_shared)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for conn in conns:
            conn.close()
        monitor.status = np.array(monitor.status)   # drop the view of the shared block
        V_shared = U_shared = status = None
        shared.release(unlink=True)


def _wait(procs, conns, monitor):
    pending = set(range(len(procs)))
    last_record = time.perf_counter()
    while pending:
        waitables = [conns[i] for i in pending] + [procs[i].sentinel for i in pending]
        multiprocessing.connection.wait(waitables, timeout=POLL_SECONDS)
        for i in sorted(pending):
            if conns[i].poll():
                try:
                    message = conns[i].recv()
                except EOFError:
                    message = ("error", "RuntimeError",
                               f"worker {i} stopped without reporting (exit code {procs[i].exitcode})")
                pending.discard(i)
                if message[0] == "error":
                    _, kind, text = message
                    if kind in _RAISED:
                        raise _RAISED[kind](text)
                    raise RuntimeError(f"training worker {i} failed: {kind}: {text}")
            elif not procs[i].is_alive():
                raise RuntimeError(f"training worker {i} stopped (exit code {procs[i].exitcode}) "
                                   f"without reporting")
        now = time.perf_counter()
        record = now - last_record >= RECORD_SECONDS
        if record:
            last_record = now
        monitor.tick(record=record)
    monitor.tick(record=True)
