// The published page (no kernel, no widget manager): render every explorer from the widget
// state myst-nb embeds, one application/vnd.jupyter.widget-state+json script per page and a
// widget-view script where each widget was displayed. Only the state is taken from the page:
// the code is this script, written by the same build, so it is never a stale copy.
function PageModel(state) { this.state = Object.assign({}, state); this.w2vStatic = true; }
PageModel.prototype.get = function (key) { return this.state[key]; };
PageModel.prototype.set = function (key, value) { this.state[key] = value; };
PageModel.prototype.on = function () {};
PageModel.prototype.off = function () {};
PageModel.prototype.save_changes = function () {};
PageModel.prototype.send = function () {};

function startPage() {
  const stateScript = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  if (stateScript) {
    const models = (JSON.parse(stateScript.textContent) || {}).state || {};
    for (const view of document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')) {
      const entry = models[JSON.parse(view.textContent).model_id];
      const state = entry && entry.state;
      if (!state || !SPECS[state.kind] || typeof state._esm !== "string" || !state._esm.includes("w2v-explorable")) continue;
      const el = document.createElement("div");
      el.className = "w2v-explorable-host";
      view.parentNode.insertBefore(el, view);
      try { renderExplorer({ model: new PageModel(state), el }); }
      catch (err) { el.textContent = "This explorer could not start: " + err; console.error(err); }
    }
  }
  document.documentElement.setAttribute("data-w2v-explorables", "ready");
}
// For tests/test_explorables_browser.py: render an explorer on a model made in the test.
window.w2vExplorablesRender = renderExplorer;
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startPage);
else startPage();
