// Negative sampling explorer, parts (g) and (h), beside naive softmax. Follows common.js (see derivations/explorers/assets.py).
const NEG_KEYS = ["seed", "dim", "vocab_size", "o", "v_c", "U", "step_size", "words", "K", "draw", "negatives"];

function negTransition(s, changed) {
  const has = k => changed.includes(k);
  const regenerate = (has("seed") || has("dim") || has("vocab_size")) && !has("U");
  if (has("negatives")) s.K = s.negatives.length;                // set by hand: K follows
  else if (regenerate || has("K") || has("draw"))                  // as NegSamplingExplorer.resample
    s.negatives = sampleNegatives(s.seed, s.draw, Math.min(s.o, s.vocab_size - 1), s.vocab_size, s.K);
  return softmaxTransition(s, changed);
}

// The two terms of dJ/dv_c (eq. (g.3)) and, for a word drawn k times, dJ/du (part (h)).
function negTerms(s, r) {
  // ### BEGIN SOLUTION
  const u_o = column(s.U, s.o);
  let t2 = s.v_c.map(() => 0);
  for (const w of s.negatives) { const u = column(s.U, w); t2 = add(t2, scale(u, sigmoid(dot(u, s.v_c)))); }
  return { terms: [{ id: "term_observed", vec: scale(u_o, -sigmoid(-dot(u_o, s.v_c))), color: "t1",
                     label: "−σ(−u_oᵀv_c)u_o", note: "(orange, dashed; σ(−z) = 1 − σ(z))" },
                   { id: "term_negatives", vec: t2, color: "t2", label: "Σ_k σ(u_{w_k}ᵀv_c)u_{w_k}", note: "(purple, dashed)" }],
           repeated: k => `∂J/∂u_w = ${k}·σ(u_wᵀv_c)v_c` };
  // ### END SOLUTION
}
// The terms tip to tail (when negTerms is written), then the gradient.
function negArrows(s, r, P, terms) {
  const v2 = project(P, s.v_c);
  const arrows = termArrows(v2, terms.map(t => Object.assign({}, t, { label: "" })), P).concat([
    { id: "grad_v_c", from: v2, to: add(v2, project(P, r.grad_v_c)), color: "grad", width: 2.5, label: "∂J/∂v_c", rank: 0.5 },
  ]);
  const shown = new Set([s.o, ...s.negatives]);
  for (const w of shown) {
    const at = project(P, column(s.U, w));
    arrows.push({ id: "grad_u" + w, from: at, to: add(at, project(P, column(r.grad_U, w))), color: w === s.o ? "o" : "neg",
                  width: r.counts[w] > 1 ? 3 : 1.5, label: r.counts[w] > 1 ? `×${r.counts[w]} summed` : "", rank: 1.2 });
  }
  return arrows;
}

function drawNegPanel(pv, s, r, api, P, minExtent = 0) {
  const ok = r && !r.error;
  showError(pv, r && r.error);
  const counts = ok ? r.counts : new Array(s.U[0].length).fill(0);
  if (!ok) s.negatives.forEach(w => { if (w < counts.length) counts[w] += 1; });
  const style = w => {
    if (w === s.o) return { color: "o", label: wordLabel(s, w) + " = o" + (counts[w] ? ` (also drawn ×${counts[w]})` : ""), ring: counts[w] > 0, rank: 1 };
    if (counts[w] > 1) return { color: "neg", ring: true, label: `${wordLabel(s, w)} ×${counts[w]}`, rank: 2 };
    if (counts[w] === 1) return { color: "neg", label: wordLabel(s, w), rank: 2 };
    return { faint: true };
  };
  const t = ok ? termsOf(negTerms, s, r) : { terms: [] };
  drawPlane(pv.view, { points: wordPoints(s, P, api, style), arrows: ok ? negArrows(s, r, P, t.terms) : [] }, minExtent);
  drawLegend(pv.legend, [
    { color: "v", mark: "dot", text: "v_c" },
    { color: "o", mark: "dot", text: "u_o, the true outside word" },
    { color: "neg", mark: "dot", text: "u_{w_k}, the K negatives" },
    { color: "neg", mark: "ring", text: "a negative drawn more than once" },
    { color: "grad", mark: "arrow", text: "∂J/∂v_c" },
    ...(t.terms || []).map((x, k) => ({ color: x.color, mark: "dash", text: `${x.label}: ${k ? "second" : "first"} term` })),
    { color: "o", mark: "arrow", text: "∂J/∂u_o" },
    { color: "neg", mark: "arrow", text: "∂J/∂u_{w_k} (summed over repeats)" },
  ]);
  pv.bars.textContent = "";
  if (!ok) { pv.nums.textContent = r ? "" : "…"; return pv.view.extent; }
  const lines = [`J = −log σ(u_oᵀv_c) − Σ_k log σ(−u_{w_k}ᵀv_c) = ${fmt(r.loss)}`,
                 `K = ${s.K}, negatives = [${s.negatives.map(w => wordLabel(s, w)).join(", ")}]`,
                 `σ(u_oᵀv_c) = ${fmt(sigmoid(dot(column(s.U, s.o), s.v_c)))}`,
                 `∂J/∂v_c = ${fmtVec(r.grad_v_c)}`].concat(termLines(t.terms));
  counts.forEach((k, w) => {
    if (k > 1) lines.push(`${wordLabel(s, w)} drawn ${k}×: ${t.repeated ? t.repeated(k) : "∂J/∂u_w"} = ${fmtVec(column(r.grad_U, w))} (accumulated)`);
  });
  pv.nums.textContent = lines.join("\n");
  pv.nums.dataset.loss = String(r.loss);
  // sigma(u_k.v_c) per drawn sample: how hard each negative pushes.
  drawBars(pv.bars, s.negatives.map(w => sigmoid(dot(column(s.U, w), s.v_c))),
           { highlight: -1, labels: s.negatives.map(w => wordLabel(s, w)), name: "sigma_negatives",
             caption: "σ(u_{w_k}ᵀv_c) for each drawn negative: how hard it pushes v_c away", width: pv.view.w });
  return pv.view.extent;
}

