"""The only place that starts an untrusted process: ``run(script, request, limits)``.

Student code and student LaTeX (the two worker scripts) run as ``python -I SCRIPT``
in Debian's bubblewrap (``bwrap``): JSON request on stdin, JSON object on stdout.
Stdlib only, so it can never be part of an import cycle in :mod:`derivations`.
``run_warm`` (a :class:`Zygote`: the same sandbox, started once per process, one
forked child per request) serves one caller's many requests without paying the
worker's start-up each time.

What ``isolate=True`` isolates:

* files: the worker sees read-only ``/usr`` (and the ``/lib*``, ``/bin`` links),
  ``/etc/ld.so.cache``, the interpreter's prefixes (a venv in a checkout is bound
  alone, never its parent) and ``/sandbox``, a fresh copy of the script and of
  ``derivations/`` for this run. HOME = cwd = ``/tmp``, an empty tmpfs of at most
  ``memory_mb``. The checkout, the submissions, the CSV's folder, the caller's
  cwd, ``/home``, the rest of ``/etc`` and ``/root`` do not exist inside.
* processes: own PID namespace, so ``kill(-1)`` or ``kill(getppid())`` reach
  nothing outside, and everything the worker started, double-forked ``setsid``
  daemons included, is dead when :func:`run` returns (or its time is up).
  ``--new-session`` (no TIOCSTI into a terminal), ``--die-with-parent``.
* network, IPC, hostname: own empty namespaces (127.0.0.1 refuses connections).
* environment: PATH, HOME, LANG and BLAS thread counts of 1; nothing else.
* resources: RLIMIT_AS, RLIMIT_CPU (``seconds`` + 1), RLIMIT_FSIZE and no core
  files, set on bwrap before exec and inherited; RLIMIT_NPROC, see next.

RLIMIT_NPROC (threads count too) is set inside, by :data:`BOOT`, the sandboxed
Python's first code: the kernel never enforces it for uid 0, in a user namespace
or not (measured: 20 of 20 forks under a limit of 10), and set on bwrap by a
normal user it counts their whole session (measured: with 40 processes running,
bwrap cannot start). As root, bwrap makes no user namespace and keeps only
CAP_SETUID/SETGID; BOOT drops to the run's own uid, ``2**30 + 256*pid + slot``,
unique among concurrent runs on the machine and far above login and subuid
ranges: no capabilities, no_new_privs, and no worker's processes count against
another's (tested). A normal user's worker gets a user namespace, where the
count is per namespace (measured: a user with 40 processes gets 6 children
under a limit of 8: bwrap's init and the worker count).

Not protected: the kernel (no seccomp filter; nested namespaces can be made),
CPU and memory bandwidth shared with concurrent runs, reading the interpreter's
prefixes; ``/proc/1/cmdline`` is bwrap's and names their host paths. As root,
bwrap needs real namespace rights (not an unprivileged container).

``isolate=False`` (``--unsafe-no-sandbox``; a student checking their own LaTeX
without bwrap) is the old behaviour: a subprocess with the limits but NPROC, its
own session, a cleared environment, its group SIGKILLed at the end. It does NOT
stop the worker reading or writing any file the user can (the checkout, the
submissions, ``~/.ssh``), using the network, signalling any of the user's
processes (as root, ``kill(-1, 9)`` ends every process on the machine), or
leaving a daemon outside its process group.

Cost (2 cores, Debian 12, bwrap 0.8.0, as root, medians of 30 runs): a trivial
script takes 22-26 ms plain, 31-32 ms sandboxed: 9-11 ms overhead
(:func:`overhead`). Copying the 53-file, 0.55 MB package adds 8-15 ms, and with
no ``__pycache__`` the worker compiles what it imports (13 ms for ``import
derivations``); ``import numpy, sympy`` costs far more than all of it.
"""
import atexit
import contextlib
import functools
import json
import os
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

INSIDE = "/sandbox"                      # the private, read-only folder the worker sees
SCRIPT, PACKAGE = INSIDE + "/worker.py", INSIDE + "/package"
UID_BASE = 1 << 30                       # as root, worker uids are UID_BASE + 256 * pid + slot
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SIGNALS = {"SIGXCPU": "CPU time limit exceeded", "SIGSEGV": "crashed (segmentation fault)",
           "SIGXFSZ": "wrote too much output", "SIGKILL": "killed (memory or time limit)"}


