// problem.js: the practice problems' view and their in-page twin of
// backprop/problems.py (draw, answers, mistake_answers, judge, state),
// function by function. Needs engine.js (mat, rules, network, uniforms),
// ui.js and mistakes.js. The root carries data-problem (the kind),
// data-state (the problem and, after a check, its verdict) and
// data-verdict; answer fields are input[data-entry="i,j"] (1-based), the
// buttons data-action="check", "new" and, in a backward pass, "next".

const problems = {
  // n numbers k/10, k an integer in [−scale, scale] (never 0 if nonzero): _tenths.
  tenths(seed, stream, n, scale, nonzero) {
    return uniforms(seed, stream, n).map((u) => {
      const t = u / Math.sqrt(3); // in (−1, 1)
      let k = Math.floor(t * scale + 0.5);
      if (nonzero && k === 0) k = 1;
      return k / 10;
    });
  },
  // Split a flat list into rows of `cols` numbers (NumPy's reshape).
  rows(flat, cols) {
    const out = [];
    for (let i = 0; i < flat.length; i += cols) out.push(flat.slice(i, i + cols));
    return out;
  },
  // The problem of attempt a (streams 10a + 1 ... 10a + 7): _attempt.
  attempt(config, seed, a) {
    const [n0, n1, n2] = config.sizes, m = config.m;
    const weights = [], biases = [];
    [[n1, n0], [n2, n1]].forEach(([r, c], i) => {
      const l = i + 1;
      weights.push(problems.rows(problems.tenths(seed, 10 * a + l, r * c, 10, true), c));
      biases.push(problems.rows(problems.tenths(seed, 10 * a + 2 + l, r, 5, false), 1));
    });
    const X = problems.rows(problems.tenths(seed, 10 * a + 5, n0 * m, 10, true), m);
    const t = uniforms(seed, 10 * a + 6, m).map((u) => u / Math.sqrt(3));
    const Y = mat.full(n2, m, 0);
    t.forEach((tj, j) => { Y[Math.min(Math.floor(((tj + 1) / 2) * n2), n2 - 1)][j] = 1; });
    const drawn = uniforms(seed, 10 * a + 7, 1)[0] / Math.sqrt(3) < 0 ? 1 : 2;
    const asks = config.asks.map(([q, layer]) => [q, layer || drawn]);
    return { kind: config.kind, seed, weights, biases, X, Y, asks, attempt: a,
      sizes: config.sizes, hidden: config.hidden, output: config.output, loss: config.loss };
  },
  // The problem of config.kind drawn from seed: draw.
  draw(config, seed) {
    let problem;
    for (let a = 0; a < config.attempts; a++) {
      problem = problems.attempt(config, seed, a);
      const W2 = problem.weights[1];
      const ok = W2[0][1] !== W2[1][0] && problems.answers(problem).every((v) =>
        v.every((row) => row.every((x) => Math.abs(x) >= config.smallest)));
      if (ok) return problem;
    }
    return problem;
  },
  // The forward pass and the four rules by key (z1, a1, ..., dW2): backward_values.
  backwardValues(problem) {
    const cache = network.forward(problem, problem.X);
    const { dWs, dbs, deltas } = network.backward(problem, cache, problem.Y);
    return { z1: cache.z[1], a1: cache.a[1], z2: cache.z[2], a2: cache.a[2],
      delta1: deltas[1], delta2: deltas[2], db1: dbs[0], db2: dbs[1], dW1: dWs[0], dW2: dWs[1] };
  },
  // The right answer of each ask, in order: answers.
  answers(problem) {
    const v = problems.backwardValues(problem);
    return problem.asks.map(([q, layer]) => v[q + layer]);
  },
  // The asked quantity from a gradient function's {dWs, dbs}: _pick.
  pick([q, layer], { dWs, dbs }) {
    if (q === "dW") return dWs[layer - 1];
    return dbs[layer - 1]; // with m = 1 the bias gradient is δ
  },
  // The keys of the mistakes ask number s recognises (config.mistakes,
  // config.only): recognised.
  recognised(config, ask, s) {
    return config.mistakes[s].filter((k) => {
      const only = config.only[k];
      return !only || (only[0] === ask[0] && only[1] === ask[1]);
    });
  },
  // For each ask, {variant key: that mistake's numbers}: mistake_answers.
  mistakeAnswers(problem, config) {
    const done = {};
    return problem.asks.map((ask, s) => {
      const numbers = {};
      for (const key of problems.recognised(config, ask, s)) {
        done[key] ||= mistakes[key](problem, problem.X, problem.Y);
        numbers[key] = problems.pick(ask, done[key]);
      }
      return numbers;
    });
  },
  // The symbol of an ask, e.g. δ² or ∂C/∂W¹: quantity_name.
  name([q, layer]) {
    return { delta: "δ", db: "∂C/∂b", dW: "∂C/∂W" }[q] + ui.sup(layer);
  },
  // The number typed, or null: parse_entry.
  parse(text) {
    const s = String(text ?? "").trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
    const v = Number(s);
    return Number.isFinite(v) ? v : null;
  },
  // The id of mistake id's section in chapter 9, (mistake-<id>)= with "-"
  // for "_" as Sphinx writes it: anchor.
  anchor: (id) => `mistake-${id.replace(/_/g, "-")}`,
  close: (x, v, tol) => Math.abs(x - v) <= tol * Math.abs(v) + 1e-12,
  // "i,j" keys (1-based) of an n × m matrix, row by row: entry_keys.
  keys(n, m) {
    const out = [];
    for (let i = 1; i <= n; i++) for (let j = 1; j <= m; j++) out.push(`${i},${j}`);
    return out;
  },
  listing(keys) {
    const items = keys.map((k) => `(${k})`);
    return items.length === 1 ? items[0] : items.slice(0, -1).join(", ") + " and " + items[items.length - 1];
  },
  // The verdict on entries {"i,j": text} for ask number step: judge.
  judge(problem, config, entries, step) {
    const ask = problem.asks[step], right = problems.answers(problem)[step];
    const name = problems.name(ask), tol = config.tolerance;
    const keys = problems.keys(right.length, right[0].length);
    const typed = {}, invalid = [];
    for (const k of keys) {
      const v = problems.parse(entries[k] ?? "");
      if (v === null) invalid.push(k); else typed[k] = v;
    }
    if (invalid.length) {
      const k = invalid[0], text = String(entries[k] ?? "").trim();
      const what = text ? `is not a number (“${text}”)` : "is empty";
      const rest = invalid.slice(1);
      const more = !rest.length ? "" : rest.length === 1 ? ` Entry ${problems.listing(rest)} needs a number too.`
        : ` Entries ${problems.listing(rest)} need numbers too.`;
      return { verdict: "invalid", wrong: invalid,
        message: `Entry (${k}) of ${name} ${what}. Type a decimal number such as −0.0123 or 1.5e-3.${more}` };
    }
    const flat = (A) => A.flat();
    const matches = (A) => flat(A).every((v, i) => problems.close(typed[keys[i]], v, tol));
    const wrongOf = () => keys.filter((k, i) => !problems.close(typed[k], flat(right)[i], tol));
    if (matches(right)) {
      return { verdict: "correct", wrong: [],
        message: `Correct: every entry of ${name} is within 1 % of the exact value.` };
    }
    const numbers = problems.mistakeAnswers(problem, config)[step];
    for (const [key, values] of Object.entries(numbers)) {
      if (matches(values)) {
        const v = config.variants[key];
        return { verdict: v.id, message: `Not yet. ${v.message}`, wrong: wrongOf(),
          variant: key, anchor: problems.anchor(v.id), section: v.section };
      }
    }
    const wrong = wrongOf(), ok = keys.filter((k) => !wrong.includes(k));
    const rest = ok.length ? `; ${problems.listing(ok)} ${ok.length === 1 ? "is" : "are"} right` : "";
    const one = wrong.length === 1;
    return { verdict: "unknown", wrong,
      message: `${one ? "Entry" : "Entries"} ${problems.listing(wrong)} of ${name} ${one ? "is" : "are"} ` +
        `not right${rest}. The numbers match none of the common mistakes this problem knows.` };
  },
};

