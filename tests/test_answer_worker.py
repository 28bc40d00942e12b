"""The warm checker: a sandboxed zygote (derivations.coursework.sandbox.Zygote) forking one child per request.

A small worker written into tmp_path serves requests that sleep, spin, allocate, crash
or write; each test checks that only the child suffers, that nothing of one request
reaches the next, and that nothing is left running when the caller exits. The last
tests send hostile answers through ``check_answer`` itself. In CI (CI=true) the
sandboxed cases never skip; locally they skip only without a working bubblewrap.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from derivations.coursework import sandbox
from derivations.coursework.sandbox import Limits, Zygote

ROOT = Path(__file__).resolve().parent.parent

WORKER = """\
import os, signal, sys, time
if sys.argv[2]:
    sys.path.insert(0, sys.argv[2])
from derivations.coursework import sandbox
STATE = []
def handle(request):
    what = request["do"]
    STATE.append(what)
    if what == "sleep":
        time.sleep(60)
    if what == "spin":
        while True:
            pass
    if what == "memory":
        try:
            block = bytearray(request["mb"] << 20)
            return {"memory": len(block)}
        except MemoryError:
            return {"memory": "refused"}
    if what == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if what == "output":
        return {"x": "a" * request["size"]}
    if what == "write":
        open("/tmp/left-by-a-request", "w").write("x")
        open("here", "w").write("x")
    if what == "daemon":
        if os.fork() == 0:
            os.setsid()
            time.sleep(60)
    return {"state": STATE, "pid": os.getpid(), "cwd": os.getcwd(), "tmp": sorted(os.listdir("/tmp")),
            "checkout": os.path.exists(request.get("checkout", "/nonexistent")), "parent": os.getppid()}
sandbox.serve(handle, private_tmp=sys.argv[3:4] == ["private-tmp"])
"""


def _isolation(isolate):
    if isolate:
        reason = sandbox.available()
        if reason is not None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{reason}; in CI the sandbox tests must run (apt-get install bubblewrap)")
            pytest.skip(reason)
    return isolate


@pytest.fixture(params=[True, False], ids=["sandboxed", "plain"])
def zygote(request, tmp_path):
    isolate = _isolation(request.param)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    z = Zygote(script, Limits(seconds=10, memory_mb=512), package=str(ROOT), isolate=isolate)
    z.isolate_ = isolate
    yield z
    z.close()


def test_each_request_gets_a_fresh_child_and_nothing_of_the_last_one(zygote):
    first, problem = zygote.run({"do": "write"})
    assert problem is None, problem
    second, problem = zygote.run({"do": "state"})
    assert problem is None, problem
    assert first["state"] == ["write"] and second["state"] == ["state"]      # memory: the zygote's, untouched
    assert first["pid"] != second["pid"] and first["cwd"] != second["cwd"]
    assert not os.path.exists(first["cwd"])                                  # its folder went with it
    if zygote.isolate_:                                                      # the sandbox's own /tmp is emptied
        assert second["tmp"] == [os.path.basename(second["cwd"])], second["tmp"]


@pytest.mark.slow
def test_a_timeout_a_spin_and_a_crash_end_only_their_child(zygote):
    zygote.run({"do": "state"})
    pid = zygote.pid
    for what, words in (("sleep", "time limit (1 s) exceeded"), ("spin", "time limit (1 s) exceeded"),
                        ("segv", "crashed (segmentation fault)")):
        start = time.monotonic()
        result, problem = zygote.run({"do": what}, seconds=1)
        assert result is None and problem == words, (what, problem)
        assert time.monotonic() - start < 1 + 2.0                            # the request's time, not GRACE
        again, problem = zygote.run({"do": "state"})
        assert problem is None and again["state"] == ["state"], problem
        assert zygote.pid == pid                                             # the zygote itself lives on


def test_memory_and_output_limits_hold_per_child(zygote):
    result, problem = zygote.run({"do": "memory", "mb": 600})
    assert problem is None and result["memory"] == "refused"
    result, problem = zygote.run({"do": "memory", "mb": 16})
    assert problem is None and result["memory"] == 16 << 20
    result, problem = zygote.run({"do": "output", "size": zygote.limits.output_bytes + 10})
    assert result is None and problem == "wrote too much output"
    result, problem = zygote.run({"do": "output", "size": 1000})
    assert problem is None and len(result["x"]) == 1000


def test_the_sandboxed_child_sees_no_checkout_and_cannot_reach_the_caller(zygote):
    result, problem = zygote.run({"do": "state", "checkout": str(ROOT / "README.md")})
    assert problem is None, problem
    if zygote.isolate_:
        assert result["checkout"] is False and result["parent"] != os.getpid()
    else:
        assert result["checkout"] is True          # the plain process is not isolated; it says so


@pytest.mark.slow
def test_a_dead_zygote_is_restarted_by_the_next_request(zygote):
    zygote.run({"do": "state"})
    old = zygote.pid
    os.killpg(old, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while zygote.pid == old and time.monotonic() < deadline:
        time.sleep(0.05)
    result, problem = zygote.run({"do": "state"})
    assert problem is None and result["state"] == ["state"], problem
    assert zygote.pid not in (None, old)


@pytest.mark.slow
def test_concurrent_requests_run_in_separate_children(zygote):
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: zygote.run({"do": "state"}), range(6)))
    assert all(problem is None for _, problem in results), results
    assert len({r["pid"] for r, _ in results}) == 6


CALLER = """\
import json, os, signal, sys
sys.path.insert(0, {root!r})
from derivations.coursework import sandbox
z = sandbox.Zygote({script!r}, sandbox.Limits(seconds=5), package={root!r}, isolate={isolate!r})
result, problem = z.run({{"do": "daemon" if {isolate!r} else "state"}})   # a plain run cannot hold a daemon
assert problem is None, problem
def tree(pid):
    out = [pid]
    for task in os.listdir(f"/proc/{{pid}}/task"):      # the zygote is a child of a thread of ours
        try:
            kids = open(f"/proc/{{pid}}/task/{{task}}/children").read().split()
        except OSError:
            continue
        for k in kids:
            out += tree(int(k))
    return out