@dataclass(frozen=True)
class Limits:
    """Per run: wall-clock ``seconds`` (CPU gets one more), address space, processes
    (threads count), and bytes of any file written, the result read back included."""
    seconds: float = 10.0
    memory_mb: int = 1024
    processes: int = 32
    output_bytes: int = 16 << 20

    def __post_init__(self):
        for name in ("seconds", "memory_mb", "processes", "output_bytes"):
            value, number = getattr(self, name), name == "seconds"
            if isinstance(value, bool) or not isinstance(value, (int, float) if number else int) \
                    or not 0 < value < float("inf"):
                kind = "a positive number" if number else "a positive integer"
                raise ValueError(f"{name} must be {kind}, got {value!r}")

    def apply(self):
        """Runs in the child between fork and exec (of bwrap, or of Python when not isolated)."""
        mem, cpu, size = self.memory_mb << 20, int(self.seconds) + 1, self.output_bytes + 1
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))    # +1: an overflow shows


class SandboxUnavailable(RuntimeError):
    """bwrap is missing or cannot create the sandbox on this machine."""


@functools.lru_cache(maxsize=None)
def available():
    """None if the sandbox works here, else why not (probed once; ``available.cache_clear()``)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap is not on PATH"
    with _uid() as uid:                  # a real run's command line, without /sandbox
        probe = _bwrap(bwrap, Limits(), None, uid) + [sys.executable, "-I", "-S", "-c", ""]
        done = subprocess.run(probe, stdin=subprocess.DEVNULL, capture_output=True, env=ENV, cwd="/")
    if done.returncode != 0:
        why = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        return f"bwrap cannot create the sandbox here ({why})"
    return None


def _unavailable(reason):
    return SandboxUnavailable(
        f"The grader runs untrusted code only inside a bubblewrap sandbox, and {reason}. "
        "Install it with `sudo apt-get install bubblewrap` (Debian/Ubuntu; the kernel must allow "
        "namespaces, as Debian's does). In a trusted setting only, such as your own code on your "
        "own machine, --unsafe-no-sandbox runs it without any isolation.")


def _python_dirs():
    """The interpreter's installation: its prefixes (a venv's too) and the real executable's."""
    real = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))
    kept = []
    for d in sorted({os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                  sys.base_exec_prefix, real)}):
        if not any(d == k or d.startswith(k.rstrip("/") + "/") for k in ["/usr"] + kept):
            kept.append(d)               # /usr is bound anyway, and so is a kept dir's inside
    return kept


def _bwrap(bwrap, limits, box, uid):
    """The bwrap command line, up to the program it runs."""
    if uid is None:                      # a normal user: a user namespace too
        cmd = [bwrap, "--unshare-all"]
    else:                                # root: none, so that BOOT can drop to `uid`
        cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try", "--cap-drop", "ALL", "--cap-add", "CAP_SETUID",
               "--cap-add", "CAP_SETGID"]
    cmd += ["--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(limits.memory_mb << 20), "--tmpfs", "/tmp",
            "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):          # merged /usr: the same links
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):
        cmd += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    made = set()
    for path in _python_dirs():          # parents 0755: bwrap makes them 0700, closed to `uid`
        parts = path.strip("/").split("/")
        for parent in ("/" + "/".join(parts[:k]) for k in range(1, len(parts))):
            if parent not in made:
                made.add(parent)
                cmd += ["--perms", "0755", "--dir", parent]
        cmd += ["--ro-bind", path, path]
    if box is not None:
        cmd += ["--ro-bind", box, INSIDE]
    return cmd + ["--chdir", "/tmp"]


# The first code the sandboxed Python runs: RLIMIT_NPROC, inside the namespaces; as root, the
# drop to the run's own uid (which clears the two capabilities bwrap kept); then the script as
# __main__, as `python -I SCRIPT` would. Exec'ing setpriv and prlimit cost 14 ms more (measured).
BOOT = """import os, resource, sys
_n, _uid, __file__ = {n}, {uid}, {script!r}
resource.setrlimit(resource.RLIMIT_NPROC, (_n, _n))
if _uid is not None:
    os.setgroups([]); os.setresgid(_uid, _uid, _uid); os.setresuid(_uid, _uid, _uid)
sys.argv[:] = [__file__] + {args!r}
with open(__file__, "rb") as _f:
    _code = compile(_f.read(), __file__, "exec")
del os, resource, sys, _n, _uid, _f
exec(_code)
"""
_slots_lock, _slots = threading.Lock(), set()


