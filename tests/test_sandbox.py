"""The sandbox every untrusted process runs in (derivations.coursework.sandbox).

Each test starts hostile little workers written into tmp_path and checks what
they cannot do. All are bounded to a few seconds: no real fork bomb, no real
memory exhaustion. In CI (CI=true) they never skip; locally they skip only if
bubblewrap is missing or cannot work here, with the reason.
"""
import os
import re
import signal
import socket
import sys
import textwrap
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from derivations.coursework import sandbox
from derivations.coursework.sandbox import Limits, SandboxUnavailable, run

ROOT = Path(__file__).resolve().parent.parent

PROLOGUE = """\
import json, os, sys
request = json.load(sys.stdin)
def reply(obj):
    sys.stdout.write(json.dumps(obj))
    sys.stdout.flush()
def attempt(f):
    try:
        return repr(f())
    except BaseException as exc:
        import errno
        return "refused: " + errno.errorcode.get(getattr(exc, "errno", None), type(exc).__name__)
"""


@pytest.fixture
def bwrap():
    reason = sandbox.available()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; in CI the sandbox tests must run (apt-get install bubblewrap)")
        pytest.skip(reason)


def worker(tmp_path, body, name="worker.py"):
    path = tmp_path / name
    path.write_text(PROLOGUE + textwrap.dedent(body))
    return path


def test_a_request_round_trips_and_numpy_and_sympy_import(bwrap, tmp_path):
    script = worker(tmp_path, """
        import numpy, sympy
        open(os.path.join(os.environ["HOME"], "scratch"), "w").write("x")
        reply({"request": request, "numpy": numpy.__version__, "sympy": sympy.__version__,
               "env": dict(os.environ), "cwd": os.getcwd(), "argv": sys.argv})
    """)
    result, problem = run(script, {"cells": ["x = 1"], "n": [1.5, None]})
    assert problem is None
    assert result["request"] == {"cells": ["x = 1"], "n": [1.5, None]}
    assert result["numpy"] and result["sympy"]
    assert result["cwd"] == "/tmp" and result["argv"] == [sandbox.SCRIPT]
    env = result["env"]
    env.pop("PWD", None)
    assert env == sandbox.ENV
    plain, problem = run(script, {"n": 1}, isolate=False)     # the unsafe mode speaks the same protocol
    assert problem is None and plain["request"] == {"n": 1}


def test_the_checkout_the_submissions_and_the_callers_cwd_are_not_visible(bwrap, tmp_path, monkeypatch):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "alice.ipynb").write_text("{}")
    (tmp_path / "grades.csv").write_text("alice,10\n")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "secret.txt").write_text("secret")
    monkeypatch.chdir(cwd)
    package = tmp_path / "pkg"
    (package / "derivations").mkdir(parents=True)
    (package / "derivations" / "__init__.py").write_text("X = 41 + 1\n")
    hidden = [str(p) for p in (submissions / "alice.ipynb", tmp_path / "grades.csv", cwd / "secret.txt",
                               ROOT / "derivations" / "__init__.py", Path(__file__).resolve())]
    script = worker(tmp_path, """
        sys.path.insert(0, request["package"])
        import derivations
        mine = os.path.join(request["package"], "derivations", "__init__.py")
        reply({"read": [attempt(lambda p=p: open(p).read()) for p in request["hidden"]],
               "root": os.listdir(request["root"]) if os.path.isdir(request["root"]) else [],
               "X": derivations.X, "uid": os.getuid(),
               "status": dict(line.split(":\t") for line in open("/proc/self/status").read().splitlines()),
               "pid1": open("/proc/1/cmdline").read().replace("\\0", " "),
               "cmdlines": [open(f"/proc/{p}/cmdline").read() for p in os.listdir("/proc") if p.isdigit()],
               "write": [attempt(lambda: open(mine, "a").write("Y = 1")),
                         attempt(lambda: open(mine + ".new", "w").write("Y = 1")),
                         attempt(lambda: open(__file__, "a").write("Y = 1"))]})
    """)
    result, problem = run(script, {"hidden": hidden, "root": str(ROOT)}, package=package)
    assert problem is None
    assert all(r.startswith("refused") for r in result["read"]), result["read"]
    # The venv may live in the checkout: then its folder is there, holding the venv alone.
    assert not {"derivations", "tests", "book"} & set(result["root"]), result["root"]
    assert result["X"] == 42                                  # the package is there, importable
    status = result["status"]                                 # unprivileged, and stays so
    assert result["uid"] != 0 and status["CapEff"] == "0" * 16 and status["NoNewPrivs"] == "1"
    assert all(w in ("refused: EROFS", "refused: EACCES") for w in result["write"]), result["write"]
    assert (package / "derivations" / "__init__.py").read_text() == "X = 41 + 1\n"
    assert "pytest" not in result["pid1"] and result["pid1"].split()[0].endswith("bwrap")
    assert not any("pytest" in c for c in result["cmdlines"])


