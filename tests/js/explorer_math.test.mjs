// The explorers' JavaScript math against NumPy, in Node: no browser, no built book.
//
//   W2V_JS_FIXTURES=fixtures.json node --test tests/js/explorer_math.test.mjs
//
// tests/test_js_twin.py writes the fixtures (tests/js_fixtures.py) and runs this file.
// The JavaScript is derivations/explorers/static/{common,naive_softmax,neg_sampling,skipgram}.js,
// joined in that order as derivations/explorers/assets.py (PARTS) does, run in strict mode
// (as both the ES module and the page script are) in a fresh vm context.
// W2V_JS_STATIC points at another folder holding those four files (the mutation test uses it).
//
// Tolerance (as tests/test_explorables_browser.py): |got - expected| <= rtol*|expected| + atol,
// rtol = 1e-9 and atol = 1e-12 * max(1, max|expected|, scale), where `scale` is the size of the
// inputs a quantity's rounding noise is proportional to (|v_c| for grad_U, |U| for grad_v_c):
// y_hat_o - 1 and 1 - sigma(s) are computed to ~1e-16 absolute in both languages, however
// small they are, and a different summation order (NumPy's pairwise sums and BLAS against a
// JavaScript loop) moves them by that much. The seeded generator is compared bit for bit.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const STATIC = process.env.W2V_JS_STATIC || path.resolve(HERE, "../../derivations/explorers/static");
const PARTS = ["common.js", "naive_softmax.js", "neg_sampling.js", "skipgram.js"];
const NAMES = [
  "mulberry32", "below", "coordinate", "randomVectors", "randomCentreAndOutside", "sampleNegatives",
  "softmax", "logSoftmax", "sigmoid", "logSigmoid", "naiveSoftmaxLossAndGradient",
  "negSamplingLossAndGradient", "naivePanel", "negPanel", "parseIndices", "projection", "project",
  "unproject", "tokensOf", "vocabularyOf", "skipCompute", "naiveSpec", "negSpec", "skipSpec",
];

if (!process.env.W2V_JS_FIXTURES) {
  throw new Error("set W2V_JS_FIXTURES to a fixture file: python -m tests.js_fixtures OUT.json writes one");
}
const FX = JSON.parse(fs.readFileSync(process.env.W2V_JS_FIXTURES, "utf8"));
const RTOL = FX.meta.rtol, FLOOR = FX.meta.floor;

// Top level, the scripts only define functions and constants (the DOM is touched inside
// functions the tests never call), so the context needs no browser stubs.
function load(dir) {
  const source = PARTS.map(name => fs.readFileSync(path.join(dir, name), "utf8")).join("\n");
  const exported = NAMES.map(n => `${n}: typeof ${n} === "undefined" ? undefined : ${n}`).join(", ");
  return vm.runInContext(`"use strict";\n${source}\n;({ ${exported} });`, vm.createContext({}),
                         { filename: path.join(dir, "explorers.js") });
}
const JS = load(STATIC);
// A function the fixtures cover but the scripts no longer define fails its own tests by name.
function fn(name) {
  assert.equal(typeof JS[name], name.endsWith("Spec") ? "object" : "function", `the explorers' JavaScript defines no ${name}`);
  return JS[name];
}

// ---------------------------------------------------------------- comparisons
function flat(x, out = []) {
  if (Array.isArray(x)) for (const y of x) flat(y, out); else out.push(x);
  return out;
}
const maxAbs = a => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
function shapeOf(x) { return Array.isArray(x) ? [x.length, ...(x.length ? shapeOf(x[0]) : [])] : []; }