@contextlib.contextmanager
def _uid():
    """As root, a uid no other concurrent run (of this or any process) holds; else None."""
    if os.geteuid() != 0:
        yield None
        return
    with _slots_lock:
        slot = min(set(range(257)) - _slots)
        if slot == 256:
            raise RuntimeError("more than 256 concurrent sandboxed runs")
        _slots.add(slot)
    try:
        yield UID_BASE + (os.getpid() << 8) + slot
    finally:
        with _slots_lock:
            _slots.discard(slot)


def run(script, request, limits=Limits(), *, package=None, isolate=True):
    """Run ``python -I script`` on ``json.dumps(request)``; ``(result, None)`` or ``(None, problem)``.

    ``result`` is the JSON object the script wrote to stdout; ``problem`` says why there is
    none. ``package`` is a folder holding ``derivations/``; ``request["package"]`` is set to
    where the script finds it (``sys.path.insert(0, request["package"])``).
    Raises :class:`SandboxUnavailable` if ``isolate`` and bwrap does not work here.
    """
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
    if package is not None and not os.path.isdir(os.path.join(package, "derivations")):
        raise ValueError(f"package must be a directory holding derivations/, got {package!r}")
    if not isolate:
        if package is not None:
            request = {**request, "package": os.path.abspath(package)}
        return _execute([sys.executable, "-I", os.path.abspath(script)], request, limits, False)
    if available() is not None:
        raise _unavailable(available())
    with tempfile.TemporaryDirectory(prefix="sandbox-") as tmp, _uid() as uid:
        box = _box(tmp, script, package)
        if package is not None:
            request = {**request, "package": PACKAGE}
        boot = BOOT.format(n=limits.processes, uid=uid, script=SCRIPT, args=[])
        cmd = _bwrap(shutil.which("bwrap"), limits, box, uid) + [sys.executable, "-I", "-c", boot]
        return _execute(cmd, request, limits, True)


def _box(tmp, script, package):
    """``tmp/box``: a copy of ``script`` as worker.py and of ``package``'s derivations/, all the worker sees."""
    box = os.path.join(tmp, "box")       # tmp is 0700; box, inside it, is all the worker sees
    os.mkdir(box)
    shutil.copyfile(script, os.path.join(box, "worker.py"))
    if package is not None:              # derivations/ only: the folder may be a whole checkout
        shutil.copytree(os.path.join(package, "derivations"), os.path.join(box, "package", "derivations"),
                        ignore=shutil.ignore_patterns("__pycache__"), copy_function=shutil.copyfile)
    for here, dirs, files in os.walk(box):   # readable by the worker's uid, whatever the umask
        os.chmod(here, 0o755)
        for name in files:
            os.chmod(os.path.join(here, name), 0o644)
    return box


def _ended(pid, seconds):
    """Whether process ``pid`` ended within ``seconds``, blocking on a pidfd (Popen.wait(timeout)
    sleeps up to 50 ms at a time: ~40 ms a run, measured); None without pidfds (Linux < 5.3)."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None
    try:
        poll = select.poll()
        poll.register(fd, select.POLLIN)
        return bool(poll.poll(seconds * 1000))
    finally:
        os.close(fd)


def _sandbox_init(info):
    """A pidfd of the sandbox's init: bwrap writes its pid before the worker starts."""
    data = b""
    with os.fdopen(info, "rb") as f:     # up to "}", not EOF: a read can't wait on the worker
        while b"}" not in data and (chunk := f.read1(256)):
            data += chunk
    try:
        return os.pidfd_open(json.loads(data)["child-pid"])
    except (ValueError, KeyError, AttributeError, OSError):
        return None                      # bwrap failed (nothing to clean up), or no pidfds


