// Skip-gram explorer, part (i): each context word's contribution to dJ/dv_c and their sum. Follows common.js (see derivations/explorers/assets.py).
const SKIP_KEYS = ["seed", "dim", "sentence", "m", "t", "V", "U", "step_size"];

function tokensOf(sentence) {
  const tokens = String(sentence).match(/\S+/g) || [];
  if (tokens.length < 2 || tokens.length > 20) throw new Error(`sentence must hold 2 to 20 words, got ${tokens.length}`);
  return tokens;
}
function vocabularyOf(tokens) { return Array.from(new Set(tokens)); }

function skipTransition(s, changed) {
  const has = k => changed.includes(k);
  let tokens;
  try { tokens = tokensOf(s.sentence); } catch (e) { return s; }
  if ((has("seed") || has("dim") || has("sentence")) && !has("V") && !has("U")) {
    const r = randomCentreAndOutside(s.seed, s.dim, vocabularyOf(tokens).length);
    s.V = r.V; s.U = r.U;
  }
  if (has("V") && s.V.length) s.dim = s.V.length;
  s.t = Math.max(0, Math.min(s.t, tokens.length - 1));
  return s;
}

// eq. (i.1)/(i.3): J = sum_j J(v_c, w_{t+j}, U), summed in window order as derivations.core.skipgram does.
function skipCompute(s) {
  const tokens = tokensOf(s.sentence), vocab = vocabularyOf(tokens);
  const n = vocab.length, d = s.V.length;
  if (!d || s.V[0].length !== n || s.U.length !== d || s.U[0].length !== n)
    throw new Error(`V and U must have shape (d, |V|) = (${d}, ${n})`);
  if (!(Number.isInteger(s.m) && s.m >= 1)) throw new Error(`m (window size) must be an integer >= 1, got ${s.m}`);
  if (!(Number.isInteger(s.t) && s.t >= 0 && s.t < tokens.length)) throw new Error(`t must be a position in the sentence (0..${tokens.length - 1}), got ${s.t}`);
  const ids = tokens.map(w => vocab.indexOf(w)), c = ids[s.t], positions = [];
  for (let j = -s.m; j <= s.m; j++) if (j !== 0 && s.t + j >= 0 && s.t + j < tokens.length) positions.push(s.t + j);
  const outside = positions.map(p => ids[p]);
  const v_c = column(s.V, c);
  let loss = 0, grad = v_c.map(() => 0);
  const contributions = outside.map(o => {
    const r = naiveSoftmaxLossAndGradient(v_c, o, s.U);
    loss += r.loss; grad = add(grad, r.grad_v_c);
    return { loss: r.loss, grad_v_c: r.grad_v_c };
  });
  return { error: null, c, outside, positions, skipgram: { error: null, contributions, loss, grad_v_c: grad } };
}