function close(got, expected, what, scale = 0) {
  assert.deepEqual(shapeOf(got), shapeOf(expected), `${what}: shape`);
  const g = flat(got), e = flat(expected);
  const atol = FLOOR * Math.max(1, maxAbs(e), scale);
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(g[i] - e[i]), tol = RTOL * Math.abs(e[i]) + atol;
    if (typeof g[i] !== "number" || !(err <= tol)) {
      assert.fail(`${what}[${i}]: JavaScript ${g[i]}, NumPy ${e[i]}: |difference| ${err.toExponential(2)} > ${tol.toExponential(2)}`);
    }
  }
}
function sameBits(got, expected, what) {
  assert.deepEqual(shapeOf(got), shapeOf(expected), `${what}: shape`);
  const g = flat(got), e = flat(expected);
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(g[i], e[i])) assert.fail(`${what}[${i}]: JavaScript ${g[i]}, Python ${e[i]} (must be bit-identical)`);
  }
}
// The scripts' Errors come from the vm's realm: `instanceof Error` is false here.
function refuses(call, what) {
  let returned;
  try { returned = call(); } catch (e) { assert.equal(typeof e.message, "string", `${what} threw a non-Error`); return e.message; }
  assert.fail(`${what} accepted what Python refuses, returning ${JSON.stringify(returned)}`);
}
// Arrays of the vm's realm -> this realm's, keeping NaN, Infinity and -0 (JSON would not).
const plain = x => structuredClone(x);
const fmtShape = c => `d=${c.v_c.length}, |V|=${c.U[0].length}, o=${c.o}`;
const todo = c => (c.todo ? { todo: c.todo } : {});

// ---------------------------------------------------------------- the seeded generator
describe("seeded generator: bit-identical to derivations.explorers.rng", () => {
  for (const c of FX.mulberry32) {
    test(`mulberry32(${c.seed}): first ${c.stream.length} uint32 outputs equal Mulberry32(${c.seed}).next()`, () => {
      const next = fn("mulberry32")(c.seed);
      sameBits(c.stream.map(() => next()), c.stream, "mulberry32 stream");
    });
  }
  for (const c of FX.random_vectors) {
    test(`randomVectors(seed=${c.seed}, d=${c.d}, |V|=${c.n}) equals random_vectors bit for bit`, () => {
      const r = fn("randomVectors")(c.seed, c.d, c.n);
      sameBits(r.v_c, c.v_c, "randomVectors v_c");
      sameBits(r.U, c.U, "randomVectors U");
    });
  }
  for (const c of FX.random_centre_and_outside) {
    test(`randomCentreAndOutside(seed=${c.seed}, d=${c.d}, |V|=${c.n}) equals random_centre_and_outside bit for bit`, () => {
      const r = fn("randomCentreAndOutside")(c.seed, c.d, c.n);
      sameBits(r.V, c.V, "randomCentreAndOutside V");
      sameBits(r.U, c.U, "randomCentreAndOutside U");
    });
  }
  for (const c of FX.sample_negatives) {
    test(`sampleNegatives(seed=${c.seed}, draw=${c.draw}, o=${c.o}, |V|=${c.n}, K=${c.K}) equals sample_negatives`, () => {
      const got = plain(fn("sampleNegatives")(c.seed, c.draw, c.o, c.n, c.K));
      assert.deepEqual(got, c.negatives, "sampleNegatives");
      assert.ok(!got.includes(c.o), "sampleNegatives drew o itself");
    });
  }
});

// ---------------------------------------------------------------- elementwise functions
const summary = x => (x.length <= 6 ? `[${x.map(v => String(v)).join(", ")}]`
  : `${x.length} scores in [${Math.min(...x).toPrecision(3)}, ${Math.max(...x).toPrecision(3)}]`);

describe("softmax and logSoftmax: D.softmax and D.log_softmax within rel 1e-9", () => {
  FX.softmax.forEach((c, k) => {
    test(`softmax and logSoftmax #${k} of ${summary(c.x)} match NumPy, finite at extreme scores`, () => {
      const s = plain(fn("softmax")(c.x)), ls = plain(fn("logSoftmax")(c.x));
      assert.ok(s.every(Number.isFinite) && ls.every(Number.isFinite), "softmax/logSoftmax not finite");
      close(s, c.softmax, "softmax");
      close(ls, c.log_softmax, "logSoftmax");
    });
  });
});

describe("sigmoid and logSigmoid: D.sigmoid and D.log_sigmoid within rel 1e-9", () => {
  FX.sigmoid.forEach((c, k) => {
    test(`sigmoid and logSigmoid #${k} of ${summary(c.x)} match NumPy elementwise`, () => {
      const s = c.x.map(fn("sigmoid")), ls = c.x.map(fn("logSigmoid"));
      assert.ok(s.every(Number.isFinite) && ls.every(Number.isFinite), "sigmoid/logSigmoid not finite");
      close(s, c.sigmoid, "sigmoid");
      close(ls, c.log_sigmoid, "logSigmoid");
    });
  });
});

