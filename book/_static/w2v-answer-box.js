// "Check your answer" boxes (book/_ext/w2v_answer_box.py adds this script only to pages that have
// one). Typing shows the LaTeX typeset (the book's vendored MathJax, loaded on the first keystroke);
// Check or Enter sends {part, latex} to a Web Worker (w2v-answer-worker.js) that runs the book's
// Python checker under Pyodide, started on the first Check. Opened from disk (file://), where
// browsers refuse WebAssembly, the box says how to serve the book instead.
(() => {
  "use strict";
  const settings = window.W2V_ANSWER_BOX || {};
  const LIMIT_SECONDS = 90;          // a check that runs longer is stopped (the worker is restarted)
  let worker = null, nextId = 1;
  const pending = new Map();

  const fromDisk = location.protocol === "file:";
  function diskMessage() {
    return "Checking runs Python in the page, which browsers refuse to load from a file: "
      + "in the book's folder run python -m http.server and open http://localhost:8000/"
      + pagePath() + ".";
  }
  function pagePath() {
    try {
      const root = new URL(settings.root || "./", location.href).pathname;
      return decodeURI(location.pathname.startsWith(root) ? location.pathname.slice(root.length) : "");
    } catch (e) { return ""; }
  }

  // ------------------------------------------------------------------ typeset as the reader types
  let mathjax = null;
  function loadMathJax() {
    if (mathjax) return mathjax;
    mathjax = new Promise((resolve, reject) => {
      if (!window.MathJax) {
        window.MathJax = {
          loader: {load: ["input/tex", "output/chtml", "a11y/assistive-mml"]},
          startup: {typeset: false},
        };
      }
      const script = Object.assign(document.createElement("script"),
                                   {id: "w2v-answer-mathjax", src: settings.mathjax, async: true});
      script.onerror = reject;
      document.head.appendChild(script);
      const wait = () => window.MathJax && MathJax.startup && MathJax.startup.promise
        ? resolve(MathJax.startup.promise) : setTimeout(wait, 20);
      wait();
    });
    return mathjax;
  }

  async function preview(box) {
    const input = box.querySelector(".w2v-answer-input");
    const out = box.querySelector(".w2v-answer-preview");
    const tex = input.value;
    const mine = (box.w2vPreviewRun = (box.w2vPreviewRun || 0) + 1);
    if (!tex.trim()) { out.replaceChildren(); return; }
    try {
      await loadMathJax();
      if (mine !== box.w2vPreviewRun) return;          // the reader typed on: a newer preview runs
      MathJax.texReset();
      const node = await MathJax.tex2chtmlPromise(tex, {display: true});
      if (mine !== box.w2vPreviewRun) return;
      out.replaceChildren(node);
      MathJax.startup.document.clear();
      MathJax.startup.document.updateDocument();
    } catch (e) {
      out.textContent = "";                             // no preview: the Check still works
    }
  }

  // ------------------------------------------------------------------ the checker in a worker
  function startWorker() {
    worker = new Worker(settings.worker, {type: "module"});
    worker.onmessage = ({data}) => {
      if (data.type === "status") {
        for (const {box} of pending.values()) if (box) say(box, data.text, "busy");
      } else if (data.type === "loaded") {
        window.w2vAnswerLoaded = {seconds: data.seconds, stages: data.stages};   // for the bench
      } else if (data.type === "verdict" && pending.has(data.id)) {
        const {resolve, timer} = pending.get(data.id);
        clearTimeout(timer);
        pending.delete(data.id);
        resolve(data.result);
      }
    };
    worker.onerror = event => {
      event.preventDefault();
      stop(`the checker could not start in the page (${event.message || "worker error"})`);
    };
  }

  function stop(message) {
    if (worker) worker.terminate();
    worker = null;
    for (const [id, {resolve, timer, part}] of pending) {
      clearTimeout(timer);
      resolve({part, verdict: "error", message, counterexample: "", position: -1});
    }
    pending.clear();
  }

  // Kept on window, so a test (or the bench) can check many answers through one worker.
  function check(part, latex, box = null) {
    if (!worker) startWorker();
    const id = nextId++;
    return new Promise(resolve => {
      // The time limit starts once Python is loaded; the first check also loads it.
      const timer = setTimeout(() => stop(`the checker stopped: no verdict within ${LIMIT_SECONDS} s; `
                                          + "simplify your formula"), (LIMIT_SECONDS + 60) * 1000);
      pending.set(id, {resolve, timer, part, box});
      worker.postMessage({id, part, latex});
    });
  }
  window.w2vCheckAnswer = (part, latex) => check(part, latex);

  // ------------------------------------------------------------------ the box
  const LABELS = {correct: "Correct", transpose: "Correct up to a transpose", notation: "Right up to notation",
                  wrong: "Not equal", syntax: "Cannot read this LaTeX", meaning: "No value",
                  undecided: "Undecided", missing: "No answer", error: "The checker could not run"};

  function say(box, text, kind) {
    const out = box.querySelector(".w2v-answer-verdict");
    out.className = `w2v-answer-verdict w2v-answer-${kind}`;
    out.replaceChildren(document.createTextNode(text));
  }

  function show(box, result) {
    const out = box.querySelector(".w2v-answer-verdict");
    out.className = `w2v-answer-verdict w2v-answer-${result.verdict}`;
    out.dataset.verdict = result.verdict;
    const head = document.createElement("strong");
    head.textContent = `${LABELS[result.verdict] || result.verdict}: `;
    const parts = [head, document.createTextNode(result.message)];
    const latex = box.querySelector(".w2v-answer-input").value;
    if (result.position >= 0 && ["syntax", "meaning"].includes(result.verdict) && latex) {
      const at = Math.min(result.position, latex.length);
      const where = document.createElement("code");
      where.className = "w2v-answer-where";
      where.append(latex.slice(0, at), Object.assign(document.createElement("mark"),
                   {textContent: latex.slice(at, at + 1) || " "}), latex.slice(at + 1));
      parts.push(document.createTextNode(" (at character " + (at + 1) + "): "), where);
    }
    if (result.counterexample) {
      const pre = document.createElement("pre");
      pre.className = "w2v-answer-counterexample";
      pre.textContent = result.counterexample;
      parts.push(pre);
    }
    out.replaceChildren(...parts);
  }

  async function onCheck(box) {
    const input = box.querySelector(".w2v-answer-input");
    const button = box.querySelector(".w2v-answer-check");
    if (fromDisk) { say(box, diskMessage(), "disk"); return; }
    if (box.dataset.busy) return;
    box.dataset.busy = "1";
    button.disabled = true;
    box.setAttribute("aria-busy", "true");
    say(box, worker ? "Checking…" : "Loading Python in the page (the first time takes a few seconds)…", "busy");
    try {
      show(box, await check(box.dataset.part, input.value, box));
    } finally {
      delete box.dataset.busy;
      button.disabled = false;
      box.removeAttribute("aria-busy");
    }
  }

  function setUp(box) {
    const input = box.querySelector(".w2v-answer-input");
    const button = box.querySelector(".w2v-answer-check");
    let timer = null;
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => preview(box), 120); });
    input.addEventListener("keydown", event => {
      if (event.key === "Enter") { event.preventDefault(); onCheck(box); }
    });
    button.addEventListener("click", () => onCheck(box));
    if (fromDisk) say(box, diskMessage(), "disk");
  }

  const init = () => document.querySelectorAll(".w2v-answer-box").forEach(setUp);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