def _execute(cmd, request, limits, isolate):
    # stdin and stdout are files, not pipes: nothing the worker does (or doesn't) read or write
    # can block the grader, and at most output_bytes + 1 of the result are read.
    with tempfile.TemporaryFile() as inp, tempfile.TemporaryFile() as out:
        inp.write(json.dumps(request).encode())
        inp.seek(0)
        if isolate:                      # bwrap --info-fd: the host pid of the sandbox's init
            info, info_w = os.pipe()
            cmd = cmd[:1] + ["--info-fd", str(info_w)] + cmd[1:]
        try:
            proc = subprocess.Popen(cmd, stdin=inp, stdout=out, stderr=subprocess.DEVNULL,
                                    env={**ENV, "HOME": "/tmp" if isolate else tempfile.gettempdir()},
                                    preexec_fn=limits.apply, start_new_session=True,
                                    pass_fds=(info_w,) if isolate else (),
                                    cwd="/" if isolate else tempfile.gettempdir())
        except BaseException:
            if isolate:
                os.close(info)
            raise
        finally:
            if isolate:
                os.close(info_w)
        init_fd = _sandbox_init(info) if isolate else None   # closes `info`
        ended = _ended(proc.pid, limits.seconds)
        if ended is None:
            try:
                ended = proc.wait(limits.seconds) is not None
            except subprocess.TimeoutExpired:
                ended = False
        if not ended or not isolate:     # not yet reaped, so the group id is still ours
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        status = proc.wait()
        if init_fd is not None:          # bwrap returns when the worker exits; its init would
            with contextlib.suppress(ProcessLookupError):  # wait for orphans (daemons) until
                signal.pidfd_send_signal(init_fd, signal.SIGKILL)   # --die-with-parent fires
            poll = select.poll()         # the namespace is empty once its init has ended
            poll.register(init_fd, select.POLLIN)
            poll.poll(5000)
            os.close(init_fd)
        if not ended:
            return None, f"time limit ({limits.seconds:g} s) exceeded"
        out.seek(0)
        raw = out.read(limits.output_bytes + 1)
    sig = -status if status < 0 else status - 128 if isolate and status > 128 else None
    return _outcome(raw, status, sig, limits)   # bwrap reports a signal as 128 + its number


def _outcome(raw, status, sig, limits):
    """``(result, problem)`` from what a worker wrote (``raw``), its exit ``status`` and the signal that ended it."""
    if len(raw) > limits.output_bytes:
        return None, "wrote too much output"
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return None, SIGNALS.get(name, f"killed by {name}")
    try:
        result = json.loads(raw)
    except (ValueError, RecursionError):  # malformed, or nested deep enough to exhaust the parser
        result = None
    if not isinstance(result, dict):
        return None, f"the process exited (status {status}) without reporting results"
    return result, None


# ---------------------------------------------------------------------------- a warm worker that forks
#
# Starting Python and importing SymPy costs far more than judging one typed answer. A Zygote pays
# that once: a worker started like run()'s (the same bwrap command line, limits and BOOT) imports
# what it needs and then, for each request, FORKS a fresh child that handles it and exits. The
# child is the unit of isolation between requests: everything a request does to memory dies with
# its child, a crash or a blow-up ends only that child, and the next request gets a new copy of
# the untouched zygote. The zygote itself never reads a request's data (it only passes it on).

ZYGOTE_START = 120.0    # seconds the zygote may take to start (imports; no request data yet)
ZYGOTE_CPU = 3600       # the zygote's own CPU seconds over its life (each child has the request's)
GRACE = 20.0            # beyond a request's seconds before the caller gives up on the zygote itself
IN_FLIGHT = 4           # requests one zygote runs at once (children alive together)
ENDED = "the checker process ended"


