// training.js: the training explorer (chapter 10), view and in-page engine.
//
// compute(config, controls) is backprop.explorers.training.state in
// JavaScript: minibatch SGD on network.gradients (engine.js, the four
// rules), from the initial weights in config, visiting the examples in the
// orders of epochOrders (training.py's epoch_orders, from the generator both
// share), with the same divergence checks as backprop.training.train.
// render({model, el}) draws the state it is given: the plane coloured by
// the network's probability of class 1 with the decision boundary, the loss
// curve and a readout in words. Plain ES2020; the host inlines engine.js and
// ui.js before it.

// -- the shuffles (training.py: epoch_orders) -------------------------------

// Return `epochs` orders of 0..m-1: epoch e (1-based) visits the examples in
// increasing order of m numbers of stream e of uniforms (engine.js).
function epochOrders(m, epochs, seed) {
  return Array.from({ length: epochs }, (_, e) => {
    const u = uniforms(seed, e + 1, m);
    return Array.from({ length: m }, (_, i) => i).sort((p, q) => u[p] - u[q]);
  });
}

// -- one run (training.py: _run; training.train) -----------------------------

// Return one-hot targets (2 rows of m) of class labels 0/1.
const oneHot = (labels) => [0, 1].map((k) => labels.map((y) => (y === k ? 1 : 0)));

// The config's network with its initial W^l and b^l (copies).
const initialNet = (config) => ({
  sizes: config.sizes, hidden: config.hidden, output: config.output, loss: config.loss,
  weights: config.weights.map(mat.copy), biases: config.biases.map(mat.copy),
});

