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
    arrows.push({ id: t.id, from: tip, to: next, color: t.color, dash: true, label: t.label, rank: 1.5 });
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
// The same roles in the theme's dark mode (html[data-theme=dark]): light enough on a dark plot.
const DARK = { v: "#6ea8ff", o: "#4cc46a", neg: "#ff6b6b", word: "#9aa0a6", grad: "#f2f2f2",
               t1: "#ffa53d", t2: "#c98bf0", gu: "#9fb1c4" };

function ensureStyle() {
  if (document.getElementById("w2v-explorable-style")) return;
  const vars = (c, prefix) => Object.entries(c).map(([k, v]) => `${prefix}-${k}: ${v};`).join(" ");
  const css = `
.w2v-x { ${vars(COLORS, "--w2v")} --w2v-bg: #fafafa; --w2v-axis: #ddd; --w2v-ink: #222; --w2v-muted: #666; --w2v-border: #ccc;
  --w2v-plot-border: #e2e2e2; --w2v-halo: #fff; --w2v-err-bg: #fff0f0; --w2v-err: #a00;
  font: 13px/1.35 system-ui, sans-serif; color: var(--w2v-ink); border: 1px solid var(--w2v-border); border-radius: 6px;
  padding: 8px; margin: 8px 0; max-width: 100%; box-sizing: border-box; }
html[data-theme=dark] .w2v-x { ${vars(DARK, "--w2v")} --w2v-bg: #16181c; --w2v-axis: #3a3f47; --w2v-ink: #e6e6e6; --w2v-muted: #a9b0b8;
  --w2v-border: #444; --w2v-plot-border: #333; --w2v-halo: #16181c; --w2v-err-bg: #3a1d1d; --w2v-err: #ff9a9a; }
.w2v-x .w2v-title { font-weight: 600; margin-bottom: 4px; }
.w2v-x .w2v-controls { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 6px 14px; align-items: end; margin-bottom: 6px; }
.w2v-x .w2v-controls label { display: flex; flex-direction: column; gap: 1px; font-size: 12px; color: var(--w2v-muted); }
.w2v-x .w2v-controls label .w2v-row { display: flex; align-items: center; gap: 6px; color: var(--w2v-ink); }
.w2v-x .w2v-controls .w2v-buttons { display: flex; flex-wrap: wrap; gap: 6px; grid-column: 1 / -1; }
.w2v-x .w2v-controls .w2v-wide { grid-column: 1 / -1; }
.w2v-x input[type=range] { flex: 1 1 auto; min-width: 90px; }
.w2v-x .w2v-val { font-family: ui-monospace, monospace; min-width: 2.5em; text-align: right; }
.w2v-x input[type=text] { max-width: 100%; box-sizing: border-box; }
.w2v-x button { font: inherit; padding: 2px 10px; border-radius: 4px; border: 1px solid var(--w2v-border); background: var(--w2v-bg); color: var(--w2v-ink); cursor: pointer; }
.w2v-x button:focus-visible, .w2v-x input:focus-visible, .w2v-x .w2v-point:focus-visible { outline: 2px solid var(--w2v-v); outline-offset: 1px; }
.w2v-x .w2v-panels { display: flex; flex-wrap: wrap; gap: 10px; }
.w2v-x .w2v-panel { flex: 1 1 300px; min-width: 0; }
.w2v-x svg { display: block; max-width: 100%; }
.w2v-x svg[data-plane] { background: var(--w2v-bg); border: 1px solid var(--w2v-plot-border); touch-action: none; }
.w2v-x .w2v-point { cursor: grab; }
.w2v-x .w2v-nums { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; }
.w2v-x .w2v-error { color: var(--w2v-err); background: var(--w2v-err-bg); border: 1px solid #e99; padding: 6px; border-radius: 4px; white-space: pre-wrap; }
.w2v-x .w2v-note { color: var(--w2v-muted); font-size: 12px; }
.w2v-x .w2v-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 12px; margin: 4px 0; }
.w2v-x .w2v-legend span.w2v-key { display: inline-flex; align-items: center; gap: 4px; }
.w2v-x .w2v-trace { display: flex; align-items: center; gap: 8px; font-size: 12px; color: var(--w2v-muted); margin-top: 4px; }
.w2v-x .w2v-chip { display: inline-block; padding: 1px 5px; margin: 2px; border-radius: 4px; border: 1px solid var(--w2v-border); cursor: pointer; }
.w2v-x .w2v-chip.centre { background: color-mix(in srgb, var(--w2v-v) 25%, transparent); border-color: var(--w2v-v); }
.w2v-x .w2v-chip.context { background: color-mix(in srgb, var(--w2v-o) 25%, transparent); border-color: var(--w2v-o); }
.w2v-x table { border-collapse: collapse; font-size: 12px; }
.w2v-x td, .w2v-x th { padding: 1px 6px; text-align: right; font-family: ui-monospace, monospace; }`;
  const s = document.createElement("style");
  s.id = "w2v-explorable-style";
  s.textContent = css;
  document.head.appendChild(s);
}
const colorOf = key => `var(--w2v-${key})`;

