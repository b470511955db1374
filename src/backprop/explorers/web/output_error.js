// output_error.js: the output-error explorer (chapter 3). Python twin:
// backprop/explorers/output_error.py (its state).

// One pairing [output activation, cost] (config.pairings, from PAIRINGS)
// at every z of zs (one row, one column per z) for target y:
// {a, factor, delta, cost}, each an array like zs. Mirrors state's loop.
function outputErrors(zs, y, [out, loss]) {
  const row = [zs];
  let a, factor, delta, cost;
  if (loss === "cross_entropy") {
    const logits = [zs, zs.map(() => 0)]; // the second logit is held at 0
    const Y = [zs.map(() => y), zs.map(() => 1 - y)];
    const A = activations.softmax.f(logits);
    a = [A[0]];
    delta = [losses.cross_entropy_delta(A, Y)[0]]; // ∂C_x/∂z, first logit
    factor = [zs.map(() => 1)]; // σ' cancels
    const logp = losses.log_softmax(logits);
    cost = [zs.map((_, j) => -(Y[0][j] * logp[0][j] + Y[1][j] * logp[1][j]))];
  } else {
    a = activations[out].f(row);
    factor = activations[out].prime(row);
    delta = rules.output_error(losses.mse_grad(a, [zs.map(() => y)]), factor); // rule 1
    cost = [a[0].map((v) => 0.5 * (v - y) ** 2)];
  }
  return { a: a[0], factor: factor[0], delta: delta[0], cost: cost[0] };
}

// The state the view shows: mirrors output_error.state.
function compute(config, controls) {
  const { z, y, first, second } = controls;
  const zs = mat.linspace(config.z_range[0], config.z_range[1], config.n_curve);
  const state = { z, y, first, second };
  for (const slot of ["first", "second"]) {
    const p = outputErrors([z], y, config.pairings[controls[slot]]);
    const c = outputErrors(zs, y, config.pairings[controls[slot]]);
    state[slot + "_point"] = { a: p.a[0], factor: p.factor[0], delta: p.delta[0], cost: p.cost[0] };
    state[slot + "_curve"] = { a: c.a, delta: c.delta };
  }
  return state;
}

function render({ model, el }) {
  return ui.mount({ model, el, name: "output_error", build(root) {
    const config = model.get("config");
    const names = Object.fromEntries(config.spec.find((c) => c.name === "first").options);
    const zs = mat.linspace(config.z_range[0], config.z_range[1], config.n_curve);
    const controls = ui.controls(model);
    const left = ui.chart({ x: config.z_range, y: [-1.05, 1.05], xlabel: "pre-activation z",
      title: "output a and target y" });
    const right = ui.chart({ x: config.z_range, y: [-1.1, 1.1], xlabel: "pre-activation z",
      title: "output error δ = ∂Cₓ/∂z" });
    const legend = ui.el("div");
    const same = ui.el("p", { class: "bp-note", hidden: true });
    const table = ui.el("div", { "aria-live": "polite", class: "bp-scroll" });
    root.append(
      controls.root,
      legend, same,
      ui.el("div", { class: "bp-charts" }, left.root, right.root),
      table,
    );
    return (s) => {
      const lo = Math.min(-1.05, ...s.first_curve.a, ...s.second_curve.a);
      const hi = Math.max(1.05, ...s.first_curve.a, ...s.second_curve.a);
      left.setY([Math.max(lo, -10.5), Math.min(hi, 10.5)]);
      const dl = Math.max(1.1, ...s.first_curve.delta.map(Math.abs), ...s.second_curve.delta.map(Math.abs));
      right.setY([-Math.min(dl, 11), Math.min(dl, 11)]);
      left.segment("zero", config.z_range[0], 0, config.z_range[1], 0, { class: "bp-grid" });
      right.segment("zero", config.z_range[0], 0, config.z_range[1], 0, { class: "bp-grid" });
      left.segment("target", config.z_range[0], s.y, config.z_range[1], s.y, { class: "bp-c3 bp-dash" });
      // Where the two outputs a(z) coincide, pairing 2 is drawn dashed over a
      // wider pairing 1, and a line says so.
      const a1 = s.first_curve.a, a2 = s.second_curve.a;
      const coincide = a1.every((v, i) => Math.abs(v - a2[i]) < 1e-9);
      same.hidden = !coincide;
      same.textContent = coincide ? `The two outputs a(z) coincide (${names[s.first]}; ${names[s.second]}): the orange curve is dashed over the blue.` : "";
      ["first", "second"].forEach((slot, i) => {
        const cls = `bp-c${i}`, p = s[slot + "_point"];
        left.line(slot, zs, s[slot + "_curve"].a, { class: i && coincide ? `${cls} bp-dash` : cls,
          "stroke-width": i || !coincide ? 2 : 4.5 });
        right.line(slot, zs, s[slot + "_curve"].delta, { class: cls });
        left.segment(slot + "gap", s.z, s.y, s.z, p.a, { class: `${cls} bp-faint`, "stroke-width": 5 });
        left.dot(slot + "dot", s.z, p.a, { class: cls });
        right.dot(slot + "dot", s.z, p.delta, { class: cls, r: i ? 4 : 5.5 });
      });
      right.segment("cursor", s.z, -20, s.z, 20, { class: "bp-grid" });
      controls.set(s);
      legend.replaceChildren(ui.legend([[names[s.first], "bp-c0"], [names[s.second], "bp-c1"],
        ["target y", "bp-c3"]]));
      const row = (slot) => {
        const p = s[slot + "_point"];
        return [names[s[slot]], ui.fmt(p.a, 4), ui.fmt(p.a - s.y, 4, true), ui.fmt(p.factor, 3),
          ui.fmt(p.delta, 3, true), ui.fmt(p.cost, 3)];
      };
      table.replaceChildren(ui.el("table", { class: "bp-readout" },
        ui.el("caption", { text: `at z\u00a0=\u00a0${ui.fixed(s.z, 1, true)}, y\u00a0=\u00a0${ui.fixed(s.y, 2)}` }),
        ui.el("thead", {}, ui.el("tr", {}, ["pairing", "a", "a − y", "factor σ′", "δ", "Cₓ"]
          .map((h) => ui.el("th", { scope: "col", text: h })))),
        ui.el("tbody", {}, [row("first"), row("second")].map((r) => ui.el("tr", {},
          ui.el("th", { scope: "row", text: r[0] }), r.slice(1).map((v) => ui.el("td", { text: v })))))));
    };
  } });
}
