"""The explorers in the published page: headless Chromium, no kernel, no network.

The page's JavaScript computes everything itself there; these tests drag, slide
and click like a reader, check the drawing and numbers changed accordingly, and
compare the page's values with NumPy (derivations) over hundreds of random states.
Point them at a build with W2V_HTML (see tests/conftest.py).
"""
import numpy as np
import pytest

import derivations as D
from derivations.explorers.rng import random_vectors, sample_negatives

pytestmark = pytest.mark.browser

CHAPTER = "book/explorers.html"
# Relative 1e-9, as the issue asks. The absolute floor (1e-12 of the largest entry)
# only matters for entries that are sums cancelling to ~0, where summation order alone
# (NumPy's BLAS vs a JavaScript loop) changes the last bits.
RTOL = 1e-9


def close(got, expected, what):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    atol = 1e-12 * max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=atol, err_msg=what)


@pytest.fixture
def chapter(page, book_url):
    page.set_viewport_size({"width": 1300, "height": 1000})
    page.goto(f"{book_url}/{CHAPTER}")
    page.wait_for_selector("html[data-w2v-explorables=ready]", timeout=20000)
    return page


def index_of(page, kind):
    return page.evaluate("window.w2vExplorables.map(e => e.kind)").index(kind)


def state(page, i):
    return page.evaluate("i => window.w2vExplorables[i].state()", i)


def result(page, i):
    return page.evaluate("i => window.w2vExplorables[i].result()", i)


def set_states(page, i, states):
    """Set each state through the explorer (as a reader's change would) and return what it showed."""
    return page.evaluate("([i, states]) => states.map(s => window.w2vExplorables[i].setState(s))", [i, states])


def widget(page, kind):
    return page.locator(f".w2v-x[data-kind={kind}]").first


def test_every_explorer_renders_with_nothing_from_the_network(chapter):
    kinds = chapter.evaluate("window.w2vExplorables.map(e => e.kind)")
    assert {"NaiveSoftmaxExplorer", "NegSamplingExplorer", "SkipgramExplorer"} <= set(kinds)
    assert chapter.locator(".w2v-x").count() == len(kinds)
    for kind in ("NaiveSoftmaxExplorer", "NegSamplingExplorer", "SkipgramExplorer"):
        w = widget(chapter, kind)
        assert w.locator("circle[data-point=v_c]").count() >= 1
        assert w.locator("line[data-arrow=grad_v_c]").count() >= 1
    assert not chapter.blocked and not chapter.failed_requests and not chapter.console_errors
    assert chapter.locator("script[src*='cdn'], script[src*='require']").count() == 0
    # Explorers given the book's functions carry no note; the chapter's broken one (last)
    # says what its function reported at build time, and that the page uses the book's formulas.
    assert chapter.locator(".w2v-x").first.locator("[data-role=built-note]").count() == 0
    note = chapter.locator(".w2v-x").nth(len(kinds) - 1).locator("[data-role=built-note]")
    assert "my_naive_softmax" in note.inner_text()
    assert "grad_U of shape (4, 3), expected (3, 4)" in note.inner_text()


def test_dragging_v_c_moves_its_arrow_and_changes_the_numbers(chapter):
    i = index_of(chapter, "NaiveSoftmaxExplorer")
    w = widget(chapter, "NaiveSoftmaxExplorer")
    w.scroll_into_view_if_needed()
    svg = w.locator("svg[data-plane=naive]")
    dot, arrow = svg.locator("circle[data-point=v_c]"), svg.locator("line[data-arrow=grad_v_c]")
    before = state(chapter, i)
    arrow_before = [float(arrow.get_attribute(a)) for a in ("x1", "y1", "x2", "y2")]
    text_before = w.locator("[data-role=numbers]").inner_text()
    per_px = 1 / float(svg.get_attribute("data-scale")) * float(svg.get_attribute("width")) / svg.bounding_box()["width"]
    box = dot.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    chapter.mouse.move(x, y)
    chapter.mouse.down()
    chapter.mouse.move(x + 40, y - 30, steps=6)
    chapter.mouse.up()

    after = state(chapter, i)
    assert after["v_c"][0] == pytest.approx(before["v_c"][0] + 40 * per_px, abs=0.011)
    assert after["v_c"][1] == pytest.approx(before["v_c"][1] + 30 * per_px, abs=0.011)
    assert after["U"] == before["U"]
    # The gradient arrow starts at the new v_c, and points elsewhere.
    k = float(svg.get_attribute("data-scale"))            # px per world unit
    width, height = float(svg.get_attribute("width")), float(svg.get_attribute("height"))
    x1, y1, x2, y2 = (float(arrow.get_attribute(a)) for a in ("x1", "y1", "x2", "y2"))
    assert x1 == pytest.approx(width / 2 + after["v_c"][0] * k)
    assert y1 == pytest.approx(height / 2 - after["v_c"][1] * k)
    assert [x1, y1, x2, y2] != arrow_before
    loss, grad_v_c, _ = D.naive_softmax_loss_and_gradient(np.array(after["v_c"]), after["o"], np.array(after["U"]))
    assert (x2 - x1) == pytest.approx(grad_v_c[0] * k, abs=1e-6)
    assert (y1 - y2) == pytest.approx(grad_v_c[1] * k, abs=1e-6)
    text_after = w.locator("[data-role=numbers]").inner_text()
    assert text_after != text_before and f"{loss:.4f}" in text_after
    close(float(w.locator("[data-role=numbers]").get_attribute("data-loss")), loss, "displayed loss")