// A named range slider: the name a student reads above it, the value beside it.
// onInput(value) fires while dragging and on every arrow key.
function slider(parent, label, { min, max, step = 1, value, onInput, name }) {
  const l = htmlEl("label", {}, parent);
  htmlEl("span", { class: "w2v-name" }, l, label);
  const row = htmlEl("span", { class: "w2v-row" }, l);
  const inp = htmlEl("input", { type: "range", min, max, step, "data-name": name || label, "aria-label": label }, row);
  inp.value = value;
  const out = htmlEl("span", { class: "w2v-val" }, row, String(value));
  inp.addEventListener("input", () => { out.textContent = inp.value; onInput(Number(inp.value)); });
  return { input: inp, set(v) { if (String(inp.value) !== String(v)) inp.value = v; out.textContent = String(v); } };
}
function button(parent, label, onClick, name) {
  const b = htmlEl("button", { type: "button", "data-name": name || label }, parent, label);
  b.addEventListener("click", onClick);
  return b;
}

// ---------- the plane: points (some draggable) and arrows, in world coordinates ----------
// The plot takes the width of its panel (the text column, or half of it for two panels),
// from 240 px up; its height is capped so a wide column gives a wide, not a towering, plot.
const PLANE = { minWidth: 240, maxWidth: 900, maxHeight: 460, fallback: 300,
                extents: [1.5, 2, 3, 4.5, 6, 9, 12, 18, 24, 36, 48] };
