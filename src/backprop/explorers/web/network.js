// The whole-network explorer (chapter 7): a drawing of a small network with
// z, a and δ at every unit and ∂C/∂w on every edge, for one example.
//
// compute(config, controls) mirrors backprop.explorers.network.state line by
// line, with the in-page engine (engine.js: network.forward, network.backward,
// the four rules): only what the package computes. render({model, el}) builds
// the controls once from config.spec and, on every change of the state, draws
// it, with what only the view needs (the chain of rules of the selection,
// published as data-chain). Indices in the text are 1-based: the selection
// {kind: "w", l: 2, j: 1, k: 3} is w²₁₃, weights[1][0][2] here.

// The value a new entry gets when the network grows (1-based l, j, k): small,
// in every range of the spec, and the same every time.
function nxFillValue(kind, l, j, k = 0) {
  if (kind === "w") return (((7 * l + 3 * j + 5 * k) % 11) - 5) / 6;
  if (kind === "b") return (((3 * l + 5 * j) % 7) - 3) / 10;
  if (kind === "x") return (((4 * j) % 5) - 2) / 2;
  return (((2 * j) % 3) - 1) / 2;
}

// Whether sel is an entry of the network (no target y with one-hot targets).
const nxExists = (sizes, isCE, sel) => ui.entries("wbxy", sizes, isCE).some((e) => nxId(e) === nxId(sel));

// The class of a one-hot target column: its first largest entry.
function nxTargetClass(Y) {
  const col = Y.map((row) => row[0]);
  return col.indexOf(Math.max(...col));
}

// Controls for a network of `sizes`: entries that still exist keep their
// values, new ones get nxFillValue; a lost target class becomes class 1 and
// a lost selection w^L_11.
function nxResize(config, controls, sizes) {
  const L = sizes.length - 1;
  const old = (M, l, r, c) =>
    l - 1 < M.length && r < M[l - 1].length && c < M[l - 1][r].length
      ? M[l - 1][r][c]
      : null;
  const pick = (v, fallback) => (v === null ? fallback : v);
  const next = JSON.parse(JSON.stringify(controls));
  next.weights = [];
  next.biases = [];
  for (let l = 1; l <= L; l++) {
    const W = [];
    const b = [];
    for (let j = 0; j < sizes[l]; j++) {
      const row = [];
      for (let k = 0; k < sizes[l - 1]; k++) {
        row.push(pick(old(controls.weights, l, j, k), nxFillValue("w", l, j + 1, k + 1)));
      }
      W.push(row);
      b.push([pick(old(controls.biases, l, j, 0), nxFillValue("b", l, j + 1))]);
    }
    next.weights.push(W);
    next.biases.push(b);
  }
  const X = controls.X;
  const Y = controls.Y;
  next.X = [];
  for (let j = 0; j < sizes[0]; j++) {
    next.X.push([j < X.length ? X[j][0] : nxFillValue("x", 0, j + 1)]);
  }
  next.Y = [];
  const isCE = config.pairings[controls.pairing][1] === "cross_entropy";
  if (isCE) {
    let cls = nxTargetClass(Y);
    cls = cls < sizes[L] ? cls : 0;
    for (let j = 0; j < sizes[L]; j++) next.Y.push([j === cls ? 1 : 0]);
  } else {
    for (let j = 0; j < sizes[L]; j++) {
      next.Y.push([j < Y.length ? Y[j][0] : nxFillValue("y", 0, j + 1)]);
    }
  }
  next.sizes = sizes.slice();
  next.resize_layer = Math.min(controls.resize_layer, L);
  if (!nxExists(sizes, isCE, controls.selected)) {
    next.selected = { kind: "w", l: L, j: 1, k: 1 };
  }
  return next;
}