def test_no_network_not_even_to_a_listener_on_the_hosts_loopback(bwrap, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        script = worker(tmp_path, """
            import socket
            reply({"connect": attempt(lambda: socket.create_connection(("127.0.0.1", request["port"]), 2)),
                   "dns": attempt(lambda: socket.getaddrinfo("example.com", 80))})
        """)
        result, problem = run(script, {"port": port})
        assert problem is None
        assert result["connect"].startswith("refused"), result
        assert result["dns"].startswith("refused"), result
        listener.settimeout(0.2)
        with pytest.raises(socket.timeout):                   # nothing ever reached it
            listener.accept()


def _host_processes_with(marker):
    found = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                found.append(pid)
        except OSError:
            pass
    return found


DAEMON = """
    import time
    if os.fork() == 0:                      # double fork + setsid: a classic daemon
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(30)", request["marker"]])
        os._exit(0)
    seen, deadline = False, time.time() + 3
    while not seen and time.time() < deadline:
        for p in filter(str.isdigit, os.listdir("/proc")):
            try:
                seen = seen or request["marker"] in open(f"/proc/{p}/cmdline").read()
            except OSError:
                pass
        time.sleep(0.01)
    if request["hang"]:
        while True:
            pass
    reply({"seen": seen})
"""


@pytest.mark.parametrize("hang", [False, True], ids=["worker exits", "worker times out"])
def test_a_double_forked_daemon_does_not_survive_the_run(bwrap, tmp_path, hang):
    marker = f"sandbox-daemon-{uuid.uuid4().hex}"
    result, problem = run(worker(tmp_path, DAEMON), {"marker": marker, "hang": hang}, Limits(seconds=2))
    if hang:
        assert problem == "time limit (2 s) exceeded"
    else:
        assert problem is None and result["seen"]             # it did start, inside
    assert _host_processes_with(marker) == []


def _honest(tmp_path, seconds=0.5):
    """A run that starts a few children of its own and reports; it must succeed alongside a hostile one."""
    script = worker(tmp_path, f"""
        import subprocess, time
        time.sleep({seconds})
        reply({{"codes": [subprocess.run(["true"]).returncode for _ in range(3)]}})
    """, name="honest.py")
    return run(script, {})


def test_the_worker_cannot_signal_the_grader_or_a_concurrent_run(bwrap, tmp_path):
    # Interlock: the kills are sent only from inside a fresh PID namespace run by bwrap. Were the
    # sandbox ever broken, kill(-1, SIGKILL) as root would end every process on the machine
    # (it did, once, when this test was run unsandboxed); the test then fails instead.
    script = worker(tmp_path, """
        import signal, time
        time.sleep(0.2)                     # let the honest run start
        ppid = os.getppid()
        fenced = os.getpid() < 10 and "bwrap" in open("/proc/1/cmdline").read()
        reply({"fenced": fenced, "ppid": ppid,
               "parent": fenced and attempt(lambda: os.kill(ppid, signal.SIGKILL)),
               "everyone": fenced and attempt(lambda: os.kill(-1, signal.SIGKILL))})
    """)
    with ThreadPoolExecutor(2) as pool:
        honest = pool.submit(_honest, tmp_path)
        hostile = pool.submit(run, script, {})
        assert honest.result() == ({"codes": [0, 0, 0]}, None)
        result, problem = hostile.result()
    assert problem is None and result["fenced"], result       # else nothing was sent
    assert result["ppid"] != os.getpid()                      # the grader is not even visible
    os.kill(os.getpid(), 0)                                   # and we are alive


def test_wall_clock_limit(bwrap, tmp_path):
    start = time.monotonic()
    result, problem = run(worker(tmp_path, "while True:\n    pass\n"), {}, Limits(seconds=1))
    assert (result, problem) == (None, "time limit (1 s) exceeded")
    assert time.monotonic() - start < 1 + 2


def test_memory_limit_is_a_problem_not_a_crash(bwrap, tmp_path):
    result, problem = run(worker(tmp_path, "x = bytearray(2 << 30)\nreply({})\n"), {}, Limits(memory_mb=256))
    assert result is None and problem == "the process exited (status 1) without reporting results"


def test_output_beyond_output_bytes_is_refused(bwrap, tmp_path):
    script = worker(tmp_path, "reply({'x': 'x' * request['n']})\n")
    assert run(script, {"n": 10}, Limits(output_bytes=1000)) == ({"x": "x" * 10}, None)
    assert run(script, {"n": 5000}, Limits(output_bytes=1000)) == (None, "wrote too much output")


def test_a_signal_is_reported_by_name(bwrap, tmp_path):
    script = worker(tmp_path, "import signal\nos.kill(os.getpid(), signal.SIGXCPU)\n")
    assert run(script, {}) == (None, "CPU time limit exceeded")
    script = worker(tmp_path, "print('{not json')\n")
    assert run(script, {}) == (None, "the process exited (status 0) without reporting results")


def test_process_limit_stops_forking_without_touching_a_concurrent_run(bwrap, tmp_path):
    script = worker(tmp_path, """
        import subprocess, time
        children, failed = [], 0
        for _ in range(2 * request["limit"]):
            try:
                children.append(subprocess.Popen(["sleep", "5"]))
            except OSError:
                failed += 1
        time.sleep(1)                       # hold them while the honest run forks
        for child in children:
            child.kill()
        reply({"started": len(children), "failed": failed})
    """)
    with ThreadPoolExecutor(2) as pool:
        forker = pool.submit(run, script, {"limit": 8}, Limits(processes=8))
        time.sleep(0.3)
        assert _honest(tmp_path, seconds=0) == ({"codes": [0, 0, 0]}, None)
        result, problem = forker.result()
    assert problem is None
    assert 4 <= result["started"] < 8 and result["failed"] > 8, result   # the worker counts itself


@pytest.fixture
def no_bwrap(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))               # an empty folder: no bwrap on PATH
    sandbox.available.cache_clear()
    yield
    sandbox.available.cache_clear()