function planeView(parent, name) {
  // A group, not an image: an image's content is presentational, and the draggable points
  // inside are controls a keyboard must reach (axe: nested-interactive).
  const svg = svgEl("svg", { width: PLANE.fallback, height: PLANE.fallback, "data-plane": name,
                             role: "group", "aria-label": "the vectors and gradients in the plane" }, parent);
  const defs = svgEl("defs", {}, svg);
  for (const key of Object.keys(COLORS)) {
    const m = svgEl("marker", { id: `w2v-head-${key}-${name}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
                                markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    svgEl("path", { d: "M0,0 L10,5 L0,10 z", style: `fill: ${colorOf(key)}` }, m);
  }
  const layer = svgEl("g", {}, svg);
  return { svg, layer, name, extent: 3, w: PLANE.fallback, h: PLANE.fallback };
}
// The plot's size from its container's width (the fallback before the page lays it out).
// The width is read again only after a resize (LAYOUT.generation): reading it after each
// redraw's changes would make the browser lay out the whole page in the middle of a drag.
const LAYOUT = { generation: 0 };
function fitPlane(view) {
  if (view.generation !== LAYOUT.generation || !view.avail) {
    view.avail = view.svg.parentNode ? view.svg.parentNode.clientWidth : 0;
    view.generation = LAYOUT.generation;
  }
  const avail = view.avail;
  const w = avail > 0 ? Math.max(PLANE.minWidth, Math.min(PLANE.maxWidth, Math.floor(avail) - 2)) : PLANE.fallback;
  const h = Math.min(w, PLANE.maxHeight);
  view.w = w; view.h = h;
  view.svg.setAttribute("width", w); view.svg.setAttribute("height", h);
  view.svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
}
// The view zooms out in steps so every point and arrow tip stays visible: extent e is the
// half-height in world units; the half-width is e * w / h.
function extentFor(points, arrows, aspect = 1) {
  let need = 0;
  const fit = q => { if (Number.isFinite(q[0]) && Number.isFinite(q[1])) need = Math.max(need, Math.abs(q[0]) / aspect, Math.abs(q[1])); };
  for (const p of points) fit(p.at);
  for (const a of arrows) { fit(a.from); fit(a.to); }
  return PLANE.extents.find(e => e >= 1.08 * need) || PLANE.extents[PLANE.extents.length - 1];
}
const pxPerUnit = view => view.h / (2 * view.extent);
const toPx = (view, [x, y]) => [view.w / 2 + x * pxPerUnit(view), view.h / 2 - y * pxPerUnit(view)];
const toWorld = (view, px, py) => [(px - view.w / 2) / pxPerUnit(view), -(py - view.h / 2) / pxPerUnit(view)];
const finite2 = q => Array.isArray(q) && Number.isFinite(q[0]) && Number.isFinite(q[1]);

// ---------- labels: placed away from each other, from the points and from the arrows ----------
const LABEL = { font: 12, height: 14, pad: 2 };
const boxesMeet = (a, b, pad = 0) => a.x < b.x + b.w + pad && b.x < a.x + a.w + pad && a.y < b.y + b.h + pad && b.y < a.y + a.h + pad;
function segmentMeetsBox(x1, y1, x2, y2, b) {
  // Liang-Barsky clipping of the segment against the box.
  let t0 = 0, t1 = 1;
  const dx = x2 - x1, dy = y2 - y1;
  for (const [p, q] of [[-dx, x1 - b.x], [dx, b.x + b.w - x1], [-dy, y1 - b.y], [dy, b.y + b.h - y1]]) {
    if (p === 0) { if (q < 0) return false; continue; }
    const t = q / p;
    if (p < 0) { if (t > t1) return false; if (t > t0) t0 = t; }
    else { if (t < t0) return false; if (t < t1) t1 = t; }
  }
  return true;
}
// Candidate spots around an anchor (x, y) at distance r: right, left, above, below, the corners,
// then the same further out. Each is the label's top-left corner.
function labelSpots(x, y, r, w, h) {
  const spots = [];
  for (const k of [1, 1.8, 2.8]) {
    const d = r * k;
    spots.push([x + d, y - h / 2], [x - d - w, y - h / 2], [x - w / 2, y - d - h], [x - w / 2, y + d],
               [x + d * 0.7, y - d * 0.7 - h], [x - d * 0.7 - w, y - d * 0.7 - h],
               [x + d * 0.7, y + d * 0.7], [x - d * 0.7 - w, y + d * 0.7]);
  }
  return spots;
}
// A label's width without asking the page for a layout: the canvas measures the same font.
let measure = null;
function textWidth(text) {
  if (measure === null) {
    try { measure = document.createElement("canvas").getContext("2d"); } catch (e) { measure = false; }
    if (measure) measure.font = `${LABEL.font}px system-ui, sans-serif`;
  }
  const estimate = 0.62 * LABEL.font * text.length;
  return measure ? Math.max(1.08 * measure.measureText(text).width, 0.5 * estimate) : estimate;
}
// labels: [{ text, at: [px, py], r, color, id }] in order of importance. A label with no free
// spot near its anchor is left out (the legend and the numbers still name it).
function placeLabels(view, labels, points, segments) {
  const placed = [];
  const g = svgEl("g", { "data-role": "labels" }, view.layer);
  const bounds = { x: 1, y: 1, w: view.w - 2, h: view.h - 2 };
  for (const L of labels) {
    const t = svgEl("text", { "font-size": LABEL.font, "data-label": L.id, "paint-order": "stroke",
                              style: `fill: ${L.color}; stroke: var(--w2v-halo); stroke-width: 3px` }, g);
    t.textContent = L.text;
    const w = textWidth(L.text) + 3;
    const h = LABEL.height;
    let best = null;
    for (const [x, y] of labelSpots(L.at[0], L.at[1], L.r, w, h)) {
      const box = { x, y, w, h };
      if (x < bounds.x || y < bounds.y || x + w > bounds.x + bounds.w || y + h > bounds.y + bounds.h) continue;
      if (placed.some(b => boxesMeet(b, box, LABEL.pad))) continue;
      let cost = 0;
      for (const p of points) if (boxesMeet(box, { x: p[0] - p[2], y: p[1] - p[2], w: 2 * p[2], h: 2 * p[2] }, 1)) cost += 3;
      for (const sgm of segments) if (segmentMeetsBox(sgm[0], sgm[1], sgm[2], sgm[3], box)) cost += 1;
      if (!best || cost < best.cost) best = { box, cost };
      if (cost === 0) break;
    }
    if (!best) { g.removeChild(t); continue; }
    placed.push(best.box);
    t.setAttribute("x", best.box.x + 1);
    t.setAttribute("y", best.box.y + h - 3.5);
  }
  return placed;
}

// minExtent lets two panels share one scale.
function drawPlane(view, { points, arrows }, minExtent = 0) {
  fitPlane(view);
  // Nothing that is not a finite number reaches an SVG attribute (a half-updated state draws less, never NaN).
  points = points.filter(p => finite2(p.at));
  arrows = arrows.filter(a => finite2(a.from) && finite2(a.to));
  const g = view.layer;
  view.extent = Math.max(extentFor(points, arrows, view.w / view.h), minExtent);
  const e = view.extent;
  view.svg.setAttribute("data-extent", e);
  view.svg.setAttribute("data-scale", pxPerUnit(view));
  // Redrawing replaces the points: remember which one had the keyboard focus.
  const active = document.activeElement;
  const focused = active && g.contains(active) ? active.getAttribute("data-point") : null;
  while (g.firstChild) g.removeChild(g.firstChild);
  const axis = { style: "stroke: var(--w2v-axis)" };
  svgEl("line", Object.assign({ x1: 0, y1: view.h / 2, x2: view.w, y2: view.h / 2 }, axis), g);
  svgEl("line", Object.assign({ x1: view.w / 2, y1: 0, x2: view.w / 2, y2: view.h }, axis), g);
  const labels = [], segments = [], dots = [];
  for (const a of arrows) {
    if (norm(sub(a.to, a.from)) < 1e-9) continue;
    const [x1, y1] = toPx(view, a.from), [x2, y2] = toPx(view, a.to);
    const line = svgEl("line", { x1, y1, x2, y2, "stroke-width": a.width || 2, style: `stroke: ${colorOf(a.color)}`,
                                 "marker-end": `url(#w2v-head-${a.color}-${view.name})`, "data-arrow": a.id }, g);
    if (a.dash) line.setAttribute("stroke-dasharray", "5,3");
    segments.push([x1, y1, x2, y2]);
    if (a.label) labels.push({ id: a.id, text: a.label, at: [x2, y2], r: 8, color: colorOf(a.color), rank: a.rank ?? 2 });
  }
  for (const p of points) {
    const [cx, cy] = toPx(view, p.at), r = p.r || 5;
    dots.push([cx, cy, r + (p.ring ? 4 : 0)]);
    if (p.ring) svgEl("circle", { cx, cy, r: r + 4, fill: "none", style: `stroke: ${colorOf("neg")}`, "stroke-width": 2 }, g);
    const c = svgEl("circle", { cx, cy, r, "fill-opacity": p.faint ? 0.35 : 1, style: `fill: ${colorOf(p.color)}; stroke: var(--w2v-halo)`,
                                "data-point": p.id, class: p.drag ? "w2v-point" : "" }, g);
    if (p.label) labels.push({ id: p.id, text: p.label, at: [cx, cy], r: r + 4, color: "var(--w2v-ink)", rank: p.rank ?? 3 });
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
        const sx = view.w / rect.width, frame = { w: view.w, h: view.h, extent: e };
        const start = toWorld(frame, (ev.clientX - rect.left) * sx, (ev.clientY - rect.top) * sx);
        const origin = p.at;
        const move = m => {  // the scale at the press holds for the whole drag
          const w = toWorld(frame, (m.clientX - rect.left) * sx, (m.clientY - rect.top) * sx);
          p.drag([origin[0] + w[0] - start[0], origin[1] + w[1] - start[1]]);
        };
        const up = () => { window.removeEventListener("pointermove", move); window.removeEventListener("pointerup", up); };
        window.addEventListener("pointermove", move);
        window.addEventListener("pointerup", up);
      });
    }
  }
  // The most important labels claim their spots first (v_c, the gradient, o, the terms, the rest).
  labels.sort((a, b) => a.rank - b.rank);
  placeLabels(view, labels, dots, segments);
}