// Every number the package computes (network.py, state): forward pass,
// backward pass and σ'(z^l) of every layer.
function compute(config, controls) {
  const c = controls;
  const sizes = c.sizes;
  const L = sizes.length - 1;
  const [output, loss] = config.pairings[c.pairing];
  const net = { sizes, hidden: c.hidden, output, loss, weights: c.weights, biases: c.biases };
  const cache = network.forward(net, c.X);
  const { dWs, dbs, deltas } = network.backward(net, cache, c.Y);
  // σ'(z^l); the softmax output has none (rule 1 is δ^L = a^L − y there).
  const dsigma = [[]];
  for (let l = 1; l <= L; l++) {
    const act = activations[l === L ? output : c.hidden];
    dsigma.push(act.prime ? act.prime(cache.z[l]) : []);
  }
  return {
    sizes: sizes.slice(),
    hidden: c.hidden,
    output,
    loss,
    pairing: c.pairing,
    weights: c.weights,
    biases: c.biases,
    X: c.X,
    Y: c.Y,
    z: [[]].concat(cache.z.slice(1)),
    a: cache.a,
    dsigma,
    delta: [[]].concat(deltas.slice(1)),
    C: loss === "cross_entropy" ? losses.cross_entropy(cache.z[L], c.Y) : losses.mse(cache.a[L], c.Y),
    dW: dWs,
    db: dbs,
  };
}

// The gradient of the selection sel and the steps of the rules that give it,
// read off the state s. Row j - 1 is unit j of the text.
function nxChain(s, sel) {
  const sizes = s.sizes;
  const L = sizes.length - 1;
  const { kind, j } = sel;
  // Not a rule: C = ½‖a − y‖² depends on y directly, ∂C/∂y = y − a (a
  // one-hot target of the cross-entropy is a class, not an entry).
  if (kind === "y") return [s.Y[j - 1][0] - s.a[L][j - 1][0], []];
  const lowest = kind === "x" ? 1 : sel.l;
  const steps = [];
  // Rule 1 at every output unit (only unit j when the selection is in layer L).
  const outs = lowest < L || kind === "x" ? [...Array(sizes[L]).keys()] : [j - 1];
  for (const i of outs) {
    const step = { rule: 1, l: L, j: i + 1, a: s.a[L][i][0], y: s.Y[i][0], value: s.delta[L][i][0] };
    if (s.dsigma[L].length) step.dsigma = s.dsigma[L][i][0];
    steps.push(step);
  }
  // Rule 2 from layer L − 1 down to the selection's layer.
  for (let l = L - 1; l >= lowest; l--) {
    const units = l === lowest && kind !== "x" ? [j - 1] : [...Array(sizes[l]).keys()];
    for (const i of units) {
      const Wn = s.weights[l]; // W^{l+1}
      const terms = [];
      for (let r = 0; r < sizes[l + 1]; r++) terms.push([Wn[r][i], s.delta[l + 1][r][0]]);
      steps.push({ rule: 2, l, j: i + 1, terms, dsigma: s.dsigma[l][i][0], value: s.delta[l][i][0] });
    }
  }
  if (kind === "x") {
    // ∂C/∂x = (W¹)ᵀ δ¹: rule 2 without a σ' factor (x has no activation).
    const terms = [];
    let grad = 0;
    for (let r = 0; r < sizes[1]; r++) {
      terms.push([s.weights[0][r][j - 1], s.delta[1][r][0]]);
      grad += s.weights[0][r][j - 1] * s.delta[1][r][0];
    }
    steps.push({ rule: 0, l: 0, j, terms, value: grad });
    return [grad, steps];
  }
  const l = sel.l;
  if (kind === "b") {
    const grad = s.db[l - 1][j - 1][0];
    steps.push({ rule: 3, l, j, value: grad });
    return [grad, steps];
  }
  const k = sel.k;
  const grad = s.dW[l - 1][j - 1][k - 1];
  steps.push({ rule: 4, l, j, k, delta: s.delta[l][j - 1][0], a_prev: s.a[l - 1][k - 1][0], value: grad });
  return [grad, steps];
}

// ---------------------------------------------------------------------------
// The view
// ---------------------------------------------------------------------------


// A number for reading: d decimals, or 4 significant digits when d is not given.
const nxFmt = (v, d) => (d === undefined ? ui.fmt(v, 4) : ui.fixed(v, d));

// A labelled select (ui.select) as {wrap, sel}.
function nxSelect(label, options, onChange, key) {
  const c = ui.select({ label, options, value: options.length ? options[0][0] : "", onChange, key });
  return { wrap: c.root, sel: c.input };
}

function nxSetOptions(sel, options) {
  sel.replaceChildren(...options.map(([value, text]) => ui.el("option", { value }, text)));
}

const nxId = (sel) => [sel.kind, sel.l || 0, sel.j, sel.k || 0].join(":");
function nxParse(id) {
  const [kind, l, j, k] = id.split(":");
  const sel = { kind, l: Number(l), j: Number(j), k: Number(k) };
  if (kind !== "w") delete sel.k;
  if (kind === "x" || kind === "y") delete sel.l;
  return sel;
}