def test_without_bwrap_the_sandbox_says_what_to_do(no_bwrap, tmp_path):
    assert sandbox.available() == "bwrap is not on PATH"
    with pytest.raises(SandboxUnavailable) as info:
        run(worker(tmp_path, "reply({})\n"), {})
    message = str(info.value)
    assert "bwrap is not on PATH" in message
    assert "apt-get install bubblewrap" in message and "--unsafe-no-sandbox" in message
    assert run(worker(tmp_path, "reply({})\n"), {}, isolate=False) == ({}, None)


@pytest.mark.parametrize("kwargs, message", [
    ({"seconds": -1}, "seconds must be a positive number, got -1"),
    ({"seconds": 0}, "seconds must be a positive number, got 0"),
    ({"seconds": float("nan")}, "seconds must be a positive number, got nan"),
    ({"seconds": "10"}, "seconds must be a positive number, got '10'"),
    ({"memory_mb": 1.5}, "memory_mb must be a positive integer, got 1.5"),
    ({"processes": 0}, "processes must be a positive integer, got 0"),
    ({"output_bytes": True}, "output_bytes must be a positive integer, got True"),
])
def test_limits_name_the_bad_argument(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Limits(**kwargs)


def test_run_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="package must be a directory holding derivations/"):
        run(tmp_path / "w.py", {}, package=tmp_path)
    with pytest.raises(TypeError, match="limits must be a Limits"):
        run(tmp_path / "w.py", {}, limits=10)


def test_deeply_nested_output_is_a_problem_not_a_crash(tmp_path):
    script = tmp_path / "nested.py"
    script.write_text("import sys\nsys.stdout.write('[' * 200000)\n")
    result, problem = sandbox.run(script, {}, sandbox.Limits(seconds=5), isolate=sandbox.available() is None)
    assert result is None and "without reporting results" in problem
