/* w2v-explorable: the explorers' shared code (derivations/explorers/static/common.js).
 * This file, then naive_softmax.js, neg_sampling.js and skipgram.js, make up both
 *  - the anywidget ES module every explorer uses in Jupyter (assets.module_source),
 *    where the kernel computes with the reader's functions, and
 *  - the page script _static/w2v-explorables.js the book build writes (page_source, + page.js),
 *    which renders the explorers from the widget state embedded in the page; there the
 *    functions below compute the same quantities (checked against NumPy in Node by tests/js/
 *    and end to end by the browser tests).
 * Shapes follow the book: U is d rows of |V| entries (U[i][w]), column w is u_w; v_c has d entries.
 */

// ---------- the seeded generator: bit-identical twin of derivations/explorers/rng.py ----------
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a) >>> 0;
    t = ((t + Math.imul(t ^ (t >>> 7), 61 | t)) >>> 0) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}
// floor(u * n / 2**32) exactly: u * n < 2**53 for n <= 2**21.
function below(next, n) { return Math.floor((next() * n) / 4294967296); }
function coordinate(next) { return (below(next, 301) - 150) / 100; }

function columnsToRows(cols, d) {
  const rows = [];
  for (let i = 0; i < d; i++) rows.push(cols.map(c => c[i]));
  return rows;
}
function randomVectors(seed, d, n) {
  const next = mulberry32(seed);
  const v_c = [];
  for (let i = 0; i < d; i++) v_c.push(coordinate(next));
  const cols = [];
  for (let w = 0; w < n; w++) { const c = []; for (let i = 0; i < d; i++) c.push(coordinate(next)); cols.push(c); }
  return { v_c, U: columnsToRows(cols, d) };
}
function randomCentreAndOutside(seed, d, n) {
  const next = mulberry32(seed);
  const vs = [], us = [];
  for (let w = 0; w < n; w++) {
    const v = [], u = [];
    for (let i = 0; i < d; i++) v.push(coordinate(next));
    for (let i = 0; i < d; i++) u.push(coordinate(next));
    vs.push(v); us.push(u);
  }
  return { V: columnsToRows(vs, d), U: columnsToRows(us, d) };
}
function sampleNegatives(seed, draw, o, n, K) {
  const next = mulberry32((Math.imul(seed, 1000003) + Math.imul(draw, 7919) + 12345) >>> 0);
  const out = [];
  for (let k = 0; k < K; k++) { const w = below(next, n - 1); out.push(w >= o ? w + 1 : w); }
  return out;
}