class Zygote:
    """A warm worker: ``script --zygote PACKAGE`` started once, then one forked child per :meth:`run`.

    ``script`` must call :func:`serve` when started with ``--zygote`` (see
    :mod:`derivations.coursework.answer_worker`). Isolation of the zygote is
    :func:`run`'s, unchanged (bwrap when ``isolate``: no network, no user files, own
    PID namespace, the limits; the same uid for the zygote's life). Per request, in
    the child: wall-clock ``seconds`` (the zygote SIGKILLs the child's process group),
    CPU ``seconds`` + 1 (RLIMIT_CPU, counted from the fork), the zygote's address space
    limit, its own empty working folder (removed after it; with ``isolate``, the
    private ``/tmp`` is emptied whenever no child is running), not dumpable (no
    ptrace between children), killed if the zygote dies. What is shared between
    requests is the zygote's memory as it was before any request, copy-on-write.

    What a zygote is for: many requests *of one caller* (a student's own answers in their
    notebook). Children of one zygote have the same uid, so one child could signal a
    concurrent sibling if it could run code of its own (the written-answer worker only
    parses text). So requests of different people (the autograder's submissions) go
    through :func:`run`, one fresh sandbox each, not a zygote.

    The zygote is started lazily by the first :meth:`run` (its start-up is not charged to
    that request's ``seconds``; :data:`ZYGOTE_START` bounds it), restarted by the next
    :meth:`run` if it died, and ends when :meth:`close` is called, when this process exits
    (its stdin closes: it kills its children and exits; bwrap's ``--die-with-parent`` too),
    or when its caller gives up on it (a request unanswered :data:`GRACE` seconds past its
    time). A child of this process made by ``os.fork`` drops its copy of the zygote's pipes.
    """

    def __init__(self, script, limits=Limits(), *, package=None, isolate=True):
        if not isinstance(limits, Limits):
            raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
        if package is not None and not os.path.isdir(os.path.join(package, "derivations")):
            raise ValueError(f"package must be a directory holding derivations/, got {package!r}")
        self.script, self.limits, self.package, self.isolate = os.path.abspath(script), limits, package, isolate
        self._lock = threading.Lock()              # starting and stopping
        self._slots = threading.BoundedSemaphore(IN_FLIGHT)
        self._process = None
        self._ids = iter(range(1 << 62))

    @property
    def pid(self):
        """The host pid of the running zygote's outermost process (bwrap when isolated), else None."""
        p = self._process
        return p.proc.pid if p is not None and p.alive else None

    def run(self, request, seconds=None):
        """Handle ``request`` in a fresh child of the zygote: ``(result, None)`` or ``(None, problem)``, as :func:`run`.

        ``seconds`` (default: the zygote's ``limits.seconds``) is this request's wall-clock and CPU time.
        Raises :class:`SandboxUnavailable` if isolated and bwrap does not work here.
        """
        seconds = self.limits.seconds if seconds is None else seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < float("inf"):
            raise ValueError(f"seconds must be a positive number, got {seconds!r}")
        with self._slots:
            for attempt in (1, 2):           # once more if the zygote was found dead, not the child
                process, problem = self._started()
                if process is None:
                    return None, problem
                ident = next(self._ids)
                outcome = process.ask(ident, {"id": ident, "seconds": seconds, "request": request,
                                              "output_bytes": self.limits.output_bytes}, seconds)
                if outcome != (None, ENDED):
                    break
            return outcome

    def _started(self):
        with self._lock:
            if self._process is not None and self._process.alive and self._process.proc.poll() is not None:
                self._process.stop(ENDED)        # it died between requests: its reader may not know yet
            if self._process is None or not self._process.alive:
                if self.isolate and available() is not None:
                    raise _unavailable(available())
                self._process = _ZygoteProcess(self)
            process = self._process
        if not process.ready.wait(ZYGOTE_START):
            process.stop(f"did not start within {ZYGOTE_START:g} s")
        if not process.ready.is_set() or not process.alive:
            return None, f"the checker could not start ({process.why or ENDED})"
        return process, None

    def close(self):
        """End the zygote (its children first); a later :meth:`run` starts a new one."""
        with self._lock:
            process, self._process = self._process, None
        if process is not None:
            process.close()