// -- SGD on flat arrays ---------------------------------------------------------
// network.gradients works on arrays of rows, one array per unit: at batch
// size 1 that is a few dozen small arrays per step, and a retrain (9,000
// steps) would take half a second. Sgd computes the same numbers, with the
// same operations in the same order as engine.js (the tests compare it with
// network.gradients), in buffers allocated once: a matrix of n rows and b
// columns is stored row by row, entry (i, j) at i * b + j. It serves the
// explorer's network: tanh hidden layers, softmax output, cross-entropy.
class Sgd {
  constructor(net, X, Y) {
    const n = (this.sizes = net.sizes), L = (this.L = n.length - 1), m = (this.m = X[0].length);
    this.X = Float64Array.from(X.flat()); // n0 rows of m
    this.Y = Float64Array.from(Y.flat()); // nL rows of m
    this.W = net.weights.map((W) => Float64Array.from(W.flat())); // W[l - 1] is W^l
    this.b = net.biases.map((b) => Float64Array.from(b.flat()));
    const buf = (l) => new Float64Array(n[l] * m);
    this.z = n.map((_, l) => buf(l)); // z[l], a[l], delta[l] padded like the cache
    this.a = n.map((_, l) => buf(l));
    this.delta = n.map((_, l) => buf(l));
    this.dW = this.W.map((W) => new Float64Array(W.length));
    this.db = this.b.map((b) => new Float64Array(b.length));
    this.all = Array.from({ length: m }, (_, j) => j);
  }
  // The forward pass on the columns `cols` of X: z^l = W^l a^{l-1} + b^l, a^l = σ(z^l).
  forward(cols) {
    const n = this.sizes, B = cols.length, a0 = this.a[0];
    for (let k = 0; k < n[0]; k++) for (let j = 0; j < B; j++) a0[k * B + j] = this.X[k * this.m + cols[j]];
    for (let l = 1; l <= this.L; l++) {
      const W = this.W[l - 1], b = this.b[l - 1], ap = this.a[l - 1], z = this.z[l], a = this.a[l];
      const rows = n[l], inner = n[l - 1];
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < B; j++) z[i * B + j] = 0;
        for (let p = 0; p < inner; p++) {
          const w = W[i * inner + p];
          for (let j = 0; j < B; j++) z[i * B + j] += w * ap[p * B + j];
        }
        for (let j = 0; j < B; j++) z[i * B + j] += b[i];
      }
      if (l < this.L) for (let q = 0; q < rows * B; q++) a[q] = Math.tanh(z[q]);
      else {
        for (let j = 0; j < B; j++) { // softmax of each column, shifted by its maximum
          let mx = -Infinity, s = 0;
          for (let i = 0; i < rows; i++) mx = Math.max(mx, z[i * B + j]);
          for (let i = 0; i < rows; i++) s += (a[i * B + j] = Math.exp(z[i * B + j] - mx));
          for (let i = 0; i < rows; i++) a[i * B + j] /= s;
        }
      }
    }
  }
  // The backward pass on the same columns into dW, db; false if one is not finite.
  backward(cols) {
    const n = this.sizes, L = this.L, B = cols.length;
    const dL = this.delta[L], aL = this.a[L];
    for (let i = 0; i < n[L]; i++) {
      for (let j = 0; j < B; j++) dL[i * B + j] = aL[i * B + j] - this.Y[i * this.m + cols[j]]; // rule 1: a − y
    }
    let finite = true;
    for (let l = L; l >= 1; l--) {
      const d = this.delta[l], ap = this.a[l - 1], dW = this.dW[l - 1], db = this.db[l - 1];
      const rows = n[l], inner = n[l - 1];
      for (let i = 0; i < rows; i++) {
        for (let k = 0; k < inner; k++) { // rule 4: δ^l (a^{l-1})ᵀ / m
          let s = 0;
          for (let j = 0; j < B; j++) s += d[i * B + j] * ap[k * B + j];
          finite = finite && Number.isFinite((dW[i * inner + k] = s / B));
        }
        let s = 0; // rule 3: the mean of the columns of δ^l
        for (let j = 0; j < B; j++) s += d[i * B + j];
        finite = finite && Number.isFinite((db[i] = s / B));
      }
      if (l > 1) { // rule 2: δ^{l-1} = (W^l)ᵀ δ^l ⊙ tanh'(z^{l-1})
        const W = this.W[l - 1], dp = this.delta[l - 1], ap1 = this.a[l - 1];
        dp.fill(0, 0, inner * B);
        for (let p = 0; p < rows; p++) {
          for (let i = 0; i < inner; i++) {
            const w = W[p * inner + i];
            for (let j = 0; j < B; j++) dp[i * B + j] += w * d[p * B + j];
          }
        }
        // tanh'(z) = 1 − tanh(z)², and tanh(z) is a^{l-1}, already computed
        for (let q = 0; q < inner * B; q++) dp[q] *= 1 - ap1[q] ** 2;
      }
    }
    return finite;
  }
  // One minibatch: the gradients, then W^l ← W^l − η ∂C/∂W^l, b^l ← b^l − η ∂C/∂b^l.
  // Returns false (and leaves W, b) when a gradient is NaN or infinite.
  step(cols, lr) {
    this.forward(cols);
    if (!this.backward(cols)) return false;
    for (let l = 0; l < this.L; l++) {
      const W = this.W[l], dW = this.dW[l], b = this.b[l], db = this.db[l];
      for (let q = 0; q < W.length; q++) W[q] -= lr * dW[q];
      for (let q = 0; q < b.length; q++) b[q] -= lr * db[q];
    }
    return true;
  }
  // The cross-entropy over all m examples, from the logits (losses.cross_entropy),
  // and the fraction whose largest output is the target's class.
  evaluate() {
    const n = this.sizes, L = this.L, m = this.m, rows = n[L];
    this.forward(this.all);
    const z = this.z[L], a = this.a[L], Y = this.Y, logp = new Float64Array(rows * m);
    for (let j = 0; j < m; j++) { // log_softmax of each column: s − ln Σ e^s, s = z − max z
      let mx = -Infinity, t = 0;
      for (let i = 0; i < rows; i++) mx = Math.max(mx, z[i * m + j]);
      for (let i = 0; i < rows; i++) t += Math.exp(z[i * m + j] - mx);
      const lse = Math.log(t);
      for (let i = 0; i < rows; i++) logp[i * m + j] = z[i * m + j] - mx - lse;
    }
    let total = 0, right = 0;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += Y[i * m + j] * logp[i * m + j];
      total += s;
    }
    for (let j = 0; j < m; j++) { // np.argmax: the first of equal maxima
      let best = 0;
      for (let i = 1; i < rows; i++) if (a[i * m + j] > a[best * m + j]) best = i;
      if (Y[best * m + j] === 1) right += 1;
    }
    return { C: -total / m, accuracy: right / m };
  }
  // W^l and b^l now, as arrays of rows.
  parameters() {
    const rows = (F, r, c) => Array.from({ length: r }, (_, i) => Array.from(F.subarray(i * c, (i + 1) * c)));
    return {
      weights: this.W.map((W, l) => rows(W, this.sizes[l + 1], this.sizes[l])),
      biases: this.b.map((b, l) => rows(b, this.sizes[l + 1], 1)),
    };
  }
}