// A legend under the plot: [{ color, mark: "dot" | "arrow" | "dash" | "ring", text }].
function drawLegend(box, items) {
  box.textContent = "";
  for (const it of items) {
    const key = htmlEl("span", { class: "w2v-key", "data-legend": it.mark + ":" + it.color }, box);
    const svg = svgEl("svg", { width: 22, height: 12, "aria-hidden": "true" }, key);
    const c = colorOf(it.color);
    if (it.mark === "dot" || it.mark === "ring") {
      svgEl("circle", { cx: 11, cy: 6, r: 4, style: it.mark === "ring" ? `fill: none; stroke: ${c}; stroke-width: 2` : `fill: ${c}` }, svg);
    } else {
      const l = svgEl("line", { x1: 1, y1: 6, x2: 18, y2: 6, "stroke-width": 2, style: `stroke: ${c}` }, svg);
      if (it.mark === "dash") l.setAttribute("stroke-dasharray", "4,2");
      svgEl("path", { d: "M16,2 L22,6 L16,10 z", style: `fill: ${c}` }, svg);
    }
    htmlEl("span", {}, key, it.text);
  }
}

// Bars of y_hat (or any non-negative values), the highlighted index in green.
function drawBars(parent, values, { highlight, labels, name, max = 1, caption, width = 300 }) {
  const w = Math.max(200, width), h = 70, n = values.length, bw = w / n;
  if (caption) htmlEl("div", { class: "w2v-note" }, parent, caption);
  const svg = svgEl("svg", { width: w, height: h + 14, viewBox: `0 0 ${w} ${h + 14}`, "data-bars": name }, parent);
  const every = Math.max(1, Math.ceil(28 / bw));   // label every bar there is room for
  values.forEach((v, i) => {
    const bh = Math.max(0, Math.min(1, v / max)) * h;
    svgEl("rect", { x: i * bw + 1, y: h - bh, width: Math.max(1, bw - 2), height: bh,
                    style: `fill: ${i === highlight ? colorOf("o") : colorOf("word")}`, "data-value": v }, svg);
    if (i % every === 0) svgEl("text", { x: i * bw + bw / 2, y: h + 12, "font-size": 10, "text-anchor": "middle",
                                         style: "fill: var(--w2v-ink)" }, svg).textContent = labels[i];
  });
  return svg;
}