// Every entry the reader can select, in reading order.
function nxEntryText(sel, L) {
  const n = ui.entryName(sel);
  if (sel.kind === "w") return `${n}  (weight, layer ${sel.l})`;
  if (sel.kind === "b") return `${n}  (bias, layer ${sel.l})`;
  if (sel.kind === "x") return `${n}  (input)`;
  return `${n}  (target of output ${sel.j}, layer ${L})`;
}

function nxValueOf(s, sel) {
  if (sel.kind === "w") return s.weights[sel.l - 1][sel.j - 1][sel.k - 1];
  if (sel.kind === "b") return s.biases[sel.l - 1][sel.j - 1][0];
  if (sel.kind === "x") return s.X[sel.j - 1][0];
  return s.Y[sel.j - 1][0];
}

// The control of config.spec called name (network.py, SPEC).
const nxSpec = (config, name) => config.spec.find((c) => c.name === name);
// The matrix control holding the entries of kind: its lo, hi and step.
const nxMatrix = (config, kind) => nxSpec(config, { w: "weights", b: "biases", x: "X", y: "Y" }[kind]);
const nxInts = (lo, hi) => Array.from({ length: hi - lo + 1 }, (_, i) => [String(lo + i), String(lo + i)]);

// One step of the chain, in words and numbers.
function nxStepText(step, s) {
  const L = s.sizes.length - 1;
  const d = (l, j) => `δ${ui.sup(l)}${ui.sub(j)}`;
  const v = (x) => (x < 0 ? `(${nxFmt(x)})` : nxFmt(x));
  if (step.rule === 1) {
    const a = `a${ui.sup(L)}${ui.sub(step.j)}`;
    const y = `y${ui.sub(step.j)}`;
    if (step.dsigma === undefined) {
      return `Rule 1 (softmax with cross-entropy): ${d(L, step.j)} = ${a} − ${y} = ${nxFmt(step.a)} − ${v(step.y)} = ${nxFmt(step.value)}`;
    }
    return `Rule 1: ${d(L, step.j)} = (${a} − ${y}) σ′(z${ui.sup(L)}${ui.sub(step.j)}) = (${nxFmt(step.a)} − ${v(step.y)}) × ${nxFmt(step.dsigma)} = ${nxFmt(step.value)}`;
  }
  if (step.rule === 2 || step.rule === 0) {
    const names = step.terms.map((_, r) => `w${ui.sup(step.l + 1)}${ui.sub(r + 1)}${ui.sub(step.j)} ${d(step.l + 1, r + 1)}`);
    const nums = step.terms.map(([w, dn]) => `${v(w)} × ${v(dn)}`);
    if (step.rule === 0) {
      return `Inputs (rule 2 without σ′): ∂C/∂x${ui.sub(step.j)} = ${names.join(" + ")} = ${nums.join(" + ")} = ${nxFmt(step.value)}`;
    }
    return `Rule 2: ${d(step.l, step.j)} = (${names.join(" + ")}) σ′(z${ui.sup(step.l)}${ui.sub(step.j)}) = (${nums.join(" + ")}) × ${nxFmt(step.dsigma)} = ${nxFmt(step.value)}`;
  }
  if (step.rule === 3) {
    return `Rule 3: ∂C/∂b${ui.sup(step.l)}${ui.sub(step.j)} = ${d(step.l, step.j)} (the mean over one example) = ${nxFmt(step.value)}`;
  }
  const a = `a${ui.sup(step.l - 1)}${ui.sub(step.k)}`;
  return `Rule 4: ∂C/∂w${ui.sup(step.l)}${ui.sub(step.j)}${ui.sub(step.k)} = ${d(step.l, step.j)} ${a} = ${v(step.delta)} × ${v(step.a_prev)} = ${nxFmt(step.value)}`;
}

// Colour of a gradient: red for positive (descent lowers the value), blue for
// negative; opacity and width grow with the size relative to the largest.
const NX_POS = "#c0392b";
const NX_NEG = "#2166ac";
const nxColour = (g) => (g > 0 ? NX_POS : g < 0 ? NX_NEG : "#888");