// Train epochs_max epochs; return {weights, biases, loss, accuracy} after each
// epoch 0..done and diverged_at (0: never), with the checks of training.train.
function trainRun(config, dataset, lr, batchSize) {
  const { X, labels } = config.datasets[dataset];
  const m = labels.length, sgd = new Sgd(initialNet(config), X, oneHot(labels));
  const orders = epochOrders(m, config.epochs_max, config.shuffle_seed);
  const run = { weights: [], biases: [], loss: [], accuracy: [], diverged_at: 0 };
  const record = ({ C, accuracy }) => {
    const { weights, biases } = sgd.parameters();
    run.weights.push(weights);
    run.biases.push(biases);
    run.loss.push(C);
    run.accuracy.push(accuracy);
  };
  record(sgd.evaluate());
  const limit = config.divergence_factor * run.loss[0];
  for (let epoch = 1; epoch <= config.epochs_max; epoch++) {
    const order = orders[epoch - 1];
    for (let first = 0; first < m; first += batchSize) {
      if (!sgd.step(order.slice(first, first + batchSize), lr)) { run.diverged_at = epoch; return run; }
    }
    const now = sgd.evaluate();
    if (!Number.isFinite(now.C) || now.C > limit) { run.diverged_at = epoch; return run; }
    record(now);
  }
  return run;
}

// -- the state (training.py: state) -------------------------------------------

const _runs = new WeakMap(); // config -> Map("dataset|lr|batch" -> run)

// Return the run of these settings, trained once per config and settings.
function cachedRun(config, c) {
  if (!_runs.has(config)) _runs.set(config, new Map());
  const runs = _runs.get(config), key = `${c.dataset}|${c.lr}|${c.batch_size}`;
  if (!runs.has(key)) {
    if (runs.size >= 16) runs.delete(runs.keys().next().value);
    runs.set(key, trainRun(config, c.dataset, c.lr, c.batch_size));
  }
  return runs.get(key);
}

// np.nan_to_num: NaN -> fill, ±inf -> the given ends.
const finite = (v, nan = 0, hi = Number.MAX_VALUE, lo = -Number.MAX_VALUE) =>
  Number.isNaN(v) ? nan : v === Infinity ? hi : v === -Infinity ? lo : v;

// Return what the explorer shows at these controls (the keys of state()).
function compute(config, controls) {
  const c = {
    dataset: controls.dataset, lr: Number(controls.lr),
    batch_size: Math.round(controls.batch_size), epochs: Math.round(controls.epochs),
  };
  const run = cachedRun(config, c);
  const epoch = Math.min(c.epochs, run.loss.length - 1);
  const net = { ...initialNet(config), weights: run.weights[epoch], biases: run.biases[epoch] };
  const { X, labels } = config.datasets[c.dataset], grid = config.grid, n = grid.length;
  // The plane, one point per column: rows along x₂, columns along x₁ (meshgrid).
  const plane = [grid.flatMap(() => grid), grid.flatMap((v) => grid.map(() => v))];
  const A = network.forward(net, plane).a[net.weights.length];
  // P to six decimals, as training.py rounds it: floor(x·10⁶ + ½) / 10⁶.
  const P = grid.map((_, r) => grid.map((_, q) => Math.floor(finite(A[1][r * n + q], 0.5, 1, 0) * 1e6 + 0.5) / 1e6));
  const { dWs, dbs } = network.gradients(net, X, oneHot(labels));
  return {
    ...c, epoch, diverged_at: run.diverged_at,
    curve: run.loss.slice(), accuracy_curve: run.accuracy.slice(),
    C: run.loss[epoch], accuracy: run.accuracy[epoch], P, weights: net.weights, biases: net.biases,
    dW: dWs.map((M) => mat.map(M, (v) => finite(v))), db: dbs.map((M) => mat.map(M, (v) => finite(v))),
  };
}

// -- the view ---------------------------------------------------------------

// The colour of the plane where P(class 1) = p: red (class 0) through white to blue (class 1).
function planeColour(p) {
  const t = Math.min(Math.max(2 * p - 1, -1), 1), s = Math.abs(t) * 0.62;
  const [r, g, b] = t < 0 ? [214, 96, 77] : [67, 147, 195];
  return [r, g, b].map((v) => Math.round(255 + (v - 255) * s)); // [r, g, b]
}