// The loss after each gradient step since the last other change: a small line.
function drawTrace(box, losses) {
  box.textContent = "";
  if (losses.length < 2) { box.style.display = "none"; return; }
  box.style.display = "";
  const w = 160, h = 36, lo = Math.min(...losses), hi = Math.max(...losses), span = hi - lo || 1;
  const svg = svgEl("svg", { width: w, height: h, "data-role": "trace-plot", "aria-label": "loss over the gradient steps" }, box);
  const pts = losses.map((L, i) => `${(2 + (i * (w - 4)) / (losses.length - 1)).toFixed(1)},${(2 + ((hi - L) * (h - 4)) / span).toFixed(1)}`);
  svgEl("polyline", { points: pts.join(" "), fill: "none", "stroke-width": 1.5, style: `stroke: ${colorOf("v")}` }, svg);
  htmlEl("span", { "data-role": "trace-text" }, box,
         `loss over ${losses.length - 1} step${losses.length > 2 ? "s" : ""}: ${fmt(losses[0], 3)} → ${fmt(losses[losses.length - 1], 3)}`);
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
  let player = null, stepping = false, traced = null, losses = [];
  const root = htmlEl("div", { class: "w2v-x", "data-kind": spec.kind }, el);
  // Keys pressed in the explorer are the explorer's: JupyterLab's command-mode shortcuts (which
  // Lumino handles on the document, capture phase) skip elements under data-lm-suppress-shortcuts,
  // and nothing above (the classic notebook, the page) sees them bubble. Escape still leaves.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.addEventListener("keydown", ev => { if (ev.key !== "Escape") ev.stopPropagation(); });
  const state = () => { const s = {}; for (const k of spec.keys) s[k] = model.get(k); return s; };
  const api = { live, root };

  function current() {
    const s = state();
    if (live && !noKernel) {
      const r = model.get("result");
      // A result for this revision, drawn only once the state it belongs to has arrived in full.
      return { s, r: r && r.rev === model.get("rev") && (!spec.fits || spec.fits(s, r)) ? r : null };
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
    const loss = r && spec.lossOf ? spec.lossOf(r) : undefined;
    if (r && r !== traced) {
      traced = r;
      if (Number.isFinite(loss) && (stepping || !losses.length)) losses.push(loss);
      if (losses.length > 400) losses = losses.slice(-400);
      stepping = false;
    }
    drawTrace(api.trace, losses);
    api.note.textContent = live && !noKernel ? "computed by the kernel with the functions passed to the explorer"
      : (live ? "no kernel answered: computed in the page with the book's formulas"
              : "computed in the page (JavaScript copy of the book's formulas, checked against NumPy)");
  }
  function later() { if (!pending) { pending = true; Promise.resolve().then(() => { pending = false; redraw(); }); } }

  function send(changes) {
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
  }
  // A change by the reader (not a gradient step) starts the loss trace afresh.
  api.commit = changes => { stopPlaying(); losses = []; stepping = false; send(changes); };
  api.step = () => {
    if (live && !noKernel) { stepping = true; model.send({ event: "step" }); return true; }
    const { s, r } = current();
    const changes = spec.step(s, r);
    if (!changes) return false;
    stepping = true;
    send(changes);
    return true;
  };
  function stopPlaying() {
    if (!player) return;
    clearInterval(player);
    player = null;
    api.playButton.textContent = "▶ play";
    api.playButton.setAttribute("aria-pressed", "false");
  }
  // Play: a gradient step every 150 ms, up to 100 of them, until paused or changed by hand.
  api.play = () => {
    if (player) { stopPlaying(); return; }
    let left = 100;
    api.playButton.textContent = "⏸ pause";
    api.playButton.setAttribute("aria-pressed", "true");
    player = setInterval(() => { if (--left < 0 || !api.step()) stopPlaying(); }, 150);
  };
  api.ui = spec.build(root, api);
  api.trace = htmlEl("div", { class: "w2v-trace", "data-role": "trace" }, root);
  api.note = htmlEl("div", { class: "w2v-note" }, root);
  if (!live) builtNote(model, root);
  if (live) {
    model.on("change:result", () => { const r = model.get("result"); if (r && r.rev === model.get("rev")) noKernel = false; later(); });
    for (const k of spec.keys) model.on("change:" + k, later);
  }
  redraw();
  // The plot follows the width of the column (a window resized, a sidebar opened).
  let width = root.clientWidth, resized = null;
  const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => {
    if (Math.abs(root.clientWidth - width) < 2) return;
    width = root.clientWidth;
    LAYOUT.generation += 1;
    cancelAnimationFrame(resized);
    resized = requestAnimationFrame(redraw);
  });
  if (observer) observer.observe(root);
  registerExplorable({
    kind: spec.kind, el: root, model,
    compute: partial => spec.compute(Object.assign(state(), partial)),
    setState: changes => { api.commit(changes); return lastResult; },
    state, result: () => lastResult, losses: () => losses.slice(),
  });
  return () => { clearTimeout(timer); stopPlaying(); if (observer) observer.disconnect(); };
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
  const legend = htmlEl("div", { class: "w2v-legend", "data-role": "legend" }, box);
  const err = htmlEl("div", { class: "w2v-error", "data-role": "error" }, box);
  const nums = htmlEl("div", { class: "w2v-nums", "data-role": "numbers" }, box);
  const bars = htmlEl("div", {}, box);
  return { box, view, legend, err, nums, bars };
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
  pts.push({ id: "v_c", at: project(P, s.v_c), color: "v", r: 7, label: "v_c", rank: 0,
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
    { id: "grad_v_c", from: v2, to: add(v2, project(P, r.grad_v_c)), color: "grad", width: 2.5, label: "∂J/∂v_c", rank: 0.5 },
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
  drawPlane(pv.view, { points: wordPoints(s, P, api, w => (w === s.o ? { color: "o", label: wordLabel(s, w) + " = o", rank: 1 } : {})),
                       arrows: ok ? naiveArrows(s, r, P, t.terms) : [] }, minExtent);
  drawLegend(pv.legend, [
    { color: "v", mark: "dot", text: "v_c, the centre word" },
    { color: "o", mark: "dot", text: "u_o, the true outside word" },
    { color: "word", mark: "dot", text: "u_w, the other words" },
    { color: "grad", mark: "arrow", text: "∂J/∂v_c, the gradient at v_c" },
    ...t.terms.map((x, k) => ({ color: x.color, mark: "dash", text: `${x.label}: ${k ? "second" : "first"} term of ∂J/∂v_c` })),
    { color: "o", mark: "arrow", text: "∂J/∂u_o, at u_o" },
    { color: "gu", mark: "arrow", text: "∂J/∂u_w, at each other u_w" },
  ]);
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
                              caption: "ŷ_w = softmax(Uᵀv_c)_w, o in green", width: pv.view.w });
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
// In Jupyter: the state the kernel's result belongs to has arrived in full (same d everywhere).
function softmaxFits(s, r) {
  const d = s.v_c.length, ok = p => !p || p.error || (p.grad_v_c.length === d && p.grad_U.length === d && p.grad_U[0].length === s.U[0].length);
  return Array.isArray(s.U) && s.U.length === d && s.U.every(row => row.length === s.U[0].length) && ok(r.naive) && ok(r.neg);
}
function checkSoftmaxState(s) {
  const d = s.v_c.length, n = s.U[0].length;
  if (s.U.length !== d) throw new Error(`U must have shape (d, |V|) with d = len(v_c) = ${d}, got (${s.U.length}, ${n})`);
  if (!(Number.isInteger(s.o) && s.o >= 0 && s.o < n)) throw new Error(`o=${s.o} is out of range: word indices run from 0 to ${n - 1}`);
}
function softmaxControls(ui, api, extra) {
  const c = htmlEl("div", { class: "w2v-controls" }, ui.root);
  ui.vocab = slider(c, "vocabulary size |V|", { min: 2, max: 50, value: 6, name: "vocab_size", onInput: v => api.commit({ vocab_size: v }) });
  ui.dim = slider(c, "dimension d", { min: 2, max: 10, value: 2, name: "dim", onInput: v => api.commit({ dim: v }) });
  ui.o = slider(c, "true outside word o", { min: 0, max: 5, value: 0, name: "o", onInput: v => api.commit({ o: v }) });
  seedAndStepControls(c, ui, api, "take a gradient step", extra);
  return c;
}
// The seed, the step size, the step and play buttons, which every explorer has; `extra`
// adds an explorer's own controls before the buttons.
function seedAndStepControls(c, ui, api, stepLabel, extra) {
  ui.seed = slider(c, "random seed", { min: 0, max: 99, value: 0, name: "seed", onInput: v => api.commit({ seed: v }) });
  ui.eta = slider(c, "step size η", { min: 0.05, max: 2, step: 0.05, value: 0.5, name: "step_size", onInput: v => api.commit({ step_size: v }) });
  if (extra) extra(c);
  const b = htmlEl("div", { class: "w2v-buttons" }, c);
  button(b, stepLabel, () => api.step(), "step");
  api.playButton = button(b, "▶ play", () => api.play(), "play");
  api.playButton.setAttribute("aria-pressed", "false");
  api.playButton.title = "take gradient steps one after another; the loss is traced below";
  ui.buttons = b;
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