const skipSpec = {
  kind: "SkipgramExplorer",
  keys: SKIP_KEYS,
  transition: skipTransition,
  compute: skipCompute,
  fits(s, r) {
    const d = s.V.length, p = r.skipgram;
    return d > 0 && s.U.length === d && s.V[0].length === s.U[0].length && (!p || !!p.error || p.grad_v_c.length === d);
  },
  lossOf: r => r.skipgram && r.skipgram.loss,
  step(s, r) {
    const p = r && r.skipgram;
    if (!p || p.error) return null;
    return { V: setColumn(s.V, r.c, gradientStep(column(s.V, r.c), p.grad_v_c, s.step_size)) };
  },
  build(root, api) {
    const ui = { root };
    htmlEl("div", { class: "w2v-title" }, root, "Skip-gram: J = Σ_j J(v_c, w_{t+j}, U) over the window");
    const c = htmlEl("div", { class: "w2v-controls" }, root);
    const l = htmlEl("label", { class: "w2v-wide" }, c);
    htmlEl("span", { class: "w2v-name" }, l, "sentence (2 to 20 words)");
    const row = htmlEl("span", { class: "w2v-row" }, l);
    ui.sentence = htmlEl("input", { type: "text", size: 40, "data-name": "sentence", "aria-label": "sentence", style: "flex: 1 1 auto; min-width: 0" }, row);
    button(row, "use", () => api.commit({ sentence: ui.sentence.value }), "use_sentence");
    ui.m = slider(c, "window size m", { min: 1, max: 4, value: 2, name: "m", onInput: v => api.commit({ m: v }) });
    ui.t = slider(c, "centre position t", { min: 0, max: 8, value: 3, name: "t", onInput: v => api.commit({ t: v }) });
    ui.dim = slider(c, "dimension d", { min: 2, max: 10, value: 2, name: "dim", onInput: v => api.commit({ dim: v }) });
    seedAndStepControls(c, ui, api, "take a gradient step on v_c");
    ui.chips = htmlEl("div", { "data-role": "sentence" }, root);
    ui.proj = htmlEl("div", { class: "w2v-note" }, root);
    const panels = htmlEl("div", { class: "w2v-panels" }, root);
    ui.panel = panelView(panels, "skipgram", "contributions to ∂J/∂v_c, tip to tail, and their sum");
    return ui;
  },
  draw(ui, s, r, api) {
    let tokens = [];
    try { tokens = tokensOf(s.sentence); } catch (e) { /* shown through r.error */ }
    if (document.activeElement !== ui.sentence) ui.sentence.value = s.sentence;
    ui.m.set(s.m); ui.dim.set(s.dim); ui.seed.set(s.seed); ui.eta.set(s.step_size);
    ui.t.input.max = Math.max(0, tokens.length - 1); ui.t.set(s.t);
    ui.proj.textContent = s.dim === 2 ? "drag v_c (the centre word's vector) or the context words' u_w"
      : `d = ${s.dim}: a fixed projection onto a random plane (from the seed)`;
    const pv = ui.panel, p = r && (r.error ? r : r.skipgram), ok = p && !p.error;
    showError(pv, p && p.error);
    ui.chips.textContent = "";
    const positions = (r && r.positions) || [];
    tokens.forEach((w, i) => {
      const cls = i === s.t ? "w2v-chip centre" : positions.includes(i) ? "w2v-chip context" : "w2v-chip";
      const chip = htmlEl("span", { class: cls, "data-position": i }, ui.chips, w);
      chip.addEventListener("click", () => api.commit({ t: i }));
    });
    if (!r || r.error || !tokens.length) { drawPlane(pv.view, { points: [], arrows: [] }); pv.legend.textContent = ""; pv.nums.textContent = r ? "" : "…"; pv.bars.textContent = ""; return; }
    const vocab = vocabularyOf(tokens), P = projection(s.seed, s.V.length), c = r.c;
    const v_c = column(s.V, c), v2 = project(P, v_c);
    const inWindow = new Set(r.outside);
    const points = [];
    vocab.forEach((w, k) => {
      const x = column(s.U, k);
      points.push({ id: "u" + k, at: project(P, x), color: inWindow.has(k) ? "o" : "word", faint: !inWindow.has(k), label: "u_" + w,
                    rank: inWindow.has(k) ? 1 : 3,
                    drag: pos => api.commit({ U: setColumn(s.U, k, dropped(P, x, pos)) }) });
    });
    points.push({ id: "v_c", at: v2, color: "v", r: 7, label: "v_" + vocab[c], rank: 0,
                  drag: pos => api.commit({ V: setColumn(s.V, c, dropped(P, v_c, pos)) }) });
    const arrows = [];
    pv.bars.textContent = "";
    fitPlane(pv.view);   // the bars take the plot's width
    if (ok) {
      let tip = v2;
      p.contributions.forEach((q, j) => {
        const next = add(tip, project(P, q.grad_v_c));
        arrows.push({ id: "contribution" + j, from: tip, to: next, color: j % 2 ? "t2" : "t1", dash: true, label: tokens[r.positions[j]], rank: 1.5 });
        tip = next;
      });
      arrows.push({ id: "grad_v_c", from: v2, to: add(v2, project(P, p.grad_v_c)), color: "grad", width: 2.5, label: "∂J/∂v_c", rank: 0.5 });
      const lines = [`centre "${vocab[c]}" (t = ${s.t}), window m = ${s.m}`];
      p.contributions.forEach((q, j) => lines.push(`  ${tokens[r.positions[j]].padEnd(8)} J_j = ${fmt(q.loss)}  ∂J_j/∂v_c = ${fmtVec(q.grad_v_c)}`));
      lines.push(`  sum      J   = ${fmt(p.loss)}  ∂J/∂v_c   = ${fmtVec(p.grad_v_c)}`);
      let sum = v_c.map(() => 0);
      p.contributions.forEach(q => { sum = add(sum, q.grad_v_c); });
      const off = norm(sub(sum, p.grad_v_c));
      if (off > 1e-6 * (1 + norm(sum))) lines.push(`⚠ the skipgram total differs from the sum of the contributions by ${off.toExponential(2)}`);
      pv.nums.textContent = lines.join("\n");
      pv.nums.dataset.loss = String(p.loss);
      drawBars(pv.bars, p.contributions.map(q => q.loss), { highlight: -1, labels: r.positions.map(i => tokens[i]), name: "losses",
                                                             max: Math.max(...p.contributions.map(q => q.loss), 1e-12),
                                                             caption: "J_j for each context word", width: pv.view.w });
    } else pv.nums.textContent = "";
    drawPlane(pv.view, { points, arrows });
    drawLegend(pv.legend, [
      { color: "v", mark: "dot", text: `v_c, the centre word "${vocab[c]}"` },
      { color: "o", mark: "dot", text: "u_w of the words in the window" },
      { color: "word", mark: "dot", text: "u_w of the other words" },
      { color: "t1", mark: "dash", text: "∂J(v_c, w_{t+j}, U)/∂v_c, one per context word" },
      { color: "t2", mark: "dash", text: "(alternate colour, next word)" },
      { color: "grad", mark: "arrow", text: "∂J/∂v_c, their sum" },
    ]);
  },
};

SPECS[skipSpec.kind] = skipSpec;