def test_points_move_with_the_keyboard_too(chapter):
    i = index_of(chapter, "NaiveSoftmaxExplorer")
    svg = widget(chapter, "NaiveSoftmaxExplorer").locator("svg[data-plane=naive]")
    before, e = state(chapter, i), float(svg.get_attribute("data-extent"))
    svg.locator("circle[data-point=u3]").focus()
    chapter.keyboard.press("ArrowUp")
    chapter.keyboard.press("ArrowUp")        # the focus survives the redraw
    after = state(chapter, i)
    assert after["v_c"] == before["v_c"]
    assert after["U"][1][3] == pytest.approx(before["U"][1][3] + 2 * e / 30, abs=0.011)
    assert after["U"][0][3] == before["U"][0][3]


def test_K_slider_resample_and_hand_set_repeats(chapter):
    i = index_of(chapter, "NegSamplingExplorer")
    w = widget(chapter, "NegSamplingExplorer")
    w.scroll_into_view_if_needed()
    s = state(chapter, i)
    K = s["K"]
    slider = w.locator("input[data-name=K]")
    slider.focus()
    chapter.keyboard.press("ArrowRight")
    chapter.keyboard.press("ArrowRight")
    s = state(chapter, i)
    assert s["K"] == K + 2 and len(s["negatives"]) == K + 2
    assert s["negatives"] == sample_negatives(s["seed"], s["draw"], s["o"], s["vocab_size"], K + 2)
    assert f"K = {K + 2}," in w.locator("[data-panel=neg] [data-role=numbers]").inner_text()
    assert w.locator("[data-bars=sigma_negatives] rect").count() == K + 2
    extents = [w.locator(f"svg[data-plane={p}]").get_attribute("data-extent") for p in ("neg", "naive")]
    assert extents[0] == extents[1]          # side by side on one scale

    w.locator("button[data-name=resample]").click()
    s2 = state(chapter, i)
    assert s2["draw"] == s["draw"] + 1
    assert s2["negatives"] == sample_negatives(s["seed"], s2["draw"], s["o"], s["vocab_size"], K + 2)

    w.locator("input[data-name=negatives]").fill("3 3 3 1")
    w.locator("button[data-name=set_negatives]").click()
    s3 = state(chapter, i)
    assert s3["negatives"] == [3, 3, 3, 1] and s3["K"] == 4
    neg = w.locator("[data-panel=neg]")
    assert "drawn 3×" in neg.locator("[data-role=numbers]").inner_text()
    assert neg.locator("text", has_text="×3 summed").count() == 1   # the accumulated arrow's label
    r = result(chapter, i)["neg"]
    v_c, U = np.array(s3["v_c"]), np.array(s3["U"])
    close(np.array(r["grad_U"])[:, 3], 3 * D.sigmoid(U[:, 3] @ v_c) * v_c, "accumulated gradient of a repeat")

    w.locator("input[data-name=negatives]").fill("2, x")
    w.locator("button[data-name=set_negatives]").click()
    assert '"x" is not a word index' in w.locator("[data-role=negatives-error]").inner_text()
    assert state(chapter, i)["negatives"] == [3, 3, 3, 1]