// Return the SVG path of the level P = ½ on the grid (marching squares).
function boundaryPath(P, toX, toY) {
  const n = P.length, parts = [];
  const cut = (a, b) => (0.5 - a) / (b - a); // where ½ lies between a and b
  for (let r = 0; r + 1 < n; r++) {
    for (let q = 0; q + 1 < n; q++) {
      const v = [P[r][q], P[r][q + 1], P[r + 1][q + 1], P[r + 1][q]]; // corners, anticlockwise
      const corner = [[q, r], [q + 1, r], [q + 1, r + 1], [q, r + 1]];
      const pts = [];
      for (let e = 0; e < 4; e++) {
        const a = v[e], b = v[(e + 1) % 4];
        if ((a < 0.5) !== (b < 0.5)) {
          const t = cut(a, b), [q0, r0] = corner[e], [q1, r1] = corner[(e + 1) % 4];
          pts.push([toX(q0 + t * (q1 - q0)), toY(r0 + t * (r1 - r0))]);
        }
      }
      for (let k = 0; k + 1 < pts.length; k += 2) {
        parts.push(`M${pts[k][0].toFixed(1)} ${pts[k][1].toFixed(1)}L${pts[k + 1][0].toFixed(1)} ${pts[k + 1][1].toFixed(1)}`);
      }
    }
  }
  return parts.join("");
}