pids = [p for p in tree(os.getpid()) if p != os.getpid()]
print(json.dumps([[p, open(f"/proc/{{p}}/stat").read().split()[21]] for p in pids]), flush=True)
how = {how!r}
if how == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
elif how == "_exit":
    os._exit(0)
"""


def _alive(pid, start):
    try:
        return open(f"/proc/{pid}/stat").read().split()[21] == start
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("how", ["exit", "_exit", "kill"])
@pytest.mark.parametrize("isolate", [True, False], ids=["sandboxed", "plain"])
def test_nothing_is_left_running_when_the_caller_exits(tmp_path, how, isolate):
    _isolation(isolate)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    caller = tmp_path / "caller.py"
    caller.write_text(CALLER.format(root=str(ROOT), script=str(script), isolate=isolate, how=how))
    done = subprocess.run([sys.executable, str(caller)], capture_output=True, text=True, timeout=120)
    pids = json.loads(done.stdout.splitlines()[0])
    assert pids, done.stderr                                   # the zygote (and bwrap) existed
    deadline = time.monotonic() + 10
    while any(_alive(p, s) for p, s in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p, s in pids if _alive(p, s)] == []


# ---------------------------------------------------------------------------- check_answer itself

HOSTILE = [
    ("huge", "b", "u_o + " * 2000 + "u_o", "syntax", "longer than"),
    ("deeply nested", "b", "(" * 150 + "u_o" + ")" * 150, "syntax", "nested more than"),
    ("many symbols", "b", "(" * 400 + "u_o" + ")" * 400, "syntax", "more than 600 symbols"),
    ("deep braces", "b", r"\frac{" * 200 + "1" + "}{2}" * 200, "syntax", ""),
    ("tower of powers", "d", r"9^{9^{9^{9}}}", "meaning", "exponents are limited"),
    ("nested sums", "d", r"\sum_w" * 7 + " U", "meaning", "more than"),
    ("control characters", "b", "u_o\x00\x1b[2J", "syntax", ""),
    ("unicode soup", "b", "ω" * 1500, "syntax", ""),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,part,latex,kind,words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_answers_get_a_clear_verdict_within_the_timeout(name, part, latex, kind, words):
    from derivations.coursework.answers import check_answer
    check_answer("b", "u_o", timeout=30, verbose=False)        # the zygote's start-up is not this test's
    start = time.monotonic()
    verdict = check_answer(part, latex, timeout=5, verbose=False)
    assert time.monotonic() - start < 5 + 1
    assert verdict.kind == kind and words in verdict.message, str(verdict)
    assert "\n" not in verdict.message.split("\n")[0] and "Traceback" not in verdict.message


@pytest.mark.slow
def test_check_answer_survives_its_checker_dying():
    from derivations.coursework.answers import check_answer
    assert check_answer("b", r"U(\hat{y} - y)", verbose=False).kind == "correct"
    zygotes = [z for z in sandbox._zygotes.values() if z.pid is not None]
    assert zygotes
    for z in zygotes:
        os.killpg(z.pid, signal.SIGKILL)
    assert check_answer("b", r"U(\hat{y} - y)", verbose=False).kind == "correct"
    assert check_answer("b", r"U(\hat{y}", verbose=False).kind == "syntax"
