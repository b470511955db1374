// nudge.js: the nudge explorer (chapter 2). Python twin:
// backprop/explorers/nudge.py (nudge and state).

// The state the view shows: mirrors nudge.nudge and nudge.state.
function compute(config, controls) {
  const [l, j, k] = controls.weight.split(",").map(Number); // j, k count from 0
  const { w0, dw } = controls;
  const net = {
    sizes: config.sizes, hidden: config.hidden, output: config.output, loss: config.loss,
    weights: config.weights.map(mat.copy), biases: config.biases.map(mat.copy),
  };
  const W = net.weights[l - 1], X = config.X, Y = config.Y;
  const costAt = (v) => { W[j][k] = v; return network.loss(net, X, Y); };
  const [lo, hi] = config.dw_range;
  const half = 1.1 * Math.max(hi, -lo, Math.abs(dw)); // a margin beyond the largest nudge
  const ws = mat.linspace(-half, half, config.n_curve).map((v) => w0 + v);
  const Cs = ws.map(costAt);
  const C1 = costAt(w0 + dw);
  const C0 = costAt(w0);
  const { dWs, dbs } = network.gradients(net, X, Y); // backprop at w₀
  const slope = dWs[l - 1][j][k];
  let bar = Math.max(Math.abs(slope) * hi, Math.abs(C1 - C0), Math.abs(slope * dw));
  ws.forEach((v, i) => {
    if (v >= w0 + lo - 1e-12 && v <= w0 + hi + 1e-12) bar = Math.max(bar, Math.abs(Cs[i] - C0));
  });
  const label = `w${ui.sup(l)}${ui.sub(j + 1)}${Math.max(j, k) >= 9 ? "," : ""}${ui.sub(k + 1)}`;
  return {
    weight: controls.weight, w0, dw, label,
    sizes: net.sizes, hidden: net.hidden, output: net.output, loss: net.loss,
    weights: net.weights, biases: net.biases, X, Y, C: C0, dW: dWs, db: dbs,
    C1, slope, actual: C1 - C0, predicted: slope * dw, error: Math.abs(C1 - C0 - slope * dw),
    curve_w: ws, curve_C: Cs, bar_limit: bar,
  };
}

function render({ model, el }) {
  return ui.mount({ model, el, name: "nudge", build(root) {
    const config = model.get("config");
    const set = (patch) => ui.setControls(model, patch);
    const [wlo, whi] = [config.spec[1].lo, config.spec[1].hi];
    const controls = ui.controls(model, {
      weight(key) {
        // A new weight starts from its value in the network.
        const [l, j, k] = key.split(",").map(Number);
        set({ weight: key, w0: Math.min(Math.max(config.weights[l - 1][j][k], wlo), whi) });
      },
    });
    const curve = ui.chart({ x: [-3, 3], y: [0, 1], xlabel: "weight value w", ylabel: "cost C",
      title: "cost C(w) and its tangent" });
    const bars = ui.chart({ width: 240, x: [0, 3], y: [-1, 1], ylabel: "change of C",
      xticks: [[1, "actual"], [2, "predicted"]],
      title: "ΔC against ∂C/∂w · Δw" });
    const legend = ui.legend([["cost C(w)", "bp-ck"], ["tangent (slope from backprop)", "bp-c4"],
      ["actual ΔC", "bp-c0"], ["predicted ∂C/∂w · Δw", "bp-c1"]]);
    const table = ui.el("div", { "aria-live": "polite" });
    root.append(controls.root,
      ui.el("div", { class: "bp-body" }, ui.el("div", { class: "bp-charts" }, curve.root, bars.root),
        ui.el("div", { class: "bp-side" }, legend, table)));
    return (s) => {
      const ws = s.curve_w, Cs = s.curve_C;
      const cmin = Math.min(...Cs), cmax = Math.max(...Cs), pad = 0.08 * (cmax - cmin || 1);
      curve.setX([ws[0], ws[ws.length - 1]]);
      curve.setY([cmin - pad, cmax + pad]);
      curve.line("C", ws, Cs, { class: "bp-ck" });
      const t0 = s.w0 - 2.2, t1 = s.w0 + 2.2;
      curve.segment("tangent", t0, s.C + s.slope * (t0 - s.w0), t1, s.C + s.slope * (t1 - s.w0),
        { class: "bp-c4 bp-dash" });
      const w1 = s.w0 + s.dw;
      curve.segment("actual", w1, s.C, w1, s.C1, { class: "bp-c0", "stroke-width": 4 });
      curve.segment("pred", w1 + 0.06, s.C, w1 + 0.06, s.C + s.predicted, { class: "bp-c1", "stroke-width": 4 });
      curve.segment("base", s.w0, s.C, w1, s.C, { class: "bp-grid" });
      curve.dot("w0", s.w0, s.C, { class: "bp-ck" });
      curve.dot("w1", w1, s.C1, { class: "bp-c0", r: 3.5 });
      const b = s.bar_limit * 1.1 || 1;
      bars.setY([-b, b]);
      bars.segment("zero", 0, 0, 3, 0, { class: "bp-grid" });
      bars.segment("actual", 1, 0, 1, s.actual, { class: "bp-c0", "stroke-width": 28 });
      bars.segment("pred", 2, 0, 2, s.predicted, { class: "bp-c1", "stroke-width": 28 });
      controls.set(s);
      const ratio = s.actual === 0 ? "—" : ui.fmt(s.predicted / s.actual, 5);
      const e2 = s.dw === 0 ? "—" : ui.fmt(s.error / s.dw ** 2, 4);
      table.replaceChildren(ui.table([
        ["slope ∂C/∂w (backprop)", ui.fmt(s.slope, 5, true)],
        ["actual ΔC", ui.fmt(s.actual, 5, true)],
        ["predicted ∂C/∂w · Δw", ui.fmt(s.predicted, 5, true)],
        ["error |ΔC − predicted|", ui.fmt(s.error, 3)],
        ["predicted / actual", ratio],
        ["error / Δw²", e2],
      ], `${s.label} at w₀\u00a0=\u00a0${ui.fixed(s.w0, 2, true)}, Δw\u00a0=\u00a0${ui.fixed(s.dw, 2, true)}: C\u00a0=\u00a0${ui.fmt(s.C, 5)}`));
    };
  } });
}