// The drawing's skeleton for a network shape: every edge, unit, input and
// target as an element with a data-id, geometry only. nxUpdate then sets the
// colours, widths, numbers and labels in place on every state change.
function nxSkeleton(sizes) {
  const L = sizes.length - 1;
  const gap = 130;
  const rowGap = 62;
  const width = gap * (L + 1) + 70;
  const height = rowGap * Math.max(...sizes) + 40;
  const x = (l) => 48 + gap * l;
  const y = (l, j) => 20 + (height - 20) / 2 + (j - 1 - (sizes[l] - 1) / 2) * rowGap - 8;
  const button = (id) => `<g class="bp-item" data-id="${id}" tabindex="0" role="button" aria-pressed="false"><title></title>`;
  const parts = [
    `<svg viewBox="0 0 ${width} ${height}" role="group" aria-label="The network: ${sizes.join("-")} units; select a weight, unit, input or target">`,
  ];
  // A dashed frame around each column; nxUpdate shows the one being resized.
  for (let l = 0; l <= L; l++) {
    parts.push(`<rect class="bp-col" x="${x(l) - 30}" y="20" width="60" height="${height - 22}" rx="6" fill="none" stroke="currentColor" stroke-opacity="0.5" stroke-dasharray="5 4" visibility="hidden"/>`);
  }
  for (let l = 0; l <= L; l++) {
    const t = l === 0 ? "input x" : l === L ? "output" : `layer ${l}`;
    parts.push(`<text x="${x(l)}" y="14" text-anchor="middle" font-size="13" fill="currentColor">${t}</text>`);
  }
  parts.push(`<text x="${x(L) + 62}" y="14" text-anchor="middle" font-size="13" fill="currentColor">target y</text>`);
  // Edges: w^l_{jk} from unit k of layer l−1 to unit j of layer l.
  for (let l = 1; l <= L; l++) {
    for (let j = 1; j <= sizes[l]; j++) {
      for (let k = 1; k <= sizes[l - 1]; k++) {
        const xy = `x1="${x(l - 1) + 20}" y1="${y(l - 1, k)}" x2="${x(l) - 20}" y2="${y(l, j)}"`;
        parts.push(button(`w:${l}:${j}:${k}`));
        parts.push(`<line class="bp-halo" ${xy} stroke="currentColor" visibility="hidden"/>`);
        parts.push(`<line class="bp-line" ${xy}/>`);
        parts.push(`<line class="bp-hit" ${xy} stroke="transparent" stroke-width="12"/></g>`);
      }
    }
  }
  for (let l = 0; l <= L; l++) {
    for (let j = 1; j <= sizes[l]; j++) {
      const cx = x(l);
      const cy = y(l, j);
      if (l === 0) {
        parts.push(button(`x:0:${j}:0`));
        parts.push(`<rect class="bp-disc" x="${cx - 22}" y="${cy - 16}" width="44" height="32" rx="4" fill="#8883"/>`);
      } else {
        parts.push(button(`b:${l}:${j}:0`));
        parts.push(`<circle cx="${cx}" cy="${cy}" r="21" style="fill:var(--bp-bg)"/>`);
        parts.push(`<circle class="bp-disc" cx="${cx}" cy="${cy}" r="20"/>`);
        parts.push(`<text class="bp-d" x="${cx}" y="${cy + 36}" text-anchor="middle" font-size="12.5"></text>`);
      }
      parts.push(`<text class="bp-a" x="${cx}" y="${cy + 4.5}" text-anchor="middle" font-size="12.5" fill="currentColor"></text></g>`);
    }
  }
  for (let j = 1; j <= sizes[L]; j++) {
    const cx = x(L) + 62;
    const cy = y(L, j);
    parts.push(button(`y:0:${j}:0`));
    parts.push(`<line x1="${x(L) + 24}" y1="${cy}" x2="${cx - 22}" y2="${cy}" stroke="#aaa" stroke-dasharray="3 3"/>`);
    parts.push(`<rect class="bp-disc" x="${cx - 22}" y="${cy - 14}" width="44" height="28" rx="4" style="fill:var(--bp-bg)"/>`);
    parts.push(`<text class="bp-a" x="${cx}" y="${cy + 4.5}" text-anchor="middle" font-size="12" fill="currentColor"></text></g>`);
  }
  parts.push("</svg>");
  return parts.join("");
}

// Change an attribute or a text only when it differs: an unchanged SVG text
// then costs no layout.
function nxSet(e, key, value) {
  const v = String(value);
  if (e.getAttribute(key) !== v) e.setAttribute(key, v);
}
function nxText(e, text) {
  if (e.textContent !== text) e.textContent = text;
}

