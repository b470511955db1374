// hidden_error.js: the hidden-error explorer (chapter 4). Python twin:
// backprop/explorers/hidden_error.py (state).

const HE_ACTIVATIONS = ["sigmoid", "tanh", "relu"];
const heBase = {}; // (seed, width) -> {W: [W^1 ...] unscaled, X, Y}

// Row-major reshape of a flat array into n rows of m.
function rows(flat, n, m) {
  return Array.from({ length: n }, (_, i) => flat.slice(i * m, (i + 1) * m));
}

// The standard normal draws of state for layers 1..depth (cached).
function heDraws(seed, width, m, depth) {
  const key = `${seed},${width},${m}`;
  const base = (heBase[key] ||= {
    W: [], X: rows(normals(seed, 1001, width * m), width, m),
    Y: rows(normals(seed, 1002, width * m), width, m),
  });
  for (let l = base.W.length + 1; l <= depth; l++) {
    base.W.push(rows(normals(seed, l, width * width), width, width)); // stream l is W^l
  }
  return base;
}

// W^l = g · (standard normal draws) / √n for l = 1..depth, as in state.
function heWeights(depth, scale, width, m, seed) {
  const base = heDraws(seed, width, m, depth);
  return base.W.slice(0, depth).map((B) => mat.map(B, (v) => (scale * v) / Math.sqrt(width)));
}

// ‖δ^l‖ of every layer: mirrors state (rule 1 at the output, then rule 2).
function deltaNorms(activation, depth, scale, width, m, seed, W = heWeights(depth, scale, width, m, seed)) {
  const base = heDraws(seed, width, m, depth);
  const sigma = activations[activation];
  const z = [null], a = [base.X];
  for (let l = 1; l <= depth; l++) {
    z.push(mat.matmul(W[l - 1], a[l - 1])); // the biases are 0
    a.push(l === depth ? z[l] : sigma.f(z[l])); // identity output
  }
  const dsigma = z.map((zl, l) => (l >= 1 && l < depth ? sigma.prime(zl) : null)); // σ'(z^l)
  const deltas = [];
  deltas[depth] = rules.output_error(losses.mse_grad(a[depth], base.Y), activations.identity.prime(z[depth])); // rule 1
  for (let l = depth - 1; l >= 1; l--) {
    deltas[l] = rules.hidden_error(W[l], deltas[l + 1], dsigma[l]); // rule 2
  }
  // Root mean square over the batch of the column norms.
  const norms = deltas.slice(1).map((d) => {
    let t = 0;
    for (let j = 0; j < m; j++) { let s = 0; for (const row of d) s += row[j] * row[j]; t += s; }
    return Math.sqrt(t / m);
  });
  const predicted_gains = [];
  for (let l = 1; l < depth; l++) {
    const p = dsigma[l];
    predicted_gains.push(scale * Math.sqrt(mat.sum(mat.map(p, (v) => v * v)) / (width * m)));
  }
  const predicted_ratios = new Array(depth).fill(1);
  let r = 1;
  for (let i = depth - 2; i >= 0; i--) { r *= predicted_gains[i]; predicted_ratios[i] = r; }
  const gains = norms.slice(0, -1).map((v, i) => v / norms[i + 1]);
  const gmean = (v) => Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
  return {
    norms, ratios: norms.map((v) => v / norms[depth - 1]), gains, predicted_gains, predicted_ratios,
    mean_gain: gmean(gains), mean_predicted_gain: gmean(predicted_gains),
  };
}

// The log axis at a depth, fixed for all g0 ≤ g ≤ g1: sigmoid (gain ≈ g/4) at g0 to ReLU (≈ g/√2) at g1.
function heLimits(depth, [g0, g1]) {
  const low = (g0 / 4) ** (depth - 1), high = ((1.15 * g1) / Math.sqrt(2)) ** (depth - 1);
  return [10 ** (Math.floor(Math.log10(low)) - 1), 10 ** (Math.ceil(Math.log10(high)) + 1)];
}
const heSpec = (config, name) => config.spec.find((c) => c.name === name);

