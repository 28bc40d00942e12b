// Typesets the book's TeX as SVG when the book is built, so a page needs no MathJax,
// no fonts and no script to show its math. Called by w2v_math.py:
//
//   node math_svg.js <node_modules folder>  < {"pages": [[[tex, display], ...], ...]}
//   -> {"css": "...", "pages": [{"math": [html, ...], "errors": [msg|null, ...], "defs": "<svg ...>"}]}
//
// Each page gets its own glyph cache ("defs", one hidden <svg> the page's equations point into
// with <use>), so a glyph's path is written once per page however often it is drawn. Each
// equation keeps hidden MathML beside its picture for screen readers, as MathJax does in a page.
"use strict";
const path = require("path");
const modules = path.resolve(process.argv[2]);
const load = (name) => require(path.join(modules, "mathjax-full", "js", name));

const {mathjax} = load("mathjax.js");
const {TeX} = load("input/tex.js");
const {SVG} = load("output/svg.js");
const {liteAdaptor} = load("adaptors/liteAdaptor.js");
const {RegisterHTMLHandler} = load("handlers/html.js");
const {AssistiveMmlHandler} = load("a11y/assistive-mml.js");
const {AllPackages} = load("input/tex/AllPackages.js");

// The packages MathJax's browser build would autoload, less those that change what a TeX error
// does: with noerrors/noundefined a typo would be drawn (in red) instead of failing the build.
const SKIP = new Set(["noerrors", "noundefined", "autoload", "require", "setoptions",
                      "physics", "bussproofs", "colorv2"]);
const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
const tex = new TeX({packages: AllPackages.filter((name) => !SKIP.has(name))});
const svg = new SVG({fontCache: "global"});
const html = mathjax.document("", {InputJax: tex, OutputJax: svg});

function typeset(source, display) {
  const node = html.convert(source, {display});
  const markup = adaptor.outerHTML(node);
  // A TeX error is drawn as an merror node carrying its message: report it instead.
  const error = markup.match(/data-mjx-error="([^"]*)"/);
  return {html: markup, error: error ? error[1] : null};
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const pages = JSON.parse(input).pages.map((items) => {
    svg.fontCache.clearCache();
    const math = [], errors = [];
    for (const [source, display] of items) {
      const out = typeset(source, display);
      math.push(out.html);
      errors.push(out.error);
    }
    const defs = items.length ? adaptor.outerHTML(svg.pageElements(html)) : "";
    return {math, errors, defs};
  });
  const css = adaptor.textContent(svg.styleSheet(html));
  process.stdout.write(JSON.stringify({css, pages}));
});