class _ZygoteProcess:
    """One started zygote: its process, the thread reading its answers, the requests awaiting one."""

    def __init__(self, zygote):
        self.limits, self.alive, self.why = zygote.limits, True, None
        self.ready, self.waiting, self.lock = threading.Event(), {}, threading.Lock()
        self.stack, self.init_fd = contextlib.ExitStack(), None
        own = Limits(ZYGOTE_CPU, zygote.limits.memory_mb, zygote.limits.processes, zygote.limits.output_bytes)
        info_w = None
        try:
            if zygote.isolate:
                tmp = self.stack.enter_context(tempfile.TemporaryDirectory(prefix="sandbox-"))
                uid = self.stack.enter_context(_uid())
                box = _box(tmp, zygote.script, zygote.package)
                args = ["--zygote", PACKAGE if zygote.package is not None else "", "private-tmp"]
                boot = BOOT.format(n=own.processes, uid=uid, script=SCRIPT, args=args)
                cmd = _bwrap(shutil.which("bwrap"), own, box, uid) + [sys.executable, "-I", "-c", boot]
                info, info_w = os.pipe()
                cmd = cmd[:1] + ["--info-fd", str(info_w)] + cmd[1:]
                cwd, home = "/", "/tmp"
            else:
                package = os.path.abspath(zygote.package) if zygote.package is not None else ""
                cmd = [sys.executable, "-I", zygote.script, "--zygote", package, ""]
                cwd = home = tempfile.gettempdir()
            self.proc = _in_spawner(lambda: subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={**ENV, "HOME": home}, preexec_fn=functools.partial(_zygote_preexec, own, not zygote.isolate),
                start_new_session=True, pass_fds=(info_w,) if info_w is not None else (), cwd=cwd))
        except BaseException:
            if info_w is not None:
                os.close(info)
            self.stack.close()
            raise
        finally:
            if info_w is not None:
                os.close(info_w)
        if info_w is not None:
            self.init_fd = _sandbox_init(info)
        _PROCESSES.add(self)
        threading.Thread(target=self._read, name="zygote-reader", daemon=True).start()

    def ask(self, ident, message, seconds):
        done = [threading.Event(), None]
        with self.lock:
            if not self.alive:
                return None, ENDED
            self.waiting[ident] = done
        try:
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            self.stop(ENDED)
        if not done[0].wait(seconds + GRACE):
            self.stop(f"no answer {seconds + GRACE:g} s after a request")
            return None, f"time limit ({seconds:g} s) exceeded"
        return done[1]

    def _read(self):
        """The zygote's answers: a JSON header line, then ``size`` raw bytes of the child's output."""
        out, cap = self.proc.stdout, self.limits.output_bytes + 1
        try:
            while True:
                line = out.readline(4096)
                if not line.endswith(b"\n"):
                    break
                head = json.loads(line)
                if head.get("ready"):
                    self.ready.set()
                    continue
                size = int(head["size"])
                if not 0 <= size <= cap:
                    break
                raw = out.read(size)
                if len(raw) != size:
                    break
                if head.get("problem"):
                    outcome = None, str(head["problem"])
                else:
                    sig = head.get("signal")
                    outcome = _outcome(raw, head.get("status"), int(sig) if sig is not None else None, self.limits)
                with self.lock:
                    done = self.waiting.pop(head.get("id"), None)
                if done is not None:
                    done[1] = outcome
                    done[0].set()
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            pass
        self.stop(ENDED)

    def stop(self, why):
        """Kill the zygote and everything in its sandbox now; every waiting request gets ``why``."""
        with self.lock:
            if not self.alive:
                return
            self.alive, self.why = False, why
            waiting, self.waiting = self.waiting, {}
        for done in waiting.values():
            done[1] = None, f"the checker stopped: {why}" if why != ENDED else ENDED
            done[0].set()
        self.ready.set()                 # nobody waits for a start that will not come
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if self.init_fd is not None:     # as in run(): the namespace is empty once its init has ended
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.init_fd, signal.SIGKILL)
            poll = select.poll()
            poll.register(self.init_fd, select.POLLIN)
            poll.poll(5000)
            os.close(self.init_fd)
            self.init_fd = None
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError, ValueError):
                f.close()
        self.stack.close()
        _PROCESSES.discard(self)

    def close(self):
        """Ask the zygote to end (stdin closed: it kills its children and exits), then make sure."""
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()
        ended = _ended(self.proc.pid, 2.0)
        self.stop("closed" if ended else "closed (killed)")


def _zygote_preexec(limits, parent_death):
    limits.apply()
    if parent_death:                     # bwrap's --die-with-parent, for the plain process
        _prctl(1, signal.SIGKILL)        # PR_SET_PDEATHSIG


def _prctl(option, value):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


# A child's parent-death signal (bwrap's --die-with-parent) fires when the THREAD that forked it
# ends, not the process: zygotes are started from one thread that lives as long as this process.
_spawner_lock, _spawner_queue = threading.Lock(), None


