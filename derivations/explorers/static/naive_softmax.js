// Naive softmax explorer, parts (b) and (c). Follows common.js (see derivations/explorers/assets.py).
const NAIVE_KEYS = ["seed", "dim", "vocab_size", "o", "v_c", "U", "step_size", "words"];

const naiveSpec = {
  kind: "NaiveSoftmaxExplorer",
  keys: NAIVE_KEYS,
  transition: softmaxTransition,
  compute(s) {
    checkSoftmaxState(s);
    return { error: null, naive: naivePanel(s.v_c, s.o, s.U) };
  },
  step: softmaxStep("naive"),
  fits: softmaxFits,
  lossOf: r => r.naive && r.naive.loss,
  build(root, api) {
    const ui = { root };
    htmlEl("div", { class: "w2v-title" }, root, "Naive softmax: J = −log ŷ_o with ŷ = softmax(Uᵀv_c)");
    softmaxControls(ui, api);
    ui.proj = htmlEl("div", { class: "w2v-note" }, root);
    const panels = htmlEl("div", { class: "w2v-panels" }, root);
    ui.naive = panelView(panels, "naive", "naive softmax");
    return ui;
  },
  draw(ui, s, r, api) {
    syncSoftmaxControls(ui, s);
    projectionNote(ui, s);
    const P = projection(s.seed, s.v_c.length);
    drawNaivePanel(ui.naive, s, r && (r.error ? r : r.naive), api, P);
  },
};

SPECS[naiveSpec.kind] = naiveSpec;
