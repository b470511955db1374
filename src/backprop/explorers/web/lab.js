// lab.js: in JupyterLab, an explorer redraws at once, then shows the package.
//
// Only the anywidget module loads this file (host.module_source), never the
// book. A control move there goes to the kernel and back before the state
// changes: 40-70 ms. labFirst(render, compute) wraps the view's render: on
// every move the view draws at once the state the in-page engine computes
// (compute, from engine.js, the same numbers as the book's), then redraws
// with the kernel's state when it answers. The package stays the truth:
// data-state only ever holds the kernel's state; the engine's goes to
// data-page-state (computed from data-page-controls), and tests check that
// the two agree to 1e-9 once the kernel has answered those controls. Redraws
// of either kind count in data-drawn (ui.publish; benchmarks/bench_lab.py).

function labFirst(render, compute) {
  return ({ model, el }) => {
    let local = null; // the engine's state since the last move, until the kernel answers
    const listeners = [];
    const fire = () => {
      for (const cb of listeners) cb();
    };
    // The kernel answers every move; an answer to an older move (its
    // controls differ from the latest) is dropped: the latest one follows.
    const current = (state) => Object.entries(model.get("controls")).every(
      ([k, v]) => !(k in state) || JSON.stringify(state[k]) === JSON.stringify(v));
    const onKernel = () => {
      const state = model.get("state");
      if (local && !current(state)) return;
      local = null;
      fire();
    };
    const view = {
      get: (key) => (key === "state" && local ? local : model.get(key)),
      set: (key, value) => model.set(key, value),
      save_changes() {
        model.save_changes();
        const shown = el.getAttribute("data-state");
        const controls = model.get("controls");
        // What the page computes from: a test waits for the kernel's
        // answer to these controls, not to an older move still in flight.
        el.setAttribute("data-page-controls", JSON.stringify(controls));
        try {
          local = compute(model.get("config"), controls);
        } catch (error) {
          local = null; // the kernel's answer will draw (and say what went wrong)
          el.removeAttribute("data-page-state");
          return;
        }
        fire();
        // The view published the engine's state: keep it apart.
        el.setAttribute("data-page-state", JSON.stringify(local));
        if (shown != null) el.setAttribute("data-state", shown);
      },
      on(event, cb) {
        if (event === "change:state") listeners.push(cb);
        else model.on(event, cb);
      },
      off(event, cb) {
        const i = listeners.indexOf(cb);
        if (i >= 0) listeners.splice(i, 1);
        else model.off(event, cb);
      },
    };
    model.on("change:state", onKernel);
    const cleanup = render({ model: view, el });
    return () => {
      model.off("change:state", onKernel);
      if (typeof cleanup === "function") cleanup();
    };
  };
}