def _in_spawner(make):
    global _spawner_queue
    import queue
    with _spawner_lock:
        if _spawner_queue is None:
            _spawner_queue = queue.SimpleQueue()
            threading.Thread(target=_spawner, args=(_spawner_queue,), name="zygote-spawner", daemon=True).start()
        box = [threading.Event(), None, None]
        _spawner_queue.put((make, box))
    box[0].wait()
    if box[2] is not None:
        raise box[2]
    return box[1]


def _spawner(q):
    while True:
        make, box = q.get()
        try:
            box[1] = make()
        except BaseException as exc:     # noqa: BLE001 - handed to the caller, raised there
            box[2] = exc
        box[0].set()


_PROCESSES = set()                       # every running zygote of this process
_zygotes, _zygotes_lock = {}, threading.Lock()


def run_warm(script, request, limits=Limits(), *, package=None, isolate=True):
    """:func:`run`, through this process's :class:`Zygote` for ``script`` (started on first use): the same
    ``(result, problem)``, without paying the worker's start-up again. For one caller's requests only
    (see :class:`Zygote`). One zygote per script, package, isolation and memory, process and output limits;
    ``limits.seconds`` is per request."""
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
    key = (os.path.abspath(script), package and os.path.abspath(package), isolate, limits.memory_mb,
           limits.processes, limits.output_bytes)
    with _zygotes_lock:
        if key not in _zygotes:
            _zygotes[key] = Zygote(script, limits, package=package, isolate=isolate)
        zygote = _zygotes[key]
    return zygote.run(request, limits.seconds)


def close_zygotes():
    """End every zygote this process started (also run at exit)."""
    with _zygotes_lock:
        zygotes = list(_zygotes.values())
        _zygotes.clear()
    for z in zygotes:
        z.close()


def _forget_zygotes():
    """In a child made by os.fork: point our copies of the zygotes' pipes at /dev/null, so that a zygote
    still sees its stdin close when the process that started it exits; the child starts its own."""
    global _spawner_queue, _spawner_lock, _zygotes_lock
    for p in list(_PROCESSES):
        for f in (p.proc.stdin, p.proc.stdout):
            with contextlib.suppress(OSError, ValueError):
                null = os.open(os.devnull, os.O_RDWR)
                os.dup2(null, f.fileno())
                os.close(null)
        p.alive = False
    _PROCESSES.clear()
    _zygotes.clear()
    _spawner_queue, _spawner_lock, _zygotes_lock = None, threading.Lock(), threading.Lock()


atexit.register(close_zygotes)
os.register_at_fork(after_in_child=_forget_zygotes)