def test_gradient_step_button(chapter):
    i = index_of(chapter, "NaiveSoftmaxExplorer")
    w = widget(chapter, "NaiveSoftmaxExplorer")
    before, r = state(chapter, i), result(chapter, i)["naive"]
    w.locator("button[data-name=step]").click()
    after = state(chapter, i)
    eta = before["step_size"]
    close(after["v_c"], np.array(before["v_c"]) - eta * np.array(r["grad_v_c"]), "v_c after a step")
    close(after["U"], np.array(before["U"]) - eta * np.array(r["grad_U"]), "U after a step")


def test_seed_and_sizes_redraw_the_same_vectors_as_python(chapter):
    i = index_of(chapter, "NaiveSoftmaxExplorer")
    set_states(chapter, i, [{"seed": 17, "vocab_size": 9, "dim": 3}])
    s = state(chapter, i)
    v_c, U = random_vectors(17, 3, 9)
    assert s["v_c"] == v_c and s["U"] == U
    w = widget(chapter, "NaiveSoftmaxExplorer")
    assert w.locator("svg[data-plane=naive] circle[data-point^=u]").count() == 9
    assert "projection" in w.inner_text()


def test_skipgram_centre_click_and_window(chapter):
    i = index_of(chapter, "SkipgramExplorer")
    w = widget(chapter, "SkipgramExplorer")
    w.scroll_into_view_if_needed()
    w.locator("[data-role=sentence] [data-position='6']").click()
    s, r = state(chapter, i), result(chapter, i)
    assert s["t"] == 6 and r["positions"] == [4, 5, 7, 8]
    assert w.locator(".w2v-chip.context").count() == 4
    assert w.locator("svg[data-plane=skipgram] line[data-arrow^=contribution]").count() == 4
    m = w.locator("input[data-name=m]")
    m.focus()
    chapter.keyboard.press("ArrowLeft")
    assert result(chapter, i)["positions"] == [5, 7]


def random_naive_states(rng, n):
    out = []
    for _ in range(n):
        d, V = int(rng.integers(2, 11)), int(rng.integers(2, 51))
        scale = 10 ** rng.uniform(-1, 1.3)          # scores up to ~1e3: stability matters
        out.append({"v_c": (scale * rng.normal(size=d)).tolist(), "U": rng.normal(size=(d, V)).tolist(),
                    "o": int(rng.integers(V))})
    return out


def test_naive_softmax_page_agrees_with_numpy(chapter):
    i = index_of(chapter, "NaiveSoftmaxExplorer")
    states = random_naive_states(np.random.default_rng(0), 120)
    for s, r in zip(states, set_states(chapter, i, states)):
        p = r["naive"]
        assert r["source"] == "page" and p["error"] is None
        v_c, U = np.array(s["v_c"]), np.array(s["U"])
        loss, grad_v_c, grad_U = D.naive_softmax_loss_and_gradient(v_c, s["o"], U)
        close(p["loss"], loss, "loss")
        close(p["y_hat"], D.softmax(U.T @ v_c), "y_hat")
        close(p["grad_v_c"], grad_v_c, "grad_v_c")
        close(p["grad_U"], grad_U, "grad_U")


def test_neg_sampling_page_agrees_with_numpy(chapter):
    i = index_of(chapter, "NegSamplingExplorer")
    rng = np.random.default_rng(1)
    states = random_naive_states(rng, 120)
    for s in states:       # K in 1..20, repeats and sometimes o itself among them
        s["negatives"] = rng.integers(len(s["U"][0]), size=int(rng.integers(1, 21))).tolist()
    for s, r in zip(states, set_states(chapter, i, states)):
        v_c, U = np.array(s["v_c"]), np.array(s["U"])
        loss, grad_v_c, grad_U = D.neg_sampling_loss_and_gradient(v_c, s["o"], U, s["negatives"])
        p = r["neg"]
        assert p["error"] is None
        close(p["loss"], loss, "neg loss")
        close(p["grad_v_c"], grad_v_c, "neg grad_v_c")
        close(p["grad_U"], grad_U, "neg grad_U")
        assert p["counts"] == np.bincount(s["negatives"], minlength=U.shape[1]).tolist()
        close(r["naive"]["loss"], D.naive_softmax_loss_and_gradient(v_c, s["o"], U)[0], "naive panel loss")