// Set, in place, what the state changes: the colour and width of every edge
// and unit, the numbers, the labels (title, aria-label) and the selection.
function nxUpdate(items, s, cols, sel, framed) {
  cols.forEach((r, l) => nxSet(r, "visibility", l === framed ? "visible" : "hidden"));
  const sizes = s.sizes;
  const L = sizes.length - 1;
  const selId = nxId(sel);
  let gmax = 1e-300;
  for (const M of s.dW) for (const row of M) for (const g of row) gmax = Math.max(gmax, Math.abs(g));
  let dmax = 1e-300;
  for (let l = 1; l <= L; l++) for (const row of s.delta[l]) dmax = Math.max(dmax, Math.abs(row[0]));
  const isCE = s.loss === "cross_entropy";
  for (const [id, it] of items) {
    const [kind, l, j, k] = id.split(":").map((v, i) => (i ? Number(v) : v));
    const on = id === selId;
    let label;
    if (kind === "w") {
      const g = s.dW[l - 1][j - 1][k - 1];
      const name = `w${ui.sup(l)}${ui.sub(j)}${ui.sub(k)}`;
      label = `${name} = ${nxFmt(s.weights[l - 1][j - 1][k - 1], 2)}, ∂C/∂${name} = ${nxFmt(g)}`;
      const sw = 1 + (6 * Math.abs(g)) / gmax;
      nxSet(it.line, "stroke", nxColour(g));
      nxSet(it.line, "stroke-opacity", (0.25 + (0.75 * Math.abs(g)) / gmax).toFixed(2));
      nxSet(it.line, "stroke-width", sw.toFixed(2));
      nxSet(it.halo, "stroke-width", (sw + 5).toFixed(2));
      nxSet(it.halo, "visibility", on ? "visible" : "hidden");
    } else {
      let fill = "#8883";
      let op = 1;
      let text;
      if (kind === "x") {
        text = nxFmt(s.X[j - 1][0], 2);
        label = `input x${ui.sub(j)} = ${text}`;
      } else if (kind === "y") {
        const yv = s.Y[j - 1][0];
        text = isCE ? String(yv) : nxFmt(yv, 2);
        label = isCE
          ? `target y${ui.sub(j)} = ${yv}: ${yv === 1 ? "the true class" : "not the class; select to make it the class"}`
          : `target y${ui.sub(j)} = ${text}`;
        fill = null;
      } else {
        const dl = s.delta[l][j - 1][0];
        if (dl !== 0) {
          fill = nxColour(dl);
          op = 0.12 + (0.5 * Math.abs(dl)) / dmax;
        }
        text = nxFmt(s.a[l][j - 1][0], 2);
        label =
          `unit ${j} of layer ${l}: z = ${nxFmt(s.z[l][j - 1][0])}, a = ${nxFmt(s.a[l][j - 1][0])}, ` +
          `δ = ∂C/∂b${ui.sup(l)}${ui.sub(j)} = ${nxFmt(dl)}, b${ui.sup(l)}${ui.sub(j)} = ${nxFmt(s.biases[l - 1][j - 1][0], 2)}`;
        nxText(it.d, `δ ${ui.fmt(dl, 2)}`);
      }
      if (fill) {
        nxSet(it.disc, "fill", fill);
        nxSet(it.disc, "fill-opacity", op.toFixed(2));
      }
      nxSet(it.disc, "stroke", on ? "currentColor" : "#777");
      nxSet(it.disc, "stroke-width", on ? 4 : 1.2);
      nxText(it.a, text);
    }
    nxSet(it.g, "aria-label", label);
    nxSet(it.g, "aria-pressed", String(on));
    nxText(it.title, label);
  }
}

// The elements of a skeleton by data-id, with the parts nxUpdate changes.
function nxItems(figure) {
  const items = new Map();
  for (const g of figure.querySelectorAll("[data-id]")) {
    items.set(g.getAttribute("data-id"), {
      g,
      title: g.querySelector("title"),
      line: g.querySelector(".bp-line"),
      halo: g.querySelector(".bp-halo"),
      disc: g.querySelector(".bp-disc"),
      a: g.querySelector(".bp-a"),
      d: g.querySelector(".bp-d"),
    });
  }
  return items;
}