def serve(handle, warm=(), prefork=None, private_tmp=False):
    """The zygote's loop, inside the sandbox (never returns): one forked child per request line on stdin.

    ``handle(request)`` runs in the child and returns the JSON object to report.
    ``prefork(request)`` runs in the zygote before the fork (e.g. compute what the request
    will need, so that every later child inherits it; it must not read the request's
    untrusted text). ``warm`` is an iterable whose steps run while no child is running.
    Writes ``{"ready": true}`` once, then per request a header line
    ``{"id", "problem", "status", "signal", "size"}`` and the child's ``size`` bytes.
    """
    import gc
    reply, inp = os.dup(1), os.dup(0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    libc_ok = True
    try:
        _prctl(4, 0)                     # PR_SET_DUMPABLE 0: children inherit it, no ptrace among them
    except (OSError, AttributeError, ImportError):
        libc_ok = False
    warm = iter(warm)
    warming = True
    _write_all(reply, b'{"ready": true}\n')
    children, exits, pending, open_, stale = {}, {}, b"", True, set()

    def finish(fd, problem=None):
        pid, ident, _, data, home, _ = children.pop(fd)
        os.close(fd)
        stale.add(fd)                    # its number may be reused before this round's list is done
        for pidfd in [p for p, f in exits.items() if f == fd]:
            os.close(pidfd)
            del exits[pidfd]
            stale.add(pidfd)
        if problem is None:
            _ended(pid, 2.0)             # a child exits right after its last write
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)   # its group: anything it started, too
        _, status = os.waitpid(pid, 0)
        shutil.rmtree(home, ignore_errors=True)
        if private_tmp and not children:     # the sandbox's own /tmp: nothing in it outlives a request
            for entry in os.scandir("/tmp"):
                with contextlib.suppress(OSError):
                    shutil.rmtree(entry.path) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
        data = data if problem is None else b""
        head = {"id": ident, "problem": problem, "size": len(data),
                "status": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}
        _write_all(reply, json.dumps(head).encode() + b"\n" + bytes(data))

    def start(message):
        request, ident, seconds = message["request"], message["id"], float(message["seconds"])
        if prefork is not None:
            with contextlib.suppress(Exception):
                prefork(request)
        home = tempfile.mkdtemp(prefix="request-")
        r, w = os.pipe()
        gc.collect()
        gc.freeze()                      # the zygote's objects stay put: fewer pages copied per child
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.setpgid(0, 0)
                gc.disable()             # short-lived: collecting would only copy the zygote's pages
                if libc_ok:
                    _prctl(1, signal.SIGKILL)    # PR_SET_PDEATHSIG: dies with the zygote
                cpu = int(seconds) + 1
                resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
                os.closerange(3, w)
                os.closerange(w + 1, 1 << 16)
                os.chdir(home)
                os.environ["HOME"] = os.environ["TMPDIR"] = home
                tempfile.tempdir = home
                _write_all(w, json.dumps(handle(request)).encode())
                code = 0
            finally:
                os._exit(code)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        os.close(w)
        os.set_blocking(r, False)
        try:                             # the child's exit, seen even if something it started holds the pipe
            exits[os.pidfd_open(pid)] = r
        except (AttributeError, OSError):
            pass
        # pid, id, deadline, output so far, working folder, (seconds, output_bytes)
        children[r] = [pid, ident, time.monotonic() + seconds, bytearray(), home,
                       (seconds, int(message["output_bytes"]))]

    while open_ or children:
        now = time.monotonic()
        for fd in [fd for fd, c in children.items() if c[2] <= now]:
            finish(fd, f"time limit ({children[fd][5][0]:g} s) exceeded")
        if not open_:
            for fd in list(children):
                finish(fd, ENDED)
            break
        idle = warming and not children
        timeout = 0 if idle else max(0.0, min(c[2] for c in children.values()) - now) if children else None
        readable, _, _ = select.select([inp] + list(children) + list(exits), [], [], timeout)
        stale = set()
        for fd in readable:
            if fd in stale:
                continue
            if fd in exits:                  # the child has exited: what it wrote is all in the pipe
                fd = exits[fd]
                if fd in children:
                    chunk = b"..."
                    with contextlib.suppress(BlockingIOError):
                        while chunk and len(children[fd][3]) <= children[fd][5][1]:
                            chunk = os.read(fd, 1 << 16)
                            children[fd][3] += chunk
                    over = len(children[fd][3]) > children[fd][5][1]
                    finish(fd, "wrote too much output" if over else None)
            elif fd == inp:
                data = os.read(inp, 1 << 16)
                if not data:
                    open_ = False
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    message = json.loads(line)
                    try:
                        start(message)
                    except OSError as exc:   # e.g. no fork under the process limit: this request fails
                        head = {"id": message["id"], "problem": f"could not start ({exc.strerror})", "size": 0}
                        _write_all(reply, json.dumps(head).encode() + b"\n")
            elif fd in children:
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                children[fd][3] += chunk
                if not chunk:
                    finish(fd)
                elif len(children[fd][3]) > children[fd][5][1]:
                    finish(fd, "wrote too much output")
        if idle and not readable:
            warming = next(warm, StopIteration) is not StopIteration
    os._exit(0)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def overhead(runs=20):
    """Median extra seconds a sandboxed run of a trivial script costs over a plain one."""
    times = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "echo.py")
        with open(script, "w") as f:
            f.write("import json, sys\nprint(json.dumps(json.load(sys.stdin)))\n")
        for _ in range(runs):
            for isolate in (True, False):
                start = time.perf_counter()
                result, problem = run(script, {"x": 1}, isolate=isolate)
                times[isolate].append(time.perf_counter() - start)
                if result != {"x": 1}:
                    raise RuntimeError(f"overhead: the trivial script failed: {problem}")
    return statistics.median(times[True]) - statistics.median(times[False])