def test_skipgram_page_agrees_with_numpy(chapter):
    i = index_of(chapter, "SkipgramExplorer")
    rng = np.random.default_rng(2)
    pool = ["the", "cat", "sat", "on", "a", "mat", "and", "purred"]
    states = []
    for _ in range(100):
        words = [pool[k] for k in rng.integers(len(pool), size=int(rng.integers(2, 21)))]
        vocab = list(dict.fromkeys(words))
        d = int(rng.integers(2, 11))
        states.append({"sentence": " ".join(words), "V": rng.normal(size=(d, len(vocab))).tolist(),
                       "U": rng.normal(size=(d, len(vocab))).tolist(),
                       "m": int(rng.integers(1, 5)), "t": int(rng.integers(len(words)))})
    for s, r in zip(states, set_states(chapter, i, states)):
        words = s["sentence"].split()
        vocab = list(dict.fromkeys(words))
        c, outside = D.context_window([vocab.index(w) for w in words], s["t"], s["m"])
        assert r["error"] is None and r["c"] == c and r["outside"] == outside
        V, U = np.array(s["V"]), np.array(s["U"])
        loss, grad_V, _ = D.skipgram(c, outside, V, U)
        p = r["skipgram"]
        close(p["loss"], loss, "skip-gram loss")
        close(p["grad_v_c"], grad_V[:, c], "skip-gram dJ/dv_c")
        for q, o in zip(p["contributions"], outside):
            close(q["grad_v_c"], D.naive_softmax_loss_and_gradient(V[:, c], o, U)[1], "one contribution")


MOCK_KERNEL = """([kind, fake]) => {
  // A model that behaves like anywidget's with a kernel behind it: nothing computes in the page.
  const src = window.w2vExplorables.find(e => e.kind === kind);
  const st = Object.assign({}, src.state(), {kind, rev: 0, custom_functions: [],
                           result: {rev: 0, source: "python", error: null, naive: fake}});
  const handlers = {}, saved = [], sent = [];
  const model = {
    get: k => st[k],
    set: (k, v) => { st[k] = v; (handlers["change:" + k] || []).forEach(f => f()); },
    on: (ev, f) => { (handlers[ev] = handlers[ev] || []).push(f); }, off() {},
    save_changes: () => saved.push(JSON.parse(JSON.stringify(st))), send: m => sent.push(m),
  };
  const el = document.createElement("div");
  document.body.appendChild(el);
  window.w2vExplorablesRender({ model, el });
  window.mockKernel = { model, saved, sent, el, index: window.w2vExplorables.length - 1 };
}"""


def arrow_vector(page, selector):
    x1, y1, x2, y2 = page.evaluate(
        f"() => ['x1','y1','x2','y2'].map(a => +window.mockKernel.el.querySelector('{selector}').getAttribute(a))")
    k = float(page.evaluate("() => window.mockKernel.el.querySelector('svg[data-plane]').getAttribute('data-scale')"))
    return np.array([x2 - x1, y1 - y2]) / k