// ---------------------------------------------------------------- the losses
describe("naiveSoftmaxLossAndGradient: D.naive_softmax_loss_and_gradient within rel 1e-9", () => {
  FX.naive.forEach((c, k) => {
    test(`naiveSoftmaxLossAndGradient #${k} (${fmtShape(c)}, ${c.kind}): loss, y_hat, grad_v_c, grad_U match NumPy`, () => {
      const r = plain(fn("naiveSoftmaxLossAndGradient")(c.v_c, c.o, c.U));
      close(r.loss, c.loss, "naiveSoftmaxLossAndGradient loss");
      close(r.y_hat, c.y_hat, "naiveSoftmaxLossAndGradient y_hat");
      close(r.grad_v_c, c.grad_v_c, "naiveSoftmaxLossAndGradient grad_v_c", maxAbs(flat(c.U)));
      close(r.grad_U, c.grad_U, "naiveSoftmaxLossAndGradient grad_U", maxAbs(c.v_c));
    });
  });
});

describe("negSamplingLossAndGradient: D.neg_sampling_loss_and_gradient within rel 1e-9", () => {
  FX.neg.forEach((c, k) => {
    const repeats = (new Set(c.negatives).size < c.negatives.length ? ", repeated negatives" : "") +
      (c.negatives.includes(c.o) ? ", o among the negatives" : "");
    test(`negSamplingLossAndGradient #${k} (${fmtShape(c)}, K=${c.negatives.length}${repeats}, ${c.kind}): loss, grad_v_c, grad_U match NumPy`, () => {
      const r = plain(fn("negSamplingLossAndGradient")(c.v_c, c.o, c.U, c.negatives));
      close(r.loss, c.loss, "negSamplingLossAndGradient loss");
      close(r.grad_v_c, c.grad_v_c, "negSamplingLossAndGradient grad_v_c", maxAbs(flat(c.U)));
      close(r.grad_U, c.grad_U, "negSamplingLossAndGradient grad_U", maxAbs(c.v_c));
      assert.deepEqual(plain(fn("negPanel")(c.v_c, c.o, c.U, c.negatives).counts), c.counts, "negPanel counts");
    });
  });
});

// ---------------------------------------------------------------- skip-gram
describe("skipCompute: one window, as derivations.context_window and D.skipgram", () => {
  FX.skipgram.forEach((c, k) => {
    const name = c.error ? `refuses it as Python does (${c.error})` : "contributions, loss and grad_v_c match NumPy";
    test(`skipCompute #${k} (${c.kind}, m=${c.m}, t=${c.t}): ${name}`, todo(c), () => {
      const s = { sentence: c.sentence, m: c.m, t: c.t, V: c.V, U: c.U };
      if (c.error) {
        refuses(() => fn("skipCompute")(s), "skipCompute");
        return;
      }
      const r = plain(fn("skipCompute")(s));
      assert.equal(r.c, c.c, "skipCompute centre word");
      assert.deepEqual(r.outside, c.outside, "skipCompute outside words");
      assert.deepEqual(r.positions, c.positions, "skipCompute positions");
      const p = r.skipgram, scaleU = maxAbs(flat(c.U));
      assert.equal(p.contributions.length, c.contributions.length, "skipCompute contributions");
      p.contributions.forEach((q, j) => {
        close(q.loss, c.contributions[j].loss, `skipCompute contribution ${j} loss`);
        close(q.grad_v_c, c.contributions[j].grad_v_c, `skipCompute contribution ${j} grad_v_c`, scaleU);
      });
      close(p.loss, c.loss, "skipCompute loss");
      close(p.grad_v_c, c.grad_v_c, "skipCompute grad_v_c", scaleU * c.contributions.length);
    });
  });
});

describe("tokensOf: splits a sentence as the Python explorer's tokens_of", () => {
  FX.tokens.forEach((c, k) => {
    test(`tokensOf #${k} ${JSON.stringify(c.sentence).slice(0, 40)}: ${c.tokens ? c.tokens.length + " tokens" : "refused"} as in Python`, todo(c), () => {
      if (c.tokens === null) refuses(() => fn("tokensOf")(c.sentence), "tokensOf");
      else assert.deepEqual(plain(fn("tokensOf")(c.sentence)), c.tokens, "tokensOf");
    });
  });
});

