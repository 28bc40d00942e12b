// The written-answer checker in a Web Worker (a module worker: `new Worker(url, {type: "module"})`),
// started by w2v-answer-box.js on the reader's first Check. It loads Pyodide from the book's own
// vendor/pyodide/, unpacks the SymPy and mpmath wheels and the checker's modules listed in
// vendor/python/index.json (book/_ext/w2v_answer_box.py writes it), then answers
//   {id, part, latex}  ->  {id, result: {part, verdict, message, counterexample, position}}
// with the JSON derivations/coursework/answer_worker.py prints. SymPy and mpmath come as
// site-packages.zip (their PyPI wheels compiled to bytecode by `make wheels`), else as the wheels.
// The typed text is handed to judge() as a Python string: the checker parses it; nothing here or
// there evaluates it.
const VENDOR = new URL("../vendor/", import.meta.url);
const SITE = "/lib/w2v";   // where the wheels and the checker are unpacked (first on sys.path)

// Same as answer_worker.main, one part at a time.
const CHECK = `
import json, sys
sys.path.insert(0, ${JSON.stringify(SITE)})
from derivations.coursework.answers.judging import judge
from derivations.coursework.answers.latex import AnswerError
from derivations.coursework.verdicts import ERROR, MISSING, Verdict

def w2v_check(part, latex):
    try:
        verdict = judge(part, latex) if latex else Verdict(MISSING, "no answer given")
    except (AnswerError, RecursionError, MemoryError) as exc:
        verdict = Verdict(ERROR, f"{type(exc).__name__}: {exc}")
    return json.dumps(verdict.to_json(part))
w2v_check
`;

let ready = null;

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch ${url.pathname || url} (${response.status})`);
  return response.arrayBuffer();
}

async function start() {
  const t0 = performance.now(), stages = {};
  const lap = name => { stages[name] = (performance.now() - t0) / 1000; };
  status("Loading Python in the page (the first time takes a few seconds)…");
  // The wheels and the checker download while Pyodide starts.
  const base = new URL("python/", VENDOR);
  const archives = fetch(new URL("index.json", base)).then(r => r.json()).then(index => Promise.all(
    [...(index.site ? [[index.site, "zip"]] : index.wheels.map(name => [name, "wheel"])), [index.checker, "zip"]]
      .map(async ([name, format]) => [await fetchBytes(new URL(name, base)), format])));
  archives.catch(() => {});      // awaited below; no "unhandled rejection" while Pyodide loads
  const {loadPyodide} = await import(new URL("pyodide/pyodide.mjs", VENDOR).href);
  const pyodide = await loadPyodide({indexURL: new URL("pyodide/", VENDOR).href,
                                     stdout: () => {}, stderr: () => {}});
  lap("pyodide");
  status("Loading SymPy…");
  for (const [bytes, format] of await archives) pyodide.unpackArchive(bytes, format, {extractDir: SITE});
  lap("unpacked");
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(SITE)}); import sympy`);
  lap("sympy");
  status("Loading the checker…");
  const check = pyodide.runPython(CHECK);
  lap("imported");
  self.postMessage({type: "loaded", seconds: (performance.now() - t0) / 1000, stages});
  return check;
}

function status(text) {
  self.postMessage({type: "status", text});
}

self.onmessage = async ({data}) => {
  const {id, part, latex} = data;
  try {
    ready = ready || start();
    const check = await ready;
    const t0 = performance.now();
    const result = JSON.parse(check(String(part), String(latex)));
    self.postMessage({type: "verdict", id, result, seconds: (performance.now() - t0) / 1000});
  } catch (error) {
    // A Python traceback's last "...Error: ..." line says what went wrong; else the message's last line.
    const lines = String(error && error.message || error).trim().split("\n").filter(Boolean);
    const text = lines.filter(l => /^\w*(Error|Exception)\b/.test(l)).pop() || lines.pop();
    self.postMessage({type: "verdict", id, result: {
      part, verdict: "error", message: `the checker could not run in the page: ${text}`,
      counterexample: "", position: -1}});
  }
};