def test_with_a_kernel_the_page_draws_what_the_kernel_computed(chapter):
    """In Jupyter the drawing shows the kernel's result (the reader's functions), never its own."""
    i = index_of(chapter, "NaiveSoftmaxExplorer")
    s = state(chapter, i)
    v_c, U = np.array(s["v_c"]), np.array(s["U"])
    loss, g, gU = D.naive_softmax_loss_and_gradient(v_c, s["o"], U)
    fake = {"error": None, "loss": 2 * loss, "y_hat": D.softmax(U.T @ v_c).tolist(),
            "grad_v_c": (2 * g).tolist(), "grad_U": (2 * gU).tolist()}     # a reader's doubled gradient
    chapter.evaluate(MOCK_KERNEL, ["NaiveSoftmaxExplorer", fake])
    close(arrow_vector(chapter, "line[data-arrow=grad_v_c]"), 2 * g, "the kernel's arrow")
    assert "⚠ this ∂J/∂v_c differs from −u_o + Uŷ" in chapter.evaluate("() => window.mockKernel.el.innerText")

    # A change goes to the kernel with a new revision; the old picture stays until it answers.
    j = chapter.evaluate("() => window.mockKernel.index")
    chapter.evaluate("j => window.w2vExplorables[j].setState({v_c: [0.5, -0.25]})", j)
    saved = chapter.evaluate("() => window.mockKernel.saved")
    assert saved[-1]["rev"] == 1 and saved[-1]["v_c"] == [0.5, -0.25]
    close(arrow_vector(chapter, "line[data-arrow=grad_v_c]"), 2 * g, "stale-free: unchanged while waiting")
    loss1, g1, gU1 = D.naive_softmax_loss_and_gradient(np.array([0.5, -0.25]), s["o"], U)
    answer = {"rev": 1, "source": "python", "error": None,
              "naive": {"error": None, "loss": loss1, "y_hat": D.softmax(U.T @ [0.5, -0.25]).tolist(),
                        "grad_v_c": g1.tolist(), "grad_U": gU1.tolist()}}
    chapter.evaluate("r => window.mockKernel.model.set('result', r)", answer)
    chapter.wait_for_function("() => window.mockKernel.el.querySelector('[data-role=numbers]').dataset.loss == String(%r)" % loss1)
    close(arrow_vector(chapter, "line[data-arrow=grad_v_c]"), g1, "the kernel's new arrow")

    # The step button asks the kernel (which steps with the reader's gradient).
    chapter.evaluate("() => window.mockKernel.el.querySelector('button[data-name=step]').click()")
    assert chapter.evaluate("() => window.mockKernel.sent") == [{"event": "step"}]

    # No answer at all (kernel gone): after a moment the page computes and says so.
    chapter.evaluate("j => window.w2vExplorables[j].setState({v_c: [1.0, 1.0]})", j)
    chapter.wait_for_function("() => window.mockKernel.el.innerText.includes('no kernel answered')", timeout=6000)
    _, g2, _ = D.naive_softmax_loss_and_gradient(np.array([1.0, 1.0]), s["o"], U)
    close(arrow_vector(chapter, "line[data-arrow=grad_v_c]"), g2, "the page's fallback arrow")


# ---- drawings a reader would screenshot: labels, size, names, legend, play; keys; no console error ----

LABEL_BOXES = """([i, states]) => states.map(s => {
  const x = window.w2vExplorables[i];
  x.setState(s);
  return Array.from(x.el.querySelectorAll("svg[data-plane]")).map(svg => ({
    plane: svg.getAttribute("data-plane"), w: +svg.getAttribute("width"), h: +svg.getAttribute("height"),
    nan: svg.outerHTML.includes("NaN"),
    labels: Array.from(svg.querySelectorAll("text")).map(t => {
      const b = t.getBBox();
      return { text: t.textContent, x: b.x, y: b.y, w: b.width, h: b.height };
    }),
  }));
})"""


def overlapping(labels):
    """Pairs of label boxes whose areas intersect."""
    out = []
    for a_i, a in enumerate(labels):
        for b in labels[a_i + 1:]:
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]:
                out.append((a["text"], b["text"]))
    return out


def random_explorer_states(rng, kind, n):
    """States a reader reaches: seeds, sizes, o, K, windows, and vectors dragged anywhere."""
    out = []
    for _ in range(n):
        seed, d = int(rng.integers(100)), int(rng.integers(2, 11))
        if kind == "SkipgramExplorer":
            out.append({"seed": seed, "dim": d, "m": int(rng.integers(1, 5)), "t": int(rng.integers(9))})
            continue
        V = int(rng.integers(2, 13))
        s = {"seed": seed, "dim": d, "vocab_size": V, "o": int(rng.integers(V))}
        if kind == "NegSamplingExplorer":
            s["K"] = int(rng.integers(1, 9))
        if rng.random() < 0.4:      # a dragged v_c (its own U, so the seed does not redraw it)
            s["v_c"] = rng.uniform(-2, 2, size=d).round(2).tolist()
            s["U"] = rng.uniform(-1.5, 1.5, size=(d, V)).round(2).tolist()
        out.append(s)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["NaiveSoftmaxExplorer", "NegSamplingExplorer", "SkipgramExplorer"])