// ---------- the book's formulas (derivations/core/functions.py and losses.py), in float64 ----------
function column(U, w) { return U.map(row => row[w]); }
function dot(a, b) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }
function scoresOf(U, v) {  // U^T v
  const n = U[0].length, out = new Array(n).fill(0);
  for (let w = 0; w < n; w++) { let s = 0; for (let i = 0; i < v.length; i++) s += U[i][w] * v[i]; out[w] = s; }
  return out;
}
function matVec(U, x) { return U.map(row => { let s = 0; for (let w = 0; w < row.length; w++) s += row[w] * x[w]; return s; }); }
function softmax(s) {
  const m = Math.max(...s), e = s.map(x => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map(x => x / z);
}
function logSoftmax(s) {
  const m = Math.max(...s), shifted = s.map(x => x - m);
  const lse = Math.log(shifted.reduce((a, x) => a + Math.exp(x), 0));
  return shifted.map(x => x - lse);
}
function sigmoid(x) { const e = Math.exp(-Math.abs(x)); return x >= 0 ? 1 / (1 + e) : e / (1 + e); }
// log sigmoid(x) = -logaddexp(0, -x), as NumPy computes logaddexp.
function logSigmoid(x) { const y = -x; return -(Math.max(0, y) + Math.log1p(Math.exp(-Math.abs(y)))); }
function zerosLike(U) { return U.map(row => row.map(() => 0)); }

// eq. (a.1), (b.1), (d.1): the reference naive_softmax_loss_and_gradient.
// In the student edition the region below is a `throw`, and the explorers show its message.
function naiveSoftmaxLossAndGradient(v_c, o, U) {
  // ### BEGIN SOLUTION
  const scores = scoresOf(U, v_c);
  const y_hat = softmax(scores);
  const loss = -logSoftmax(scores)[o];
  const delta = y_hat.slice(); delta[o] -= 1;
  const grad_v_c = matVec(U, delta);
  const grad_U = v_c.map(vi => delta.map(dw => vi * dw));
  return { loss, y_hat, grad_v_c, grad_U };
  // ### END SOLUTION
}
// eq. (g.1) through (g.5) and part (h): the reference neg_sampling_loss_and_gradient.
function negSamplingLossAndGradient(v_c, o, U, negatives) {
  // ### BEGIN SOLUTION
  const cols = [column(U, o)].concat(negatives.map(w => column(U, w).map(x => -x)));
  const scores = cols.map(c => dot(c, v_c));
  const loss = -scores.reduce((a, s) => a + logSigmoid(s), 0);
  const delta = scores.map(s => 1 - sigmoid(s));
  const grad_v_c = v_c.map((_, i) => -cols.reduce((a, c, k) => a + c[i] * delta[k], 0));
  const grad_U = zerosLike(U);
  for (let i = 0; i < v_c.length; i++) grad_U[i][o] -= delta[0] * v_c[i];
  negatives.forEach((w, k) => { for (let i = 0; i < v_c.length; i++) grad_U[i][w] += delta[k + 1] * v_c[i]; });
  return { loss, grad_v_c, grad_U };
  // ### END SOLUTION
}
// The terms a gradient splits into, drawn tip to tail: [{ id, vec, color, label }] and a note
// on dJ/du_w. A spec's `terms` function states an answer, so it is a solution region; without
// it (student edition) the explorer draws the gradient alone.
function termsOf(fn, s, r) {
  try { return fn(s, r); } catch (e) { return { terms: [], note: "", missing: String(e.message || e) }; }
}
function termArrows(v2, terms, P) {
  const arrows = [];
  let tip = v2;
  for (const t of terms) {
    const next = add(tip, project(P, t.vec));
    arrows.push({ id: t.id, from: tip, to: next, color: t.color, dash: true, label: t.label });
    tip = next;
  }
  return arrows;
}
function termLines(terms) {
  return terms.map((t, i) => `  ${i ? "+" : "="} ${t.label} ${fmtVec(t.vec)}${t.note ? " " + t.note : ""}`);
}
function naivePanel(v_c, o, U) {
  const r = naiveSoftmaxLossAndGradient(v_c, o, U);
  return { error: null, loss: r.loss, y_hat: r.y_hat, grad_v_c: r.grad_v_c, grad_U: r.grad_U };
}
function negPanel(v_c, o, U, negatives) {
  const r = negSamplingLossAndGradient(v_c, o, U, negatives);
  const counts = new Array(U[0].length).fill(0);
  negatives.forEach(w => { counts[w] += 1; });
  return { error: null, loss: r.loss, grad_v_c: r.grad_v_c, grad_U: r.grad_U, counts };
}

// ---------- small vector helpers ----------
const add = (a, b) => a.map((x, i) => x + b[i]);
const sub = (a, b) => a.map((x, i) => x - b[i]);
const scale = (a, s) => a.map(x => x * s);
const norm = a => Math.sqrt(dot(a, a));
const fmt = (x, p = 4) => (Math.abs(x) < 1e-12 ? 0 : x).toFixed(p);
const fmtVec = (a, p = 3) => "[" + a.slice(0, 10).map(x => fmt(x, p)).join(", ") + (a.length > 10 ? ", …" : "") + "]";

function isIntegerString(s) { return /^[0-9]+$/.test(s); }
// Parse "3, 3 7" into word indices without evaluating anything the reader typed.
function parseIndices(text, n) {
  const parts = String(text).split(/[\s,;]+/).filter(p => p.length);
  if (!parts.length) throw new Error("negatives: type at least one word index");
  const out = [];
  for (const p of parts) {
    if (!isIntegerString(p)) throw new Error(`negatives: "${p}" is not a word index (expected integers 0..${n - 1})`);
    const w = parseInt(p, 10);
    if (w >= n) throw new Error(`negatives: ${w} is out of range, word indices run from 0 to ${n - 1}`);
    out.push(w);
  }
  if (out.length > 20) throw new Error(`negatives: at most 20 (K <= 20), got ${out.length}`);
  return out;
}

// ---------- the 2-D view: d = 2 as is, larger d through a fixed orthonormal projection ----------
function projection(seed, d) {
  if (d === 2) return [[1, 0], [0, 1]];
  const next = mulberry32((seed ^ 0x5bd1e995) >>> 0);
  const a = [], b = [];
  for (let i = 0; i < d; i++) a.push(coordinate(next) + 1e-3);
  for (let i = 0; i < d; i++) b.push(coordinate(next) + 2e-3);
  const e1 = scale(a, 1 / norm(a));
  const b2 = sub(b, scale(e1, dot(b, e1)));
  const e2 = scale(b2, 1 / norm(b2));
  return [e1, e2];  // rows: the two basis vectors (each of length d)
}
function project(P, x) { return [dot(P[0], x), dot(P[1], x)]; }
// Move x so that its projection moves by delta2 (x stays put off the plane).
function unproject(P, x, delta2) { return x.map((xi, i) => xi + P[0][i] * delta2[0] + P[1][i] * delta2[1]); }
const round2 = x => Math.round(x * 100) / 100;

const SVGNS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}
function htmlEl(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

const COLORS = { v: "#1f5fbf", o: "#1a8f3a", neg: "#c62828", word: "#888", grad: "#111",
                 t1: "#e67e00", t2: "#8e44ad", gu: "#5d6d7e" };

function ensureStyle() {
  if (document.getElementById("w2v-explorable-style")) return;
  const css = `
.w2v-x { font: 13px/1.35 system-ui, sans-serif; border: 1px solid #ccc; border-radius: 6px; padding: 8px; margin: 8px 0; max-width: 760px; }
.w2v-x .w2v-title { font-weight: 600; margin-bottom: 4px; }
.w2v-x .w2v-controls { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; margin-bottom: 6px; }
.w2v-x .w2v-controls label { display: inline-flex; align-items: center; gap: 4px; }
.w2v-x input[type=range] { width: 110px; }
.w2v-x input[type=number] { width: 64px; }
.w2v-x .w2v-panels { display: flex; flex-wrap: wrap; gap: 10px; }
.w2v-x .w2v-panel { flex: 1 1 290px; min-width: 290px; }
.w2v-x svg { background: #fafafa; border: 1px solid #e2e2e2; touch-action: none; max-width: 100%; }
.w2v-x .w2v-point { cursor: grab; }
.w2v-x .w2v-nums { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; margin: 4px 0; }
.w2v-x .w2v-error { color: #a00; background: #fff0f0; border: 1px solid #e99; padding: 6px; border-radius: 4px; white-space: pre-wrap; }
.w2v-x .w2v-note { color: #666; font-size: 12px; }
.w2v-x .w2v-chip { display: inline-block; padding: 1px 5px; margin: 2px; border-radius: 4px; border: 1px solid #ccc; cursor: pointer; }
.w2v-x .w2v-chip.centre { background: #dce8fb; border-color: ${COLORS.v}; }
.w2v-x .w2v-chip.context { background: #dff3e4; border-color: ${COLORS.o}; }
.w2v-x table { border-collapse: collapse; font-size: 12px; }
.w2v-x td, .w2v-x th { padding: 1px 6px; text-align: right; font-family: ui-monospace, monospace; }`;
  const s = document.createElement("style");
  s.id = "w2v-explorable-style";
  s.textContent = css;
  document.head.appendChild(s);
}

// A labelled range slider; onInput(value) fires while dragging.
function slider(parent, label, { min, max, step = 1, value, onInput, name }) {
  const l = htmlEl("label", {}, parent, label + " ");
  const inp = htmlEl("input", { type: "range", min, max, step, "data-name": name || label }, l);
  inp.value = value;
  const out = htmlEl("span", { class: "w2v-val" }, l, String(value));
  inp.addEventListener("input", () => { out.textContent = inp.value; onInput(Number(inp.value)); });
  return { input: inp, set(v) { inp.value = v; out.textContent = String(v); } };
}
function button(parent, label, onClick, name) {
  const b = htmlEl("button", { type: "button", "data-name": name || label }, parent, label);
  b.addEventListener("click", onClick);
  return b;
}

// ---------- the plane: points (some draggable) and arrows, in world coordinates ----------
const PLANE = { size: 290, extents: [2, 3, 4.5, 6, 9, 12, 18, 24, 36, 48] };
function planeView(parent, name) {
  const svg = svgEl("svg", { width: PLANE.size, height: PLANE.size, viewBox: `0 0 ${PLANE.size} ${PLANE.size}`, "data-plane": name }, parent);
  const defs = svgEl("defs", {}, svg);
  for (const [key, color] of Object.entries(COLORS)) {
    const m = svgEl("marker", { id: `w2v-head-${key}-${name}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
                                markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    svgEl("path", { d: "M0,0 L10,5 L0,10 z", fill: color }, m);
  }
  const layer = svgEl("g", {}, svg);
  return { svg, layer, name, extent: 3 };
}
// The view zooms out in steps so every point and arrow tip stays visible.
function extentFor(points, arrows) {
  let need = 0;
  for (const p of points) need = Math.max(need, Math.abs(p.at[0]), Math.abs(p.at[1]));
  for (const a of arrows) for (const q of [a.from, a.to]) need = Math.max(need, Math.abs(q[0]), Math.abs(q[1]));
  return PLANE.extents.find(e => e >= 1.08 * need) || PLANE.extents[PLANE.extents.length - 1];
}
const toPx = ([x, y], e) => [PLANE.size / 2 + (x * PLANE.size) / (2 * e), PLANE.size / 2 - (y * PLANE.size) / (2 * e)];
const toWorld = (px, py, e) => [((px - PLANE.size / 2) * 2 * e) / PLANE.size, (-(py - PLANE.size / 2) * 2 * e) / PLANE.size];

// minExtent lets two panels share one scale.
function drawPlane(view, { points, arrows }, minExtent = 0) {
  const g = view.layer, e = (view.extent = Math.max(extentFor(points, arrows), minExtent));
  view.svg.setAttribute("data-extent", e);
  // Redrawing replaces the points: remember which one had the keyboard focus.
  const active = document.activeElement;
  const focused = active && g.contains(active) ? active.getAttribute("data-point") : null;
  while (g.firstChild) g.removeChild(g.firstChild);
  const mid = PLANE.size / 2;
  svgEl("line", { x1: 0, y1: mid, x2: PLANE.size, y2: mid, stroke: "#ddd" }, g);
  svgEl("line", { x1: mid, y1: 0, x2: mid, y2: PLANE.size, stroke: "#ddd" }, g);
  for (const a of arrows) {
    if (norm(sub(a.to, a.from)) < 1e-9) continue;
    const [x1, y1] = toPx(a.from, e), [x2, y2] = toPx(a.to, e);
    const line = svgEl("line", { x1, y1, x2, y2, stroke: COLORS[a.color], "stroke-width": a.width || 2,
                                 "marker-end": `url(#w2v-head-${a.color}-${view.name})`, "data-arrow": a.id }, g);
    if (a.dash) line.setAttribute("stroke-dasharray", "5,3");
    if (a.label) svgEl("text", { x: x2 + 4, y: y2 - 4, fill: COLORS[a.color], "font-size": 11 }, g).textContent = a.label;
  }
  for (const p of points) {
    const [cx, cy] = toPx(p.at, e);
    if (p.ring) svgEl("circle", { cx, cy, r: (p.r || 5) + 4, fill: "none", stroke: COLORS.neg, "stroke-width": 2 }, g);
    const c = svgEl("circle", { cx, cy, r: p.r || 5, fill: COLORS[p.color], "fill-opacity": p.faint ? 0.35 : 1,
                                stroke: "#fff", "data-point": p.id, class: p.drag ? "w2v-point" : "" }, g);
    if (p.label) svgEl("text", { x: cx + 7, y: cy + 12, "font-size": 11, fill: "#333" }, g).textContent = p.label;
    if (p.drag) {
      // Keyboard: focus a point (Tab) and move it with the arrow keys.
      c.setAttribute("tabindex", "0");
      c.setAttribute("role", "button");
      c.setAttribute("aria-label", `${p.label || p.id}: drag, or use the arrow keys to move it`);
      c.addEventListener("keydown", ev => {
        const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[ev.key];
        if (!d) return;
        ev.preventDefault();
        p.drag([p.at[0] + d[0] * e / 30, p.at[1] + d[1] * e / 30]);
      });
      if (p.id === focused) queueMicrotask(() => c.focus());
      c.addEventListener("pointerdown", ev => {
        ev.preventDefault();
        const rect = view.svg.getBoundingClientRect();
        const sx = PLANE.size / rect.width;
        const start = toWorld((ev.clientX - rect.left) * sx, (ev.clientY - rect.top) * sx, e);
        const origin = p.at;
        const move = m => {  // the scale at the press holds for the whole drag
          const w = toWorld((m.clientX - rect.left) * sx, (m.clientY - rect.top) * sx, e);
          p.drag([origin[0] + w[0] - start[0], origin[1] + w[1] - start[1]]);
        };
        const up = () => { window.removeEventListener("pointermove", move); window.removeEventListener("pointerup", up); };
        window.addEventListener("pointermove", move);
        window.addEventListener("pointerup", up);
      });
    }
  }
}

// Bars of y_hat (or any non-negative values), the highlighted index in green.
function drawBars(parent, values, { highlight, labels, name, max = 1, caption }) {
  const w = 290, h = 80, n = values.length, bw = w / n;
  if (caption) htmlEl("div", { class: "w2v-note" }, parent, caption);
  const svg = svgEl("svg", { width: w, height: h + 14, "data-bars": name }, parent);
  values.forEach((v, i) => {
    const bh = Math.max(0, Math.min(1, v / max)) * h;
    svgEl("rect", { x: i * bw + 1, y: h - bh, width: Math.max(1, bw - 2), height: bh,
                    fill: i === highlight ? COLORS.o : "#9aa7b8", "data-value": v }, svg);
    if (n <= 20) svgEl("text", { x: i * bw + bw / 2, y: h + 12, "font-size": 9, "text-anchor": "middle" }, svg).textContent = labels[i];
  });
  return svg;
}

// Each explorer file adds its spec under its Python class name (the `kind` trait).
const SPECS = {};
function renderExplorer({ model, el }) { return host(model, el, SPECS[model.get("kind")]); }

// ---------- the host: one code path for Jupyter (kernel computes) and the page (JS computes) ----------
function registerExplorable(entry) {
  if (typeof window === "undefined") return;
  window.w2vExplorables = window.w2vExplorables || [];
  window.w2vExplorables.push(entry);
}

/* spec: { kind, keys, transition(state, changedKeys) -> state, compute(state) -> result,
 *         step(state, result) -> changes, build(ui, api), draw(ui, state, result, api) }
 * api.commit(changes): the reader changed something. With a kernel, the kernel applies it
 * (redraws from a seed, resamples, calls the reader's functions) and answers with `result`;
 * in the page (model.w2vStatic) spec.transition and spec.compute do the same here. */
// In the page the reader's Python functions cannot run: say so where the chapter passed its own,
// with what they reported when the book was built (the result stored in the page).
function builtNote(model, root) {
  const custom = model.get("custom_functions") || [], built = model.get("result") || {};
  const errors = [built.error].concat(Object.values(built).map(v => v && typeof v === "object" ? v.error : null)).filter(Boolean);
  if (!custom.length && !errors.length) return;
  const text = `This explorer was given ${custom.join(" and ") || "functions"} in the chapter` +
    (errors.length ? `, which reported when the book was built: ${errors.join("; ")}` : "") +
    ". Without a kernel, this page computes with the book's own formulas instead; run the chapter in Jupyter to see your functions drive it.";
  const note = htmlEl("div", { class: "w2v-error", "data-role": "built-note" }, null, text);
  root.insertBefore(note, root.children[1] || null);
}

function host(model, el, spec) {
  ensureStyle();
  const live = !model.w2vStatic;
  let noKernel = false, timer = null, lastResult = null, pending = false;
  const root = htmlEl("div", { class: "w2v-x", "data-kind": spec.kind }, el);
  const state = () => { const s = {}; for (const k of spec.keys) s[k] = model.get(k); return s; };
  const api = { live, root };

  function current() {
    const s = state();
    if (live && !noKernel) {
      const r = model.get("result");
      return { s, r: r && r.rev === model.get("rev") ? r : null };
    }
    let r;
    try { r = spec.compute(s); } catch (e) { r = { error: String(e.message || e) }; }
    return { s, r: Object.assign({ rev: model.get("rev"), source: "page" }, r) };
  }
  function redraw() {
    const { s, r } = current();
    // Waiting for the kernel's answer: keep the last picture rather than flash an empty one.
    if (!r && lastResult) return;
    if (r) lastResult = r;
    spec.draw(api.ui, s, r, api);
    api.note.textContent = live && !noKernel ? "computed by the kernel with the functions passed to the explorer"
      : (live ? "no kernel answered: computed in the page with the book's formulas"
              : "computed in the page (JavaScript copy of the book's formulas, checked against NumPy)");
  }
  function later() { if (!pending) { pending = true; Promise.resolve().then(() => { pending = false; redraw(); }); } }

  api.commit = changes => {
    if (live && !noKernel) {
      for (const [k, v] of Object.entries(changes)) model.set(k, v);
      model.set("rev", model.get("rev") + 1);
      model.save_changes();
      clearTimeout(timer);
      timer = setTimeout(() => { const r = model.get("result"); if (!r || r.rev !== model.get("rev")) { noKernel = true; redraw(); } }, 2500);
      later();
    } else {
      const s = spec.transition(Object.assign(state(), changes), Object.keys(changes));
      for (const k of spec.keys) model.set(k, s[k]);
      model.set("rev", model.get("rev") + 1);
      model.save_changes();
      redraw();
    }
  };
  api.step = () => {
    if (live && !noKernel) { model.send({ event: "step" }); return; }
    const { s, r } = current();
    const changes = spec.step(s, r);
    if (changes) api.commit(changes);
  };
  api.ui = spec.build(root, api);
  api.note = htmlEl("div", { class: "w2v-note" }, root);
  if (!live) builtNote(model, root);
  if (live) {
    model.on("change:result", () => { const r = model.get("result"); if (r && r.rev === model.get("rev")) noKernel = false; later(); });
    for (const k of spec.keys) model.on("change:" + k, later);
  }
  redraw();
  registerExplorable({
    kind: spec.kind, el: root, model,
    compute: partial => spec.compute(Object.assign(state(), partial)),
    setState: changes => { api.commit(changes); return lastResult; },
    state, result: () => lastResult,
  });
  return () => { clearTimeout(timer); };
}

// ---------- pieces shared by the explorers' drawings ----------
const wordLabel = (s, w) => (s.words && s.words[w]) || "w" + w;
function setColumn(U, w, x) { return U.map((row, i) => row.map((val, j) => (j === w ? x[i] : val))); }
// Where a dragged point lands: exact 2-decimal coordinates in 2-D, a move within the plane otherwise.
function dropped(P, x, pos) {
  if (x.length === 2) return [round2(pos[0]), round2(pos[1])];
  return unproject(P, x, sub(pos, project(P, x)));
}
function panelView(parent, name, title) {
  const box = htmlEl("div", { class: "w2v-panel", "data-panel": name }, parent);
  htmlEl("div", { class: "w2v-title" }, box, title);
  const view = planeView(box, name);
  const err = htmlEl("div", { class: "w2v-error", "data-role": "error" }, box);
  const nums = htmlEl("div", { class: "w2v-nums", "data-role": "numbers" }, box);
  const bars = htmlEl("div", {}, box);
  return { box, view, err, nums, bars };
}
function showError(pv, message) {
  pv.err.style.display = message ? "" : "none";
  pv.err.textContent = message || "";
}
// Points of the naive-softmax picture: every u_w (o in green) and v_c, all draggable.
function wordPoints(s, P, api, style) {
  const n = s.U[0].length, pts = [];
  for (let w = 0; w < n; w++) {
    const x = column(s.U, w), st = style(w);
    // Beyond 12 words only the highlighted ones keep their labels (the rest would be a smudge).
    pts.push(Object.assign({ id: "u" + w, at: project(P, x), color: "word", label: n > 12 ? "" : wordLabel(s, w),
                             drag: pos => api.commit({ U: setColumn(s.U, w, dropped(P, x, pos)) }) }, st));
  }
  pts.push({ id: "v_c", at: project(P, s.v_c), color: "v", r: 7, label: "v_c",
             drag: pos => api.commit({ v_c: dropped(P, s.v_c, pos) }) });
  return pts;
}
// The terms of dJ/dv_c (eq. (b.1)) and the form of dJ/du_w (eq. (c.1)).
function naiveTerms(s, r) {
  // ### BEGIN SOLUTION
  return { terms: [{ id: "term_observed", vec: scale(column(s.U, s.o), -1), color: "t1", label: "−u_o" },
                   { id: "term_expected", vec: matVec(s.U, r.y_hat), color: "t2", label: "Uŷ" }],
           note: "∂J/∂u_w = (ŷ_w − y_w) v_c: arrows at each u_w" };
  // ### END SOLUTION
}
// The terms of dJ/dv_c tip to tail (when naiveTerms is written), and the gradient itself.
function naiveArrows(s, r, P, terms) {
  const v2 = project(P, s.v_c);
  const arrows = termArrows(v2, terms, P).concat([
    { id: "grad_v_c", from: v2, to: add(v2, project(P, r.grad_v_c)), color: "grad", width: 2.5, label: "∂J/∂v_c" },
  ]);
  for (let w = 0; w < s.U[0].length; w++) {
    const at = project(P, column(s.U, w));
    arrows.push({ id: "grad_u" + w, from: at, to: add(at, project(P, column(r.grad_U, w))), color: w === s.o ? "o" : "gu", width: 1.5 });
  }
  return arrows;
}
function drawNaivePanel(pv, s, r, api, P, minExtent = 0) {
  const ok = r && !r.error;
  showError(pv, r && r.error);
  const t = ok ? termsOf(naiveTerms, s, r) : { terms: [], note: "" };
  drawPlane(pv.view, { points: wordPoints(s, P, api, w => (w === s.o ? { color: "o", label: wordLabel(s, w) + " = o" } : {})),
                       arrows: ok ? naiveArrows(s, r, P, t.terms) : [] }, minExtent);
  pv.bars.textContent = "";
  if (!ok) { pv.nums.textContent = r ? "" : "…"; return pv.view.extent; }
  const lines = [`J = −log ŷ_o = ${fmt(r.loss)}    ŷ_o = ${fmt(r.y_hat[s.o])}`, `∂J/∂v_c = ${fmtVec(r.grad_v_c)}`]
    .concat(termLines(t.terms), [t.note || "∂J/∂u_w: arrows at each u_w"]);
  if (t.terms.length) {
    const sum = t.terms.reduce((a, x) => add(a, x.vec), s.v_c.map(() => 0)), off = norm(sub(sum, r.grad_v_c));
    if (off > 1e-6 * (1 + norm(sum)))
      lines.push(`⚠ this ∂J/∂v_c differs from ${t.terms.map(x => x.label).join(" + ")} by ${off.toExponential(2)}: check the implementation`);
  }
  pv.nums.textContent = lines.join("\n");
  pv.nums.dataset.loss = String(r.loss);
  drawBars(pv.bars, r.y_hat, { highlight: s.o, labels: r.y_hat.map((_, w) => wordLabel(s, w)), name: "y_hat",
                              caption: "ŷ_w = softmax(Uᵀv_c)_w, o in green" });
  return pv.view.extent;
}
// Static-page transitions shared by the two softmax explorers (the kernel does these in Python).
function softmaxTransition(s, changed) {
  const has = k => changed.includes(k);
  if (has("U") && Array.isArray(s.U) && s.U.length) { s.dim = s.U.length; s.vocab_size = s.U[0].length; }
  else if (has("seed") || has("dim") || has("vocab_size")) {
    const r = randomVectors(s.seed, s.dim, s.vocab_size);
    s.U = r.U;
    if (!has("v_c")) s.v_c = r.v_c;
  }
  s.o = Math.min(s.o, s.vocab_size - 1);
  return s;
}
function checkSoftmaxState(s) {
  const d = s.v_c.length, n = s.U[0].length;
  if (s.U.length !== d) throw new Error(`U must have shape (d, |V|) with d = len(v_c) = ${d}, got (${s.U.length}, ${n})`);
  if (!(Number.isInteger(s.o) && s.o >= 0 && s.o < n)) throw new Error(`o=${s.o} is out of range: word indices run from 0 to ${n - 1}`);
}
function softmaxControls(ui, api, extra) {
  const c = htmlEl("div", { class: "w2v-controls" }, ui.root);
  ui.vocab = slider(c, "|V|", { min: 2, max: 50, value: 6, name: "vocab_size", onInput: v => api.commit({ vocab_size: v }) });
  ui.dim = slider(c, "d", { min: 2, max: 10, value: 2, name: "dim", onInput: v => api.commit({ dim: v }) });
  ui.o = slider(c, "o", { min: 0, max: 5, value: 0, name: "o", onInput: v => api.commit({ o: v }) });
  seedAndStepControls(c, ui, api, "take a gradient step");
  if (extra) extra(c);
  return c;
}
// The seed, the step size and the step button, which every explorer has.
function seedAndStepControls(c, ui, api, stepLabel) {
  ui.seed = slider(c, "seed", { min: 0, max: 99, value: 0, name: "seed", onInput: v => api.commit({ seed: v }) });
  ui.eta = slider(c, "step size η", { min: 0.05, max: 2, step: 0.05, value: 0.5, name: "step_size", onInput: v => api.commit({ step_size: v }) });
  button(c, stepLabel, () => api.step(), "step");
}
// One SGD step on v_c and U with the gradients of result[panel] (the panel the step follows).
function softmaxStep(panel) {
  return (s, r) => {
    const p = r && r[panel];
    if (!p || p.error) return null;
    return { v_c: gradientStep(s.v_c, p.grad_v_c, s.step_size), U: matrixStep(s.U, p.grad_U, s.step_size) };
  };
}
function syncSoftmaxControls(ui, s) {
  ui.vocab.set(s.vocab_size); ui.dim.set(s.dim); ui.seed.set(s.seed); ui.eta.set(s.step_size);
  ui.o.input.max = s.vocab_size - 1; ui.o.set(s.o);
}
function gradientStep(x, g, eta) { return x.map((xi, i) => xi - eta * g[i]); }
function matrixStep(U, G, eta) { return U.map((row, i) => row.map((u, w) => u - eta * G[i][w])); }
function projectionNote(ui, s) {
  ui.proj.textContent = s.dim === 2 ? "the plane is R² itself: drag v_c or any u_w"
    : `d = ${s.dim}: the picture is a fixed projection onto a random plane (from the seed); dragging moves a vector within that plane`;
}