// ---------------------------------------------------------------- the negatives box
describe("parseIndices: accepts and refuses what tests/js_fixtures.parse_indices_reference does", () => {
  FX.parse_indices.forEach((c, k) => {
    const verdict = c.expected ? `accepted as [${c.expected.join(", ")}]` : "refused";
    test(`parseIndices #${k} ${JSON.stringify(c.text).slice(0, 40)} with |V|=${c.n}: ${verdict}`, todo(c), () => {
      if (c.expected === null) refuses(() => fn("parseIndices")(c.text, c.n), "parseIndices");
      else assert.deepEqual(plain(fn("parseIndices")(c.text, c.n)), c.expected, "parseIndices");
    });
  });
});

// ---------------------------------------------------------------- the 2-D view
describe("projection, project, unproject: the page's fixed plane", () => {
  for (const c of FX.projection) {
    test(`projection(seed=${c.seed}, d=${c.d}) is the stated orthonormal pair; project(unproject(x, delta)) moves by delta`, () => {
      const P = plain(fn("projection")(c.seed, c.d));
      close(P, c.P, "projection", 1);
      const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
      close([dot(P[0], P[0]), dot(P[1], P[1]), dot(P[0], P[1])], [1, 1, 0], "projection orthonormality");
      const before = fn("project")(P, c.x), after = fn("project")(P, fn("unproject")(P, c.x, c.delta));
      close([after[0] - before[0], after[1] - before[1]], c.delta, "project after unproject", maxAbs(c.x));
    });
  }
});

// ---------------------------------------------------------------- the explorers, end to end
// The page's spec (transition, compute, step) from the same starting values as the Python
// explorer: same draw, same negatives, same result, same state after a gradient step.
function closePanel(got, expected, what, s) {
  assert.equal(got.error, null, `${what}: the page reports an error: ${got.error}`);
  assert.equal(expected.error, null, `${what}: Python reports an error: ${expected.error}`);
  close(got.loss, expected.loss, `${what} loss`);
  if (expected.y_hat) close(got.y_hat, expected.y_hat, `${what} y_hat`);
  close(got.grad_v_c, expected.grad_v_c, `${what} grad_v_c`, maxAbs(flat(s.U)));
  close(got.grad_U, expected.grad_U, `${what} grad_U`, maxAbs(s.v_c));
  if (expected.counts) assert.deepEqual(got.counts, expected.counts, `${what} counts`);
}
function stepped(spec, s, r) {
  const changes = spec.step(s, r);
  assert.ok(changes, "spec.step made no change");
  return plain(spec.transition(Object.assign({}, s, changes), Object.keys(changes)));
}

describe("naiveSpec (NaiveSoftmaxExplorer in the page): draw, compute, step as in Python", () => {
  FX.explorer_naive.forEach((c, k) => {
    const i = c.init;
    test(`naiveSpec #${k} (seed=${i.seed}, d=${i.dim}, |V|=${i.vocab_size}, o=${i.o}): naiveSoftmaxLossAndGradient panel and step match the Python explorer`, () => {
      const spec = fn("naiveSpec");
      const s = plain(spec.transition(Object.assign({}, i, { step_size: c.state.step_size, words: [], v_c: [], U: [] }),
                                      ["seed", "dim", "vocab_size"]));
      sameBits(s.v_c, c.state.v_c, "naiveSpec.transition v_c");
      sameBits(s.U, c.state.U, "naiveSpec.transition U");
      assert.equal(s.o, c.state.o, "naiveSpec.transition o");
      const r = plain(spec.compute(s));
      closePanel(r.naive, c.result, "naiveSpec.compute naive", s);
      const s2 = stepped(spec, s, r);
      close(s2.v_c, c.after_step.v_c, "naiveSpec.step v_c", maxAbs(s.v_c));
      close(s2.U, c.after_step.U, "naiveSpec.step U", maxAbs(flat(s.U)));
      closePanel(plain(spec.compute(s2)).naive, c.result_after_step, "naiveSpec.compute after a step", s2);
    });
  });
});