def test_labels_never_overlap_over_50_random_states(chapter, kind):
    i = index_of(chapter, kind)
    states = random_explorer_states(np.random.default_rng(7), kind, 50)
    drawn = chapter.evaluate(LABEL_BOXES, [i, states])
    shown = 0
    for s, planes in zip(states, drawn):
        for plane in planes:
            assert not plane["nan"], (s, plane["plane"])
            assert not overlapping(plane["labels"]), (s, plane["plane"], overlapping(plane["labels"]))
            for b in plane["labels"]:      # inside the plot
                assert -1 <= b["x"] and b["x"] + b["w"] <= plane["w"] + 1, (s, b)
                assert -1 <= b["y"] and b["y"] + b["h"] <= plane["h"] + 1, (s, b)
            texts = [b["text"] for b in plane["labels"]]
            assert "v_c" in texts or any(t.startswith("v_") for t in texts), (s, texts)   # v_c keeps its name
            shown += len(texts)
    assert shown >= 4 * len(states)
    assert not chapter.console_errors


def test_the_starting_state_labels_every_word_and_term(chapter):
    svg = widget(chapter, "NaiveSoftmaxExplorer").locator("svg[data-plane=naive]")
    texts = svg.locator("text").all_text_contents()
    for name in ("v_c", "w0 = o", "w1", "w2", "w3", "w4", "w5", "−u_o", "Uŷ", "∂J/∂v_c"):
        assert name in texts, texts
    boxes = chapter.evaluate(LABEL_BOXES, [index_of(chapter, "NaiveSoftmaxExplorer"), [{}]])[0][0]["labels"]
    assert not overlapping(boxes)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_plot_fills_the_text_column_and_fits_a_phone(page, book_url, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{book_url}/{CHAPTER}")
    page.wait_for_selector("html[data-w2v-explorables=ready]", timeout=20000)
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll('.w2v-x')).map(x => ({
      column: x.parentElement.getBoundingClientRect().width, root: x.getBoundingClientRect(),
      scroll: x.scrollWidth - x.clientWidth,
      panels: Array.from(x.querySelectorAll('.w2v-panel')).map(p => [p.getBoundingClientRect().width,
                                                                     p.querySelector('svg[data-plane]').getBoundingClientRect().width])}))""")
    for x in sizes:
        assert x["root"]["x"] >= 0 and x["root"]["x"] + x["root"]["width"] <= width, x
        assert x["scroll"] <= 0, x          # nothing sticks out sideways
        for panel, plot in x["panels"]:
            assert plot >= panel - 4, x     # each plot spans its panel
    single = sizes[0]                       # one panel: the plot is the column's width
    assert single["panels"][0][1] >= single["column"] - 40
    if width == 1280:
        assert single["panels"][0][1] >= 600
    assert not page.console_errors


def test_every_control_has_a_name_a_student_understands(chapter):
    names = {kind: widget(chapter, kind).locator(".w2v-controls label").all_inner_texts()
             for kind in ("NaiveSoftmaxExplorer", "NegSamplingExplorer", "SkipgramExplorer")}
    text = {kind: " ".join(v) for kind, v in names.items()}
    for name in ("vocabulary size |V|", "dimension d", "true outside word o", "random seed", "step size η"):
        assert name in text["NaiveSoftmaxExplorer"] and name in text["NegSamplingExplorer"]
    assert "number of negatives K" in text["NegSamplingExplorer"]
    for name in ("window size m", "centre position t", "dimension d", "random seed", "sentence"):
        assert name in text["SkipgramExplorer"]
    for kind in names:
        for inp in widget(chapter, kind).locator("input").all():
            assert inp.get_attribute("aria-label"), kind


def test_the_legend_maps_colours_to_the_terms(chapter):
    w = widget(chapter, "NaiveSoftmaxExplorer")
    legend = w.locator("[data-panel=naive] [data-role=legend]")
    text = legend.inner_text()
    for term in ("v_c", "u_o", "∂J/∂v_c", "−u_o", "Uŷ", "∂J/∂u_w"):
        assert term in text, text
    # Each arrow's colour in the plot is one the legend shows for an arrow.
    keys = set(legend.locator("[data-legend]").evaluate_all("els => els.map(e => e.dataset.legend)"))
    styles = w.locator("svg[data-plane=naive] line[data-arrow]").evaluate_all(
        "els => els.map(e => [e.dataset.arrow, e.getAttribute('style'), e.getAttribute('stroke-dasharray')])")
    for arrow, style, dash in styles:
        color = style.split("--w2v-")[1].split(")")[0]
        assert f"{'dash' if dash else 'arrow'}:{color}" in keys, (arrow, style, keys)
    neg = widget(chapter, "NegSamplingExplorer").locator("[data-panel=neg] [data-role=legend]").inner_text()
    assert "u_{w_k}" in neg and "u_k" not in neg.replace("u_{w_k}", "")


def test_play_takes_gradient_steps_and_traces_the_loss(chapter):
    i = index_of(chapter, "NaiveSoftmaxExplorer")
    w = widget(chapter, "NaiveSoftmaxExplorer")
    set_states(chapter, i, [{"seed": 3, "vocab_size": 6, "dim": 2, "step_size": 0.1}])
    start = result(chapter, i)["naive"]["loss"]
    play = w.locator("button[data-name=play]")
    play.click()
    chapter.wait_for_function("i => window.w2vExplorables[i].losses().length >= 8", arg=i, timeout=10000)
    play.click()                                    # pause
    assert play.inner_text().strip() == "▶ play" and play.get_attribute("aria-pressed") == "false"
    losses = chapter.evaluate("i => window.w2vExplorables[i].losses()", i)
    assert losses[0] == pytest.approx(start)
    assert all(b < a for a, b in zip(losses, losses[1:])), losses     # small steps: the loss falls
    chapter.wait_for_timeout(400)
    assert chapter.evaluate("i => window.w2vExplorables[i].losses()", i) == losses   # paused: no more steps
    points = w.locator("[data-role=trace] polyline").get_attribute("points").split()
    assert len(points) == len(losses)
    assert f"over {len(losses) - 1} steps" in w.locator("[data-role=trace]").inner_text()
    # The last step is what the numbers show.
    close(float(w.locator("[data-panel=naive] [data-role=numbers]").get_attribute("data-loss")), losses[-1], "traced loss")
    # A change by hand starts the trace afresh.
    set_states(chapter, i, [{"seed": 4}])
    assert len(chapter.evaluate("i => window.w2vExplorables[i].losses()", i)) == 1
    assert not w.locator("[data-role=trace] polyline").count()


SLIDERS = {"NaiveSoftmaxExplorer": ["vocab_size", "dim", "o", "seed", "step_size"],
           "NegSamplingExplorer": ["vocab_size", "dim", "o", "seed", "step_size", "K"],
           "SkipgramExplorer": ["m", "t", "dim", "seed", "step_size"]}


@pytest.mark.parametrize("kind", sorted(SLIDERS))
def test_every_slider_works_from_the_keyboard_and_keeps_its_keys(chapter, kind):
    i = index_of(chapter, kind)
    w = widget(chapter, kind)
    # What JupyterLab's shortcuts would see: keydowns reaching the document, and the
    # attribute Lumino's command registry honours to leave a widget's keys alone.
    chapter.evaluate("() => { window.keysAbove = []; document.addEventListener('keydown', e => window.keysAbove.push(e.key)); }")
    assert w.get_attribute("data-lm-suppress-shortcuts") == "true"
    for name in SLIDERS[kind]:
        s = state(chapter, i)
        before = s[name]
        slider = w.locator(f"input[data-name={name}]")
        slider.focus()
        up = float(slider.get_attribute("max")) > float(slider.input_value())
        chapter.keyboard.press("ArrowRight" if up else "ArrowLeft")
        after = state(chapter, i)[name]
        assert after != before, name
        assert after == pytest.approx(float(slider.input_value())), name
        assert chapter.evaluate("() => document.activeElement.dataset.name") == name   # focus stays
    assert chapter.evaluate("() => window.keysAbove") == []
    for button in w.locator("button").all():
        assert button.evaluate("b => b.tabIndex") == 0
    assert not chapter.console_errors


def test_changing_d_with_a_kernel_answering_in_pieces_draws_no_nan(chapter):
    """JupyterLab's 58 console errors: the page held a v_c of the new d beside a U of the old one.
    Whatever order the kernel's messages arrive in, the drawing waits for a consistent state."""
    i = index_of(chapter, "NaiveSoftmaxExplorer")
    s = state(chapter, i)
    v_c, U = np.array(s["v_c"]), np.array(s["U"])
    loss, g, gU = D.naive_softmax_loss_and_gradient(v_c, s["o"], U)
    fake = {"error": None, "loss": loss, "y_hat": D.softmax(U.T @ v_c).tolist(),
            "grad_v_c": g.tolist(), "grad_U": gU.tolist()}
    chapter.evaluate(MOCK_KERNEL, ["NaiveSoftmaxExplorer", fake])
    j = chapter.evaluate("() => window.mockKernel.index")
    chapter.evaluate("j => window.w2vExplorables[j].setState({dim: 4})", j)
    v4, U4 = random_vectors(s["seed"], 4, s["vocab_size"])
    l4, g4, gU4 = D.naive_softmax_loss_and_gradient(np.array(v4), s["o"], np.array(U4))
    answer = {"rev": 1, "source": "python", "error": None,
              "naive": {"error": None, "loss": l4, "y_hat": D.softmax(np.array(U4).T @ v4).tolist(),
                        "grad_v_c": g4.tolist(), "grad_U": gU4.tolist()}}
    # The order the kernel sent before it held its sync: result, then v_c, then U.
    for key, value in (("result", answer), ("v_c", v4), ("U", U4)):
        chapter.evaluate("([k, v]) => window.mockKernel.model.set(k, v)", [key, value])
        chapter.evaluate("() => new Promise(r => setTimeout(r, 0))")
        assert "NaN" not in chapter.evaluate("() => window.mockKernel.el.innerHTML"), key
    chapter.wait_for_function("() => window.mockKernel.el.querySelector('[data-role=numbers]').dataset.loss == String(%r)" % l4)
    assert not chapter.console_errors