function nxTables(s) {
  const sizes = s.sizes;
  const L = sizes.length - 1;
  const rows = [];
  for (let j = 1; j <= sizes[0]; j++) {
    rows.push(`<tr><th scope="row">x${ui.sub(j)}</th><td>—</td><td>${nxFmt(s.X[j - 1][0])}</td><td>—</td><td>—</td></tr>`);
  }
  for (let l = 1; l <= L; l++) {
    for (let j = 1; j <= sizes[l]; j++) {
      const ds = s.dsigma[l].length ? nxFmt(s.dsigma[l][j - 1][0]) : "(softmax)";
      rows.push(
        `<tr><th scope="row">${l}, ${j}</th><td>${nxFmt(s.z[l][j - 1][0])}</td><td>${nxFmt(s.a[l][j - 1][0])}</td><td>${ds}</td><td>${nxFmt(s.delta[l][j - 1][0])}</td></tr>`,
      );
    }
  }
  const units =
    `<table><caption>Every unit: z, a = σ(z), σ′(z) and δ = ∂C/∂b</caption>` +
    `<thead><tr><th scope="col">layer, unit</th><th scope="col">z</th><th scope="col">a</th><th scope="col">σ′(z)</th><th scope="col">δ = ∂C/∂b</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>`;
  const edges = [];
  for (let l = 1; l <= L; l++) {
    for (let j = 1; j <= sizes[l]; j++) {
      for (let k = 1; k <= sizes[l - 1]; k++) {
        edges.push(
          `<tr><th scope="row">w${ui.sup(l)}${ui.sub(j)}${ui.sub(k)}</th><td>${nxFmt(s.weights[l - 1][j - 1][k - 1])}</td><td>${nxFmt(s.dW[l - 1][j - 1][k - 1])}</td></tr>`,
        );
      }
    }
  }
  const weights =
    `<table><caption>Every weight and its gradient</caption>` +
    `<thead><tr><th scope="col">weight</th><th scope="col">w</th><th scope="col">∂C/∂w</th></tr></thead>` +
    `<tbody>${edges.join("")}</tbody></table>`;
  return `<div class="bp-scroll">${units}</div><div class="bp-scroll">${weights}</div>`;
}

function render({ model, el }) {
  const config = model.get("config");
  const controls = () => model.get("controls");
  const push = (next) => {
    model.set("controls", next);
    model.save_changes();
  };
  return ui.mount({ model, el, name: "network", build: (root) => nxBuild(root, config, controls, push) });
}