const negSpec = {
  kind: "NegSamplingExplorer",
  keys: NEG_KEYS,
  transition: negTransition,
  compute(s) {
    checkSoftmaxState(s);
    const n = s.U[0].length;
    let neg;
    if (!s.negatives.length) neg = { error: "negatives must hold at least one word index (K >= 1), got none" };
    else {
      const bad = s.negatives.findIndex(w => !(Number.isInteger(w) && w >= 0 && w < n));
      neg = bad >= 0 ? { error: `negatives[${bad}]=${s.negatives[bad]} is out of range: word indices run from 0 to ${n - 1}` }
        : negPanel(s.v_c, s.o, s.U, s.negatives);
    }
    return { error: null, neg, naive: naivePanel(s.v_c, s.o, s.U) };
  },
  step: softmaxStep("neg"),
  fits: softmaxFits,
  lossOf: r => r.neg && r.neg.loss,
  build(root, api) {
    const ui = { root };
    htmlEl("div", { class: "w2v-title" }, root, "Negative sampling beside naive softmax (same v_c, U and o)");
    softmaxControls(ui, api, c => {
      ui.K = slider(c, "number of negatives K", { min: 1, max: 20, value: 4, name: "K", onInput: v => api.commit({ K: v }) });
      const l = htmlEl("label", {}, c);
      htmlEl("span", { class: "w2v-name" }, l, "negatives (word indices, repeats allowed)");
      const row = htmlEl("span", { class: "w2v-row" }, l);
      ui.negText = htmlEl("input", { type: "text", size: 12, "data-name": "negatives", placeholder: "e.g. 2 2 5",
                                     "aria-label": "negatives: word indices separated by spaces" }, row);
      button(row, "set", () => {
        try { ui.negError.textContent = ""; api.commit({ negatives: parseIndices(ui.negText.value, ui.vocabSize) }); }
        catch (e) { ui.negError.textContent = e.message; ui.negError.style.display = ""; }
      }, "set_negatives");
      ui.negError = htmlEl("span", { class: "w2v-error w2v-wide", "data-role": "negatives-error", style: "padding:1px 4px" }, c);
    });
    button(ui.buttons, "draw new negatives", () => api.commit({ draw: ui.drawCount + 1 }), "resample");
    ui.proj = htmlEl("div", { class: "w2v-note" }, root);
    const panels = htmlEl("div", { class: "w2v-panels" }, root);
    ui.neg = panelView(panels, "neg", "negative sampling");
    ui.naive = panelView(panels, "naive", "naive softmax");
    return ui;
  },
  draw(ui, s, r, api) {
    syncSoftmaxControls(ui, s);
    ui.K.set(s.K);
    ui.drawCount = s.draw;
    ui.vocabSize = s.vocab_size;
    if (document.activeElement !== ui.negText) ui.negText.value = s.negatives.join(" ");
    if (!ui.negError.textContent) ui.negError.style.display = "none"; else ui.negError.style.display = "";
    projectionNote(ui, s);
    const P = projection(s.seed, s.v_c.length);
    // Both panels on one scale, so their arrows compare by length.
    const e = drawNegPanel(ui.neg, s, r && (r.error ? r : r.neg), api, P);
    if (drawNaivePanel(ui.naive, s, r && (r.error ? r : r.naive), api, P, e) > e)
      drawNegPanel(ui.neg, s, r && (r.error ? r : r.neg), api, P, ui.naive.view.extent);
  },
};

SPECS[negSpec.kind] = negSpec;