// What the view shows at controls {seed, step, entries, checked}: state.
function compute(config, controls) {
  const problem = problems.draw(config, controls.seed);
  const step = controls.step, ask = problem.asks[step];
  const values = { ...problems.backwardValues(problem), W1: problem.weights[0], b1: problem.biases[0],
    W2: problem.weights[1], b2: problem.biases[1], X: problem.X, Y: problem.Y };
  const right = problems.answers(problem);
  const given = config.given.map(([label, key]) => ({ label, values: values[key] }));
  for (let s = 0; s < step; s++) given.push({ label: problems.name(problem.asks[s]), values: right[s] });
  const state = {
    kind: config.kind, sizes: config.sizes, hidden: config.hidden, output: config.output, loss: config.loss,
    weights: problem.weights, biases: problem.biases, X: problem.X, Y: problem.Y, m: config.m,
    seed: problem.seed, step, steps: problem.asks.length, ask: { quantity: ask[0], layer: ask[1] },
    name: problems.name(ask), shape: [right[step].length, right[step][0].length], given,
    entries: { ...controls.entries }, checked: Boolean(controls.checked),
  };
  if (controls.checked) state.verdict = problems.judge(problem, config, controls.entries, step);
  return state;
}

function render({ model, el }) {
  const config = model.get("config");
  const set = (patch) => ui.setControls(model, patch);
  el.replaceChildren();
  el.classList.add("bp-problem", "bp-live");
  el.bpProblems = problems; // for tests and readers' tools
  const prompt = ui.el("p", { class: "bp-prompt" });
  const given = ui.el("div", { class: "bp-given" });
  const grid = ui.el("div", { class: "bp-entries" });
  const legend = ui.el("legend");
  const check = ui.el("button", { type: "submit", "data-action": "check", text: "Check" });
  const next = ui.el("button", { type: "button", "data-action": "next", text: "Next quantity", hidden: true });
  const fresh = ui.el("button", { type: "button", "data-action": "new", text: "New problem" });
  const verdict = ui.el("p", { class: "bp-verdict", role: "status", "aria-live": "polite" });
  const seedNote = ui.el("p", { class: "bp-note" });
  const form = ui.el("form", { class: "bp-answer", novalidate: true },
    ui.el("fieldset", {}, legend, grid,
      ui.el("p", { class: "bp-note", text: config.precision_text }),
      ui.el("div", { class: "bp-buttons" }, check, next, fresh)));
  el.append(prompt, given, form, verdict, seedNote);
  let shown = null, inputs = {};

  const readEntries = () => Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value]));
  form.addEventListener("submit", (e) => { e.preventDefault(); set({ entries: readEntries(), checked: true }); });
  fresh.addEventListener("click", () => {
    set({ seed: (model.get("controls").seed + 1) >>> 0, step: 0, entries: {}, checked: false });
  });
  next.addEventListener("click", () => {
    set({ step: model.get("controls").step + 1, entries: {}, checked: false });
  });

  const matrix = (label, A) => ui.el("table", { class: "bp-matrix" },
    ui.el("caption", { text: label }),
    ui.el("tbody", {}, A.map((row) => ui.el("tr", {}, row.map((v) => ui.el("td", { text: ui.fmt(v, 5) }))))));

  const build = (s) => {
    prompt.textContent = `${config.network_text} ${config.prompt.replace("{name}", s.name)}`;
    given.replaceChildren(...s.given.map((g) => matrix(g.label, g.values)));
    const [n, m] = s.shape;
    legend.textContent = `Your answer: ${s.name}, ${n} × ${m}` +
      (s.steps > 1 ? ` (quantity ${s.step + 1} of ${s.steps})` : "");
    inputs = {};
    grid.replaceChildren();
    grid.style.gridTemplateColumns = `repeat(${m}, auto)`;
    for (const key of problems.keys(n, m)) {
      const id = ui.uid("entry");
      const [i, j] = key.split(",");
      const input = ui.el("input", { type: "text", id, inputmode: "decimal", autocomplete: "off",
        spellcheck: "false", "data-entry": key, size: 9 });
      input.value = s.entries[key] ?? "";
      inputs[key] = input;
      grid.append(ui.el("div", { class: "bp-entry" },
        ui.el("label", { for: id, text: `${s.name} row ${i}` + (m > 1 ? `, column ${j}` : "") }), input));
    }
    seedNote.textContent = `Problem seed ${s.seed}: problems.show("${s.kind}", seed=${s.seed}) draws it again in Python.`;
  };

  const redraw = () => {
    const s = model.get("state");
    const key = `${s.seed}:${s.step}`;
    if (key !== shown) {
      const refocus = shown !== null && el.contains(document.activeElement);
      build(s);
      shown = key;
      if (refocus) Object.values(inputs)[0].focus();
    }
    el.setAttribute("data-problem", s.kind);
    el.setAttribute("data-state", JSON.stringify(s));
    for (const input of Object.values(inputs)) input.removeAttribute("aria-invalid");
    verdict.replaceChildren();
    next.hidden = true;
    if (!s.verdict) {
      el.removeAttribute("data-verdict");
      return;
    }
    const v = s.verdict;
    el.setAttribute("data-verdict", v.verdict);
    verdict.className = `bp-verdict bp-${v.verdict === "correct" ? "right" : "wrong"}`;
    for (const k of v.wrong) if (inputs[k]) inputs[k].setAttribute("aria-invalid", "true");
    verdict.append(v.message);
    if (v.anchor) {
      verdict.append(" ", ui.el("a", { href: `${config.mistakes_page}#${v.anchor}`,
        text: `Mistake ${v.section} in chapter 9` }), " explains it.");
    }
    if (v.verdict === "correct" && s.step + 1 < s.steps) {
      next.hidden = false;
      verdict.append(` Next: ${problems.name(config.asks[s.step + 1])}.`);
    }
  };
  model.on("change:state", redraw);
  redraw();
  return () => model.off("change:state", redraw);
}
