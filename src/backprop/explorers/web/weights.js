// The weights and biases explorer (chapters 5 and 6): move one parameter,
// or an input or a target, and watch rules 3 and 4 respond in its layer.
//
// compute(config, controls) mirrors backprop.explorers.weights.state with the
// in-page engine (engine.js); render({model, el}) builds the controls once and
// redraws on every change of the model's state. Indices in the text are
// 1-based: the parameter {kind: "w", l: 2, j: 1, k: 3} is w²₁₃, weights[1][0][2].

// A copy of the config's weights and biases with parameter p set to v.
function wxWithValue(config, p, v) {
  const weights = config.weights.map((W) => W.map((row) => row.slice()));
  const biases = config.biases.map((b) => b.map((row) => row.slice()));
  if (p.kind === "w") weights[p.l - 1][p.j - 1][p.k - 1] = v;
  else biases[p.l - 1][p.j - 1][0] = v;
  return { sizes: config.sizes, hidden: config.hidden, output: config.output, loss: config.loss, weights, biases };
}

// Everything the view shows (weights.py, state).
function compute(config, controls) {
  const c = controls;
  const p = c.param;
  const l = p.l;
  const net = wxWithValue(config, p, c.value);
  const cache = network.forward(net, c.X);
  const { dWs, dbs, deltas } = network.backward(net, cache, c.Y);
  const grad = p.kind === "w" ? dWs[l - 1][p.j - 1][p.k - 1] : dbs[l - 1][p.j - 1][0];
  // The cost at every value of the curve: one forward pass each.
  const curve = config.curve_values.map((v) => network.loss(wxWithValue(config, p, v), c.X, c.Y));
  return {
    param: p,
    value: c.value,
    example: c.example,
    weights: net.weights,
    biases: net.biases,
    X: c.X,
    Y: c.Y,
    a_prev: cache.a[l - 1],
    delta: deltas[l],
    C: network.loss(net, c.X, c.Y),
    dW: dWs,
    db: dbs,
    grad,
    curve,
  };
}

// ---------------------------------------------------------------------------
// The view
// ---------------------------------------------------------------------------


// One heatmap panel: a matrix as cells coloured by sign and size, with its
// numbers as text; `marks` are [row, col, width] outlines (0-based), and
// column `col` (the example being edited, or -1) gets a dashed frame.
function wxPanel(title, M, marks, focus, rowName, colName, col = -1) {
  const cw = 44;
  const ch = 24;
  const n = M.length;
  const m = M[0].length;
  let lim = 1e-12;
  for (const row of M) for (const v of row) lim = Math.max(lim, Math.abs(v));
  const parts = [];
  const width = cw * m + 16;
  const height = ch * n + 14;
  parts.push(`<svg viewBox="0 0 ${width} ${height}" width="${width}" role="img" aria-label="${title}: ${M.map((row) => row.map((v) => ui.fixed(v, 3)).join(", ")).join("; ")}">`);
  for (let c = 0; c < m; c++) {
    parts.push(`<text x="${16 + cw * c + cw / 2}" y="10" text-anchor="middle" font-size="12">${colName(c + 1)}</text>`);
  }
  for (let r = 0; r < n; r++) {
    parts.push(`<text x="7" y="${14 + ch * r + ch / 2 + 3}" text-anchor="middle" font-size="12">${rowName(r + 1)}</text>`);
    for (let c = 0; c < m; c++) {
      const v = M[r][c];
      const colour = v > 0 ? "var(--bp-pos)" : "var(--bp-neg)";
      const op = (0.55 * Math.abs(v)) / lim;
      parts.push(`<rect x="${16 + cw * c}" y="${14 + ch * r}" width="${cw}" height="${ch}" style="fill:${colour}" fill-opacity="${op.toFixed(3)}" stroke="#8886" stroke-width="0.5"/>`);
      parts.push(`<text x="${16 + cw * c + cw / 2}" y="${14 + ch * r + ch / 2 + 4}" text-anchor="middle" font-size="12">${ui.fixed(v, 2)}</text>`);
    }
  }
  for (const [r, c, w] of marks) {
    parts.push(`<rect x="${16 + cw * c + 1}" y="${14 + ch * r + 1}" width="${cw * w - 2}" height="${ch - 2}" fill="none" stroke="currentColor" stroke-width="2.5"/>`);
  }
  if (col >= 0) {
    parts.push(`<rect x="${16 + cw * col - 1}" y="12" width="${cw + 2}" height="${ch * n + 3}" fill="none" stroke="currentColor" stroke-width="1.2" stroke-dasharray="4 3"/>`);
  }
  parts.push("</svg>");
  const fig = ui.el("figure", { class: `bp-panel${focus ? " bp-focus" : ""}` });
  fig.innerHTML = parts.join("");
  fig.append(ui.el("figcaption", { text: title }));
  return fig;
}

function render({ model, el }) {
  const config = model.get("config");
  return ui.mount({ model, el, name: "weights", build: (root) => wxBuild(root, model, config) });
}