# ---- in JupyterLab itself, as a student runs the chapter (a copy of it, so nothing is saved over it) ----

def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab (no token, 127.0.0.1 only) on a folder holding a copy of book/explorers.ipynb."""
    import os
    import shutil
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    shutil.copy(root / CHAPTER.replace(".html", ".ipynb"), tmp_path / "explorers.ipynb")
    port = _free_port()
    args = [str(Path(sys.executable).parent / "jupyter"), "lab", str(tmp_path), "--no-browser", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")
    lab = subprocess.Popen(args, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                           env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config")})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/lab", timeout=2)
                break
            except OSError:
                if lab.poll() is not None:
                    pytest.fail(f"jupyter lab exited {lab.returncode}: {(tmp_path / 'lab.log').read_text()}")
                time.sleep(0.5)
        yield url
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.kill()
        log.close()


@pytest.mark.slow
def test_in_jupyterlab_the_sliders_keep_their_keys_and_d_changes_without_console_errors(browser, jupyterlab):
    from tests.conftest import open_page
    context, pg = open_page(browser, viewport={"width": 1280, "height": 1000})
    try:
        pg.goto(f"{jupyterlab}/lab/tree/explorers.ipynb")
        pg.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
        pg.wait_for_function("() => document.body.innerText.includes('| Idle')", timeout=60000)   # the kernel is up
        pg.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        pg.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        pg.wait_for_function("() => document.querySelectorAll('.w2v-x').length >= 4", timeout=90000)
        w = pg.locator(".w2v-x").first
        pg.wait_for_function("() => document.querySelector('.w2v-x [data-role=numbers]').dataset.loss", timeout=30000)
        assert w.get_attribute("data-lm-suppress-shortcuts") == "true"
        cells = pg.locator(".jp-Notebook .jp-Cell").count()
        dim = w.locator("input[data-name=dim]")
        dim.focus()
        active = pg.evaluate("() => document.querySelector('.jp-Notebook .jp-Cell.jp-mod-active').innerText.slice(0, 80)")
        pg.console_errors.clear()
        for _ in range(2):                              # d from 2 to 4, one arrow key at a time
            pg.keyboard.press("ArrowRight")
            pg.wait_for_timeout(300)
        pg.wait_for_function("() => document.querySelector('.w2v-x [data-role=numbers]').innerText.split('\\n')[1].split(',').length == 4",
                             timeout=20000)
        assert dim.input_value() == "4"
        assert pg.evaluate("() => document.activeElement.dataset.name") == "dim"          # the key stayed in the slider
        assert pg.evaluate("() => document.querySelector('.jp-Notebook .jp-Cell.jp-mod-active').innerText.slice(0, 80)") == active
        assert pg.locator(".jp-Notebook .jp-Cell").count() == cells                      # no shortcut ran
        assert "computed by the kernel" in w.inner_text()
        assert "NaN" not in w.inner_html()
        assert not pg.console_errors, pg.console_errors[:5]
    finally:
        context.close()