describe("negSpec (NegSamplingExplorer in the page): draw, resample, set negatives, compute, step as in Python", () => {
  FX.explorer_neg.forEach((c, k) => {
    const i = c.init;
    test(`negSpec #${k} (seed=${i.seed}, d=${i.dim}, |V|=${i.vocab_size}, o=${i.o}, K=${i.K}, ${c.resamples} resamples): sampleNegatives and the negSamplingLossAndGradient panel match the Python explorer`, () => {
      const spec = fn("negSpec");
      let s = plain(spec.transition(Object.assign({}, i, { step_size: c.state.step_size, words: [], v_c: [], U: [], draw: 0, negatives: [] }),
                                    ["seed", "dim", "vocab_size"]));
      for (let j = 0; j < c.resamples; j++) s = plain(spec.transition(Object.assign(s, { draw: s.draw + 1 }), ["draw"]));
      sameBits(s.v_c, c.state.v_c, "negSpec.transition v_c");
      sameBits(s.U, c.state.U, "negSpec.transition U");
      assert.deepEqual(s.negatives, c.state.negatives, "negSpec.transition negatives (sampleNegatives)");
      assert.equal(s.K, c.state.K, "negSpec.transition K");
      const r = plain(spec.compute(s));
      closePanel(r.neg, c.result.neg, "negSpec.compute neg", s);
      closePanel(r.naive, c.result.naive, "negSpec.compute naive", s);
      s = plain(spec.transition(Object.assign(s, { negatives: c.by_hand.negatives }), ["negatives"]));
      assert.equal(s.K, c.by_hand.K, "negSpec.transition: K follows negatives set by hand");
      const r2 = plain(spec.compute(s));
      closePanel(r2.neg, c.by_hand.result.neg, "negSpec.compute with negatives set by hand", s);
      const s2 = stepped(spec, s, r2);
      close(s2.v_c, c.after_step.v_c, "negSpec.step v_c", maxAbs(s.v_c));
      close(s2.U, c.after_step.U, "negSpec.step U", maxAbs(flat(s.U)));
      assert.deepEqual(s2.negatives, c.by_hand.negatives, "negSpec.step kept the negatives");
      closePanel(plain(spec.compute(s2)).neg, c.after_step.result.neg, "negSpec.compute after a step", s2);
    });
  });
});

describe("skipSpec (SkipgramExplorer in the page): draw, compute, step as in Python", () => {
  FX.explorer_skipgram.forEach((c, k) => {
    const i = c.init;
    test(`skipSpec #${k} (seed=${i.seed}, d=${i.dim}, m=${i.m}, t=${i.t}, ${i.sentence.split(" ").length} words): randomCentreAndOutside and skipCompute match the Python explorer`, () => {
      const spec = fn("skipSpec");
      const s = plain(spec.transition(Object.assign({}, i, { V: [], U: [] }), ["seed", "dim", "sentence"]));
      sameBits(s.V, c.state.V, "skipSpec.transition V");
      sameBits(s.U, c.state.U, "skipSpec.transition U");
      assert.equal(s.t, c.state.t, "skipSpec.transition t (clamped to the sentence)");
      const r = plain(spec.compute(s)), e = c.result;
      assert.equal(r.c, e.c, "skipCompute c");
      assert.deepEqual(r.outside, e.outside, "skipCompute outside");
      assert.deepEqual(r.positions, e.positions, "skipCompute positions");
      const scaleU = maxAbs(flat(s.U));
      close(r.skipgram.loss, e.skipgram.loss, "skipCompute loss");
      close(r.skipgram.grad_v_c, e.skipgram.grad_v_c, "skipCompute grad_v_c", scaleU * e.outside.length);
      r.skipgram.contributions.forEach((q, j) => {
        close(q.loss, e.skipgram.contributions[j].loss, `skipCompute contribution ${j} loss`);
        close(q.grad_v_c, e.skipgram.contributions[j].grad_v_c, `skipCompute contribution ${j} grad_v_c`, scaleU);
      });
      const s2 = stepped(spec, s, r);
      close(s2.V, c.after_step.V, "skipSpec.step V", maxAbs(flat(s.V)));
      const r2 = plain(spec.compute(s2));
      close(r2.skipgram.loss, c.after_step.result.skipgram.loss, "skipCompute loss after a step");
      close(r2.skipgram.grad_v_c, c.after_step.result.skipgram.grad_v_c, "skipCompute grad_v_c after a step", scaleU * e.outside.length);
    });
  });
});