// Build the controls, panels and chart once; return draw(state). The
// labels, ranges and steps are those of config.spec (weights.py).
function wxBuild(root, model, config) {
  root.classList.add("bp-weights");
  const controls = () => model.get("controls");
  const spec = Object.fromEntries(config.spec.map((c) => [c.name, c]));
  const L = config.sizes.length - 1;
  const params = ui.entries("wb", config.sizes); // as controls.entries lists them
  const pid = (p) => `${p.kind}:${p.l}:${p.j}:${p.k || 0}`;
  const base = (p) => (p.kind === "w" ? config.weights[p.l - 1][p.j - 1][p.k - 1] : config.biases[p.l - 1][p.j - 1][0]);
  const { lo, hi } = spec.value;
  const clamp = (v, a, b) => Math.min(b, Math.max(a, v));

  // The value slider and the example select come from ui.controls; the
  // parameter select and the sliders of x and y are built here.
  const ctl = ui.controls(model);
  const param = ui.select({
    label: spec.param.label,
    options: params.map((p) => [pid(p), `${ui.entryName(p)}  (${p.kind === "w" ? "weight" : "bias"}, layer ${p.l})`]),
    value: pid(controls().param),
    key: "param",
    onChange: (v) => {
      const p = params.find((q) => pid(q) === v);
      // The newly selected parameter starts at its value in the network.
      ui.setControls(model, { param: p, value: clamp(base(p), lo, hi) });
    },
  });
  const valueLabel = ctl.items.value.root.querySelector("label");
  root.append(ui.el("div", { class: "bp-controls" }, param.root, ctl.items.value.root));

  // The input x and target y of one example at a time.
  const row2 = ui.el("div", { class: "bp-controls" }, ctl.items.example.root);
  const dataSliders = [];
  for (const [which, n] of [["X", config.sizes[0]], ["Y", config.sizes[L]]]) {
    const c = spec[which];
    for (let r = 0; r < n; r++) {
      const sym = `${c.label}${ui.sub(r + 1)}`;
      const s = ui.slider({
        label: sym,
        min: c.lo,
        max: c.hi,
        step: c.step,
        value: controls()[which][r][controls().example - 1],
        key: `${c.label}${r + 1}`,
        format: (v) => `${sym} = ${ui.fixed(v, 2)}`,
        onInput: (v) => {
          const M = controls()[which].map((row) => row.slice());
          M[r][controls().example - 1] = v;
          ui.setControls(model, { [which]: M });
        },
      });
      dataSliders.push({ sym, which, r, s });
      row2.append(s.root);
    }
  }
  root.append(row2);

  const readout = ui.el("p", { class: "bp-readout-line", "aria-live": "polite" });
  root.append(readout);
  const panels = ui.el("div", { class: "bp-panels" });
  const side = ui.el("div", { class: "bp-side" });
  root.append(ui.el("div", { class: "bp-body" }, panels, side));
  const chart = ui.chart({
    width: 420,
    height: 230,
    x: [lo, hi],
    y: [0, 1],
    xlabel: "value of the parameter",
    ylabel: "cost C",
    title: "cost C and its tangent",
  });
  side.append(chart.root);
  side.append(
    ui.legend([
      ["cost C", "bp-ck"],
      ["slope from backprop", "bp-c3"],
    ]),
  );

  return (s) => {
    const p = s.param;
    const l = p.l;
    const name = ui.entryName(p);
    param.set(pid(p));
    valueLabel.textContent = `value of ${name}`;
    ctl.set(s);
    for (const { sym, which, r, s: slider } of dataSliders) {
      slider.root.querySelector("label").textContent = `${sym} (example ${s.example})`;
      slider.set(s[which][r][s.example - 1]);
    }
    readout.textContent = `C = ${ui.fmt(s.C, 5)}  ·  ∂C/∂${name} = ${ui.fmt(s.grad, 5)}`;
    // The panels of layer l, with the selected entry outlined, and the rows
    // of a^{l-1} and δ^l whose products (rule 4) or mean (rule 3) give its gradient.
    const mm = s.X[0].length;
    const isW = p.kind === "w";
    const j = p.j - 1;
    const k = isW ? p.k - 1 : 0;
    const unit = (lay) => (i) => `${i}`;
    const ex = (i) => `${i}`;
    const one = () => "";
    panels.replaceChildren(
      wxPanel(`W${ui.sup(l)}`, s.weights[l - 1], isW ? [[j, k, 1]] : [], false, unit(l), unit(l - 1)),
      wxPanel(`b${ui.sup(l)}`, s.biases[l - 1], isW ? [] : [[j, 0, 1]], false, unit(l), one),
      wxPanel(`a${ui.sup(l - 1)} (one column per example)`, s.a_prev, isW ? [[k, 0, mm]] : [], false, unit(l - 1), ex, s.example - 1),
      wxPanel(`δ${ui.sup(l)}`, s.delta, [[j, 0, mm]], false, unit(l), ex, s.example - 1),
      wxPanel(`∂C/∂W${ui.sup(l)}`, s.dW[l - 1], isW ? [[j, k, 1]] : [], config.focus === "dW", unit(l), unit(l - 1)),
      wxPanel(`∂C/∂b${ui.sup(l)}`, s.db[l - 1], isW ? [] : [[j, 0, 1]], config.focus === "db", unit(l), one),
    );
    // The cost curve, the current point and the tangent of slope ∂C/∂(parameter).
    const cmin = Math.min(...s.curve, s.C);
    const cmax = Math.max(...s.curve, s.C);
    const span = cmax - cmin || 1;
    chart.setY([cmin - 0.1 * span, cmax + 0.3 * span]);
    chart.line("curve", config.curve_values, s.curve, { class: "bp-ck" });
    const half = 0.12 * (hi - lo);
    chart.segment("tangent", s.value - half, s.C - s.grad * half, s.value + half, s.C + s.grad * half, {
      class: "bp-c3",
      "stroke-width": 2.5,
    });
    chart.dot("point", s.value, s.C, { class: "bp-ck" });
    chart.root.setAttribute(
      "aria-label",
      `The cost C against ${name} from ${lo} to ${hi}; at ${name} = ${ui.fixed(s.value, 2)}, C = ${ui.fmt(s.C, 4)} and the slope is ${ui.fmt(s.grad, 4)}`,
    );
  };
}
