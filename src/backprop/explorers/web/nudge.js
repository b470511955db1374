// nudge.js: the nudge explorer (chapter 2). Python twin:
// backprop/explorers/nudge.py (state).

const nuSpec = (config, name) => config.spec.find((c) => c.name === name);

// The state the package computes: mirrors nudge.state.
function compute(config, controls) {
  const { weight, w0, dw } = controls;
  const l = weight.l, j = weight.j - 1, k = weight.k - 1; // w^l_jk is W^l[j - 1][k - 1]
  const net = {
    sizes: config.sizes, hidden: config.hidden, output: config.output, loss: config.loss,
    weights: config.weights.map(mat.copy), biases: config.biases.map(mat.copy),
  };
  const W = net.weights[l - 1], X = config.X, Y = config.Y;
  const costAt = (v) => { W[j][k] = v; return network.loss(net, X, Y); };
  const { lo, hi } = nuSpec(config, "dw");
  const half = 1.1 * Math.max(hi, -lo); // a margin beyond the largest nudge
  const ws = mat.linspace(-half, half, config.n_curve).map((v) => w0 + v);
  const Cs = ws.map(costAt);
  const C1 = costAt(w0 + dw);
  const C0 = costAt(w0);
  const slope = network.gradients(net, X, Y).dWs[l - 1][j][k]; // backprop at w₀
  return {
    weight, w0, dw, C: C0, C1, slope, actual: C1 - C0, predicted: slope * dw,
    error: Math.abs(C1 - C0 - slope * dw), curve_w: ws, curve_C: Cs,
  };
}

function render({ model, el }) {
  return ui.mount({ model, el, name: "nudge", build(root) {
    const config = model.get("config");
    const { lo: wlo, hi: whi } = nuSpec(config, "w0"), dws = nuSpec(config, "dw");
    const weights = ui.entries("w", config.sizes), key = (e) => `${e.l},${e.j},${e.k}`;
    const pick = ui.select({ label: nuSpec(config, "weight").label, key: "weight",
      value: key(model.get("controls").weight), options: weights.map((e) => [key(e), ui.entryName(e)]),
      onChange(v) { // a new weight starts from its value in the network
        const e = weights.find((w) => key(w) === v);
        ui.setControls(model, { weight: e, w0: Math.min(Math.max(config.weights[e.l - 1][e.j - 1][e.k - 1], wlo), whi) });
      } });
    const controls = ui.controls(model);
    controls.root.prepend(pick.root);
    const curve = ui.chart({ x: [-3, 3], y: [0, 1], xlabel: "weight value w", ylabel: "cost C",
      title: "cost C(w) and its tangent" });
    const bars = ui.chart({ width: 240, x: [0, 3], y: [-1, 1], ylabel: "change of C",
      xticks: [[1, "actual"], [2, "predicted"]], title: "ΔC against ∂C/∂w · Δw" });
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
      const [t0, t1] = [ws[0], ws[ws.length - 1]], tan = (w) => s.C + s.slope * (w - s.w0);
      curve.segment("tangent", t0, tan(t0), t1, tan(t1), { class: "bp-c4 bp-dash" });
      const w1 = s.w0 + s.dw;
      curve.segment("actual", w1, s.C, w1, s.C1, { class: "bp-c0", "stroke-width": 4 });
      curve.segment("pred", w1 + 0.06, s.C, w1 + 0.06, s.C + s.predicted, { class: "bp-c1", "stroke-width": 4 });
      curve.segment("base", s.w0, s.C, w1, s.C, { class: "bp-grid" });
      curve.dot("w0", s.w0, s.C, { class: "bp-ck" });
      curve.dot("w1", w1, s.C1, { class: "bp-c0", r: 3.5 });
      // The bars' range holds every change the Δw slider reaches from this w₀.
      const reach = ws.map((v, i) => (v >= s.w0 + dws.lo - 1e-12 && v <= s.w0 + dws.hi + 1e-12 ? Math.abs(Cs[i] - s.C) : 0));
      const b = 1.1 * Math.max(...reach, Math.abs(s.slope) * Math.max(dws.hi, -dws.lo), Math.abs(s.actual), Math.abs(s.predicted)) || 1;
      bars.setY([-b, b]);
      bars.segment("zero", 0, 0, 3, 0, { class: "bp-grid" });
      bars.segment("actual", 1, 0, 1, s.actual, { class: "bp-c0", "stroke-width": 28 });
      bars.segment("pred", 2, 0, 2, s.predicted, { class: "bp-c1", "stroke-width": 28 });
      controls.set(s);
      pick.set(key(s.weight));
      const ratio = s.actual === 0 ? "—" : ui.fmt(s.predicted / s.actual, 5);
      const e2 = s.dw === 0 ? "—" : ui.fmt(s.error / s.dw ** 2, 4);
      table.replaceChildren(ui.table([
        ["slope ∂C/∂w (backprop)", ui.fmt(s.slope, 5, true)],
        ["actual ΔC", ui.fmt(s.actual, 5, true)],
        ["predicted ∂C/∂w · Δw", ui.fmt(s.predicted, 5, true)],
        ["error |ΔC − predicted|", ui.fmt(s.error, 3)],
        ["predicted / actual", ratio],
        ["error / Δw²", e2],
      ], `${ui.entryName(s.weight)} at w₀\u00a0=\u00a0${ui.fixed(s.w0, 2, true)}, Δw\u00a0=\u00a0${ui.fixed(s.dw, 2, true)}: C\u00a0=\u00a0${ui.fmt(s.C, 5)}`));
    };
  } });
}