function render({ model, el }) {
  const config = model.get("config");
  const E = config.epochs_max;
  const n = config.grid.length, SIZE = 300, cell = SIZE / n;
  const set = (patch) => ui.setControls(model, patch);

  return ui.mount({
    model, el, name: "training",
    build(root) {
      root.classList.add("bp-training");
      const controls = ui.controls(model);
      const readout = ui.el("p", { class: "bp-status", role: "status", "aria-live": "polite" });
      // The plane: GRID × GRID cells centred on the grid points, the points, the boundary.
      const plane = ui.svg("svg", {
        viewBox: `0 0 ${SIZE} ${SIZE}`, class: "bp-plane", role: "img", width: SIZE, height: SIZE,
      });
      const lo = config.grid[0], hi = config.grid[n - 1], step = (hi - lo) / (n - 1);
      const toX = (q) => (q + 0.5) * cell; // grid index (fractional) -> pixels
      const toY = (r) => SIZE - (r + 0.5) * cell; // x₂ grows upwards
      const px = (x) => toX((x - lo) / step), py = (y) => toY((y - lo) / step);
      // The map: one pixel per grid point, stretched smoothly (no staircase)
      // so that pixel centres fall on the grid points.
      const canvas = document.createElement("canvas");
      canvas.width = n;
      canvas.height = n;
      const map = ui.svg("image", { x: 0, y: 0, width: SIZE, height: SIZE, preserveAspectRatio: "none" });
      const boundary = ui.svg("path", { class: "bp-boundary", fill: "none", stroke: "black", "stroke-width": 2 });
      const points = ui.svg("g", { stroke: "black", "stroke-width": 0.7 });
      plane.append(map, boundary, points);
      let shownData = null;
      const drawPoints = (dataset) => {
        const { X, labels } = config.datasets[dataset];
        points.replaceChildren(...labels.map((k, j) => (k === 0
          ? ui.svg("circle", { cx: px(X[0][j]).toFixed(1), cy: py(X[1][j]).toFixed(1), r: 3.6, fill: "rgb(214,96,77)" })
          : ui.svg("rect", { x: (px(X[0][j]) - 3.2).toFixed(1), y: (py(X[1][j]) - 3.2).toFixed(1), width: 6.4, height: 6.4, fill: "rgb(67,147,195)" }))));
        shownData = dataset;
      };
      const chart = ui.chart({
        width: 400, height: 300, x: [0, E], y: [0.01, 1], ylog: true,
        xlabel: "epoch", ylabel: "training loss C", title: "",
      });
      const settings = ui.svg("text", { x: chart.root.viewBox.baseVal.width - 16, y: 26, "text-anchor": "end", class: "bp-label" });
      chart.root.append(settings);
      const panels = ui.el("div", { class: "bp-panels" },
        ui.el("figure", { class: "bp-panel" }, plane,
          ui.legend([["class 0 (circles, red)", "bp-class0"], ["class 1 (squares, blue)", "bp-class1"], ["boundary P = ½", "bp-line"]])),
        ui.el("figure", { class: "bp-panel" }, chart.root,
          ui.legend([["whole run", "bp-run"], ["up to the epoch shown", "bp-sofar"]])));
      // Play: the epochs one after another, up to the last (or the epoch a
      // diverged run stopped at); with reduced motion, a few larger steps.
      const play = ui.el("button", { type: "button", class: "bp-play", text: "▶ Play" });
      let timer = null;
      const stop = () => {
        clearInterval(timer);
        timer = null;
        play.textContent = "▶ Play";
      };
      const tick = (stride) => {
        const s = model.get("state"), end = s.diverged_at || E;
        const e = Math.min(end, Math.round(model.get("controls").epochs) + stride);
        set({ epochs: e });
        if (e >= end) stop();
      };
      play.addEventListener("click", () => {
        if (timer) { stop(); return; }
        const s = model.get("state");
        if (s.epochs >= (s.diverged_at || E)) set({ epochs: 0 });
        const reduced = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
        const stride = reduced ? Math.ceil(E / 5) : 1;
        timer = setInterval(() => tick(stride), reduced ? 900 : 60);
        play.textContent = "❚❚ Pause";
      });
      root.append(
        controls.root, readout, panels);
      controls.root.append(play);

      return (s) => {
        controls.set(s);
        if (s.dataset !== shownData) drawPoints(s.dataset);
        const ctx = canvas.getContext("2d"), img = ctx.createImageData(n, n);
        s.P.forEach((row, r) => row.forEach((p, q) => {
          const at = 4 * ((n - 1 - r) * n + q); // x₂ grows upwards
          img.data.set([...planeColour(p), 255], at);
        }));
        ctx.putImageData(img, 0, 0);
        map.setAttribute("href", canvas.toDataURL());
        boundary.setAttribute("d", boundaryPath(s.P, toX, toY));
        plane.setAttribute("aria-label",
          `The plane coloured by the network's probability of class 1 after ${s.epoch} epochs, ` +
          `with the decision boundary: ${(100 * s.accuracy).toFixed(1)}% of the ${config.datasets[s.dataset].labels.length} training points on the right side.`);
        // The loss curve: the whole run in grey, up to the epoch shown in colour.
        const curve = s.curve, top = s.diverged_at ? config.divergence_factor * curve[0] : Math.max(...curve);
        const yr = [Math.max(Math.min(...curve) / 1.6, 1e-4), top * 1.6];
        chart.setY(yr);
        const epochs = curve.map((_, e) => e);
        // The epochs asked for (dashed), which a diverged run cannot reach,
        // and the settings of the run, in the chart itself.
        chart.segment("asked", s.epochs, yr[0], s.epochs, yr[1],
          { stroke: "#888", "stroke-dasharray": "4 3", "stroke-width": 1 });
        settings.setAttribute("x", chart.root.viewBox.baseVal.width - 16);
        settings.textContent = `η = ${s.lr}, batch size ${s.batch_size}, ${s.epochs} epochs`;
        chart.line("run", epochs, curve, { class: "bp-run", stroke: "#bbb", "stroke-width": 1.5 });
        chart.line("sofar", epochs.slice(0, s.epoch + 1), curve.slice(0, s.epoch + 1),
          { class: "bp-sofar", style: "stroke:var(--bp-c4)", "stroke-width": 2.2 });
        chart.dot("now", s.epoch, s.C, { style: "fill:var(--bp-c4)" });
        if (s.diverged_at) {
          const k = s.diverged_at, y = config.divergence_factor * curve[0];
          chart.segment("x1", k - 0.9, y / 1.25, k + 0.9, y * 1.25, { style: "stroke:var(--bp-warn)", "stroke-width": 3 });
          chart.segment("x2", k - 0.9, y * 1.25, k + 0.9, y / 1.25, { style: "stroke:var(--bp-warn)", "stroke-width": 3 });
          chart.show("x1"); chart.show("x2");
        } else {
          chart.hide("x1"); chart.hide("x2");
        }
        // The readout: the epoch shown, or where the run diverged.
        const diverged = Boolean(s.diverged_at && s.epochs >= s.diverged_at);
        const status = diverged
          ? `diverged in epoch ${s.diverged_at}: learning rate ${s.lr} is too large; showing epoch ${s.epoch}`
          : `epoch ${s.epoch}: training loss ${s.C.toFixed(4)}, accuracy ${(100 * s.accuracy).toFixed(1)}%`;
        chart.root.setAttribute("aria-label", `Training loss against epoch: ${status}`);
        readout.textContent = status;
        readout.classList.toggle("bp-warning", diverged);
      };
    },
  });
}
