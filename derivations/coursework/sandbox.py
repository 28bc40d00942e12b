"""The only place that starts an untrusted process: ``run(script, request, limits)``.

Student code and student LaTeX (the two worker scripts) run as ``python -I SCRIPT``
in Debian's bubblewrap (``bwrap``): JSON request on stdin, JSON object on stdout.
Stdlib only, so it can never be part of an import cycle in :mod:`derivations`.

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
sys.argv[:] = [__file__]
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
        box = os.path.join(tmp, "box")   # tmp is 0700; box, inside it, is all the worker sees
        os.mkdir(box)
        shutil.copyfile(script, os.path.join(box, "worker.py"))
        if package is not None:          # derivations/ only: the folder may be a whole checkout
            shutil.copytree(os.path.join(package, "derivations"), os.path.join(box, "package", "derivations"),
                            ignore=shutil.ignore_patterns("__pycache__"), copy_function=shutil.copyfile)
            request = {**request, "package": PACKAGE}
        for here, dirs, files in os.walk(box):   # readable by the worker's uid, whatever the umask
            os.chmod(here, 0o755)
            for name in files:
                os.chmod(os.path.join(here, name), 0o644)
        boot = BOOT.format(n=limits.processes, uid=uid, script=SCRIPT)
        cmd = _bwrap(shutil.which("bwrap"), limits, box, uid) + [sys.executable, "-I", "-c", boot]
        return _execute(cmd, request, limits, True)


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
    if len(raw) > limits.output_bytes:
        return None, "wrote too much output"
    sig = -status if status < 0 else status - 128 if isolate and status > 128 else None
    if sig is not None:                  # bwrap reports a signal as 128 + its number
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