// Build the controls, the drawing and the readouts once; return draw(state).
function nxBuild(root, config, controls, push) {
  root.classList.add("bp-network");
  const spec = (name) => nxSpec(config, name);

  // -- the shape of the network --------------------------------------------
  const shape = ui.el("fieldset");
  shape.append(ui.el("legend", { text: "Network" }));
  const hidden = nxSelect(spec("hidden").label, spec("hidden").options, (v) => push({ ...controls(), hidden: v }), "hidden");
  shape.append(hidden.wrap);
  const pairing = nxSelect(
    spec("pairing").label,
    spec("pairing").options,
    (v) => {
      const next = { ...controls(), pairing: v };
      if (config.pairings[v][1] === "cross_entropy") {
        const cls = nxTargetClass(next.Y);
        next.Y = next.Y.map((_, j) => [j === cls ? 1 : 0]);
        if (next.selected.kind === "y") next.selected = { kind: "b", l: next.sizes.length - 1, j: 1 };
      }
      push(next);
    },
    "pairing",
  );
  shape.append(pairing.wrap);
  const depth = nxSelect(spec("sizes").label, nxInts(1, spec("sizes").layers), (v) => {
    const old = controls().sizes;
    const L = Number(v);
    const sizes = [old[0]];
    for (let l = 1; l < L; l++) sizes.push(l < old.length - 1 ? old[l] : 3);
    sizes.push(old[old.length - 1]);
    push(nxResize(config, controls(), sizes));
  }, "depth");
  shape.append(depth.wrap);
  // The width of one layer at a time: which layer (framed in the drawing), then its units.
  const layer = nxSelect(spec("resize_layer").label, [], (v) => push({ ...controls(), resize_layer: Number(v) }), "layer");
  layer.sel.dataset.viewOnly = ""; // moves the frame, not the state
  shape.append(layer.wrap);
  const units = nxSelect("to units", nxInts(1, spec("sizes").units), (v) => {
    const sizes = controls().sizes.slice();
    sizes[controls().resize_layer] = Number(v);
    push(nxResize(config, controls(), sizes));
  }, "units");
  shape.append(units.wrap);
  const side = ui.el("div", { class: "bp-side" });
  side.append(shape);

  // -- one number -------------------------------------------------------------
  const one = ui.el("fieldset");
  one.append(ui.el("legend", { text: "Change one number" }));
  const entry = nxSelect(spec("selected").label, [], (v) => push({ ...controls(), selected: nxParse(v) }), "selected");
  entry.sel.dataset.viewOnly = ""; // picks the chain shown, not the state
  one.append(entry.wrap);
  let name = "";
  const setValue = (v) => {
    const c = controls();
    const sel = c.selected;
    const next = JSON.parse(JSON.stringify(c));
    if (sel.kind === "w") next.weights[sel.l - 1][sel.j - 1][sel.k - 1] = v;
    else if (sel.kind === "b") next.biases[sel.l - 1][sel.j - 1][0] = v;
    else if (sel.kind === "x") next.X[sel.j - 1][0] = v;
    else next.Y[sel.j - 1][0] = v;
    push(next);
  };
  const slider = ui.slider({
    label: "value",
    min: spec("weights").lo,
    max: spec("weights").hi,
    step: spec("weights").step,
    value: 0,
    format: (v) => `${name} = ${nxFmt(v, 2)}`,
    onInput: (v) => {
      error.textContent = "";
      setValue(v);
    },
    key: "value",
  });
  const sliderLabel = slider.root.querySelector("label");
  one.append(slider.root);
  const numId = ui.uid("exact");
  const numWrap = ui.el("div", { class: "bp-control" });
  const numText = ui.el("label", { for: numId }, "exact value");
  const num = ui.el("input", { type: "number", id: numId, inputmode: "decimal", "data-control": "exact" });
  numWrap.append(numText, num);
  one.append(numWrap);
  // A one-hot target: the class for the cross-entropy, targets 1 and 0 for the squared error.
  const cls = nxSelect("one-hot target on", [], (v) => {
    push({ ...controls(), Y: controls().Y.map((_, j) => [j === Number(v) - 1 ? 1 : 0]) });
  }, "class");
  one.append(cls.wrap);
  const error = ui.el("p", { class: "bp-error", role: "alert" });
  one.append(error);
  side.append(one);
  num.addEventListener("change", () => {
    const v = Number(num.value);
    const { lo, hi } = nxMatrix(config, controls().selected.kind);
    if (num.value.trim() === "" || !Number.isFinite(v) || v < lo || v > hi) {
      error.textContent = `Type a number from ${nxFmt(lo, 0)} to ${nxFmt(hi, 0)} for ${name}; “${num.value}” is not one.`;
      return;
    }
    error.textContent = "";
    setValue(v);
  });

  // -- the drawing and the readouts --------------------------------------------
  const readout = ui.el("p", { class: "bp-readout-line", "aria-live": "polite" });
  const figure = ui.el("div", { class: "bp-figure" });
  const column = ui.el("div", { class: "bp-figure-column" });
  column.append(readout, figure);
  const body = ui.el("div", { class: "bp-body" });
  body.append(column, side);
  root.append(body);
  const hover = ui.el("p", { class: "bp-hover" });
  column.append(hover);
  const chainTitle = ui.el("p", { class: "bp-chain-title" });
  root.append(chainTitle);
  const chain = ui.el("ol", { class: "bp-chain" });
  root.append(chain);
  const details = ui.el("details");
  details.append(ui.el("summary", { text: "Numbers at every unit and edge" }));
  const tables = ui.el("div");
  details.append(tables);
  root.append(details);

  const choose = (id, fromKeyboard) => {
    const sel = nxParse(id);
    const c = controls();
    if (sel.kind === "y" && config.pairings[c.pairing][1] === "cross_entropy") {
      push({ ...c, Y: c.Y.map((_, j) => [j === sel.j - 1 ? 1 : 0]) });
      return;
    }
    push({ ...c, selected: sel });
    if (fromKeyboard) slider.input.focus();
  };
  figure.addEventListener("click", (ev) => {
    const g = ev.target.closest("[data-id]");
    if (g) choose(g.dataset.id, false);
  });
  figure.addEventListener("keydown", (ev) => {
    const g = ev.target.closest("[data-id]");
    if (g && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      choose(g.dataset.id, true);
    }
  });
  // The readout of the item under the pointer or in focus, read again after
  // every change of the state (its numbers change with it).
  let hoverId = null;
  const explain = (ev) => {
    const g = ev.target.closest && ev.target.closest("[data-id]");
    if (g) {
      hoverId = g.getAttribute("data-id");
      hover.textContent = g.getAttribute("aria-label");
    }
  };
  figure.addEventListener("mouseover", explain);
  figure.addEventListener("focusin", explain);

  let shownSizes = "";
  let shownShape = "";
  let shownChain = "";
  let items = null;
  let cols = [];
  let last = null;
  details.addEventListener("toggle", () => {
    if (details.open && last) tables.innerHTML = nxTables(last);
  });
  return (s) => {
    const sizes = s.sizes;
    const L = sizes.length - 1;
    const isCE = s.loss === "cross_entropy";
    // The selection and the framed layer are the controls' (a selection
    // the state's network lacks falls back to w^L_11).
    const c = controls();
    const sel = nxExists(sizes, isCE, c.selected) ? c.selected : { kind: "w", l: L, j: 1, k: 1 };
    const framed = Math.min(c.resize_layer, L);
    const [grad, steps] = nxChain(s, sel);
    root.setAttribute("data-chain", JSON.stringify({ selected: sel, grad, chain: steps }));
    depth.sel.value = String(L);
    const opts = [];
    for (let l = 0; l <= L; l++) opts.push([String(l), l === 0 ? "inputs (layer 0)" : l === L ? `outputs (layer ${l})` : `layer ${l}`]);
    if (layer.sel.options.length !== opts.length || layer.sel.options[L].text !== opts[L][1]) nxSetOptions(layer.sel, opts);
    layer.sel.value = String(framed);
    units.sel.value = String(sizes[framed]);
    hidden.sel.value = s.hidden;
    pairing.sel.value = s.pairing;
    const key = `${sizes.join("-")}/${isCE}`;
    if (key !== shownSizes) {
      nxSetOptions(entry.sel, ui.entries("wbxy", sizes, isCE).map((e) => [nxId(e), nxEntryText(e, L)]));
      const opts = [];
      for (let j = 1; j <= sizes[L]; j++) opts.push([String(j), `output ${j}`]);
      nxSetOptions(cls.sel, opts);
      shownSizes = key;
    }
    cls.sel.value = String(nxTargetClass(s.Y) + 1);
    entry.sel.value = nxId(sel);
    name = ui.entryName(sel);
    const { lo, hi, step } = nxMatrix(config, sel.kind);
    const value = nxValueOf(s, sel);
    slider.input.min = String(lo);
    slider.input.max = String(hi);
    slider.input.step = num.step = String(step);
    slider.set(value);
    sliderLabel.textContent = `value of ${name}`;
    numText.textContent = `${name} exactly`;
    num.min = String(lo);
    num.max = String(hi);
    if (document.activeElement !== num) num.value = String(Math.round(value * 1e4) / 1e4);
    const what = `∂C/∂${name}`;
    readout.textContent = `C = ${nxFmt(s.C, 5)}  ·  ${what} = ${nxFmt(grad, 5)}`;
    // A new shape gets a new skeleton; every state updates it in place (so
    // the keyboard focus stays where it is).
    if (key !== shownShape) {
      figure.innerHTML = nxSkeleton(sizes);
      items = nxItems(figure);
      cols = [...figure.querySelectorAll(".bp-col")];
      shownShape = key;
    }
    nxUpdate(items, s, cols, sel, framed);
    const shown = hoverId && items.get(hoverId);
    hover.textContent = shown ? shown.g.getAttribute("aria-label") : "";
    chainTitle.textContent = steps.length
      ? `How ${what} is made, from the output back (one example, so the means of rules 3 and 4 are over one column):`
      : `A target is not a parameter and no rule is needed: C depends on it directly.`;
    const lines = steps.length
      ? steps.map((step) => nxStepText(step, s))
      : [`${what} = y − a = ${nxFmt(grad, 5)}`];
    if (lines.join("\n") !== shownChain) {
      chain.replaceChildren(...lines.map((t) => ui.el("li", { text: t })));
      shownChain = lines.join("\n");
    }
    // The tables are built only while they are open (and when opened).
    last = s;
    if (details.open) tables.innerHTML = nxTables(s);
  };
}