let heLast = { key: null, curves: null }; // the curves do not depend on the chosen activation

function compute(config, controls) {
  const { activation, depth, scale, width, seed } = controls;
  const key = JSON.stringify([depth, scale, width, seed, config.m]);
  if (heLast.key !== key) {
    heDraws(seed, width, config.m, heSpec(config, "depth").hi); // every layer the slider can reach
    const curves = {}, W = heWeights(depth, scale, width, config.m, seed); // shared by the three
    for (const name of HE_ACTIVATIONS) curves[name] = deltaNorms(name, depth, scale, width, config.m, seed, W);
    heLast = { key, curves };
  }
  return { activation, depth, scale, width, seed, ...heLast.curves };
}

function render({ model, el }) {
  return ui.mount({ model, el, name: "hidden_error", build(root) {
    const config = model.get("config"), c0 = model.get("controls");
    const names = Object.fromEntries(heSpec(config, "activation").options), g = heSpec(config, "scale");
    const controls = ui.controls(model);
    const chart = ui.chart({ width: 560, height: 280, x: [1, c0.depth], y: [1e-3, 1e3], ylog: true,
      xlabel: "layer l", ylabel: "‖δˡ‖ / ‖δᴸ‖", title: "error norm per layer (output layer = 1)" });
    const legend = ui.el("div");
    const table = ui.el("div", { "aria-live": "polite" });
    root.append(controls.root,
      ui.el("div", { class: "bp-body" }, ui.el("div", { class: "bp-charts" }, chart.root),
        ui.el("div", { class: "bp-side", style: "flex-basis:400px" }, legend, table)));
    return (s) => {
      const layers = Array.from({ length: s.depth }, (_, i) => i + 1);
      chart.setX([1, s.depth]);
      chart.setY(heLimits(s.depth, [g.lo, g.hi]));
      chart.segment("one", 1, 1, s.depth, 1, { class: "bp-grid" });
      HE_ACTIVATIONS.forEach((name, i) => {
        const bold = name === s.activation;
        const cls = `bp-c${i}${bold ? "" : " bp-faint"}`;
        chart.line(name, layers, s[name].ratios, { class: cls, "stroke-width": bold ? 3 : 1.5 });
      });
      chart.line("estimate", layers, s[s.activation].predicted_ratios, { class: "bp-ck bp-dash", "stroke-width": 1.5 });
      controls.set(s);
      legend.replaceChildren(ui.legend([...HE_ACTIVATIONS.map((n, i) => [names[n] + (n === s.activation ? " (chosen)" : ""), `bp-c${i}`]),
        [`estimate ∏ g·rms σ′ for ${names[s.activation]}`, "bp-ck"]]));
      const head = ["activation", "‖δ¹‖ / ‖δᴸ‖", "gain per layer", "estimate g·rms σ′"];
      table.replaceChildren(ui.el("table", { class: "bp-readout" },
        ui.el("caption", { text: `L\u00a0=\u00a0${s.depth} layers of ${s.width} units, g\u00a0=\u00a0${ui.fixed(s.scale, 2)}, draw #${s.seed}` }),
        ui.el("thead", {}, ui.el("tr", {}, head.map((h) => ui.el("th", { scope: "col", text: h })))),
        ui.el("tbody", {}, HE_ACTIVATIONS.map((n) => ui.el("tr", {},
          ui.el("th", { scope: "row", text: names[n] + (n === s.activation ? " (chosen)" : "") }),
          ui.el("td", { text: ui.fmt(s[n].ratios[0], 3) }),
          ui.el("td", { text: ui.fmt(s[n].mean_gain, 3) }),
          ui.el("td", { text: ui.fmt(s[n].mean_predicted_gain, 3) }))))));
    };
  } });
}
