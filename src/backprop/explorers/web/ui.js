// ui.js: what every explorer view shares (controls, SVG charts, numbers).
//
// Controls have a visible <label>, work from the keyboard (native range
// inputs and selects) and announce their value (aria-valuetext). A view
// changes the model's controls with ui.setControls, and after every redraw
// calls ui.publish so that its root element carries data-explorer and an
// up-to-date data-state (the JSON of what it shows). Plain ES2020.

const SVG_NS = "http://www.w3.org/2000/svg";

const ui = {
  // Return a new HTML element with attributes (on* keys become listeners) and children.
  el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    ui._attrs(node, attrs);
    for (const c of children.flat()) if (c != null) node.append(c);
    return node;
  },
  // Return a new SVG element with attributes.
  svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    ui._attrs(node, attrs);
    for (const c of children.flat()) if (c != null) node.append(c);
    return node;
  },
  _attrs(node, attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
  },

  // -- numbers -------------------------------------------------------------
  // Return x with `digits` significant digits, a real minus sign, and
  // exponent notation for very small or large numbers.
  fmt(x, digits = 3, sign = false) {
    if (!Number.isFinite(x)) return String(x);
    let s;
    const ax = Math.abs(x);
    if (x === 0) s = "0";
    else if (ax < 1e-3 || ax >= 1e5) {
      const [m, e] = x.toExponential(Math.max(digits - 1, 0)).split("e");
      s = `${m}e${Number(e)}`;
    } else s = String(Number(x.toPrecision(digits)));
    if (sign && x > 0) s = "+" + s;
    return s.replace(/-/g, "\u2212");
  },
  // Return x with a fixed number of decimals (a real minus sign, no "−0.00").
  fixed(x, decimals = 2, sign = false) {
    const t = x.toFixed(decimals), s = (sign && x > 0 ? "+" : "") + (/^-0\.?0*$/.test(t) ? t.slice(1) : t);
    return s.replace(/-/g, "\u2212");
  },
  sup: (n) => String(n).replace(/[0-9]/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[d]),
  sub: (n) => String(n).replace(/[0-9]/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]),
  // Every entry of kinds ("w", "b", "x", "y") of a network of sizes, 1-based,
  // from input to output, as controls.entries lists them.
  entries(kinds, sizes, onehot = false) {
    const L = sizes.length - 1, out = [], n = (m, f) => Array.from({ length: m }, (_, i) => f(i + 1));
    out.push(...n(sizes[0], (j) => ({ kind: "x", j })));
    for (let l = 1; l <= L; l++) {
      out.push(...n(sizes[l] * sizes[l - 1], (t) => ({ kind: "w", l, j: Math.ceil(t / sizes[l - 1]), k: ((t - 1) % sizes[l - 1]) + 1 })));
      out.push(...n(sizes[l], (j) => ({ kind: "b", l, j })));
    }
    if (!onehot) out.push(...n(sizes[L], (j) => ({ kind: "y", j })));
    return out.filter((e) => kinds.includes(e.kind));
  },
  // The text's name of a network entry {kind, l, j, k} (controls.Entry,
  // 1-based): w²₁₃, b¹₂, x₂, y₁; a comma parts two-digit indices (w¹₁₀,₂).
  entryName: (e) => (e.kind === "w" ? `w${ui.sup(e.l)}${ui.sub(e.j)}${e.j > 9 || e.k > 9 ? "," : ""}${ui.sub(e.k)}`
    : e.kind === "b" ? `b${ui.sup(e.l)}${ui.sub(e.j)}` : `${e.kind}${ui.sub(e.j)}`),

  // -- controls ------------------------------------------------------------
  // Return a labelled range slider: {root, input, set(value)}. `format(v)` is
  // the visible readout and the aria-valuetext; `toValue`/`fromValue` map the
  // slider position to the control's value (for log scales).
  slider({ label, min, max, step, value, format = String, onInput, key,
    toValue = (p) => p, fromValue = (v) => v }) {
    const id = ui.uid(key || "s");
    const input = ui.el("input", { type: "range", id, min, max, step, "data-control": key });
    const out = ui.el("output", { for: id, class: "bp-value", "aria-hidden": "true" });
    const set = (v) => {
      input.value = String(fromValue(v));
      out.textContent = format(v);
      input.setAttribute("aria-valuetext", format(v));
    };
    input.addEventListener("input", () => {
      const v = toValue(Number(input.value));
      out.textContent = format(v);
      input.setAttribute("aria-valuetext", format(v));
      onInput(v);
    });
    set(value);
    const root = ui.el("div", { class: "bp-control" },
      ui.el("label", { for: id, text: label }), input, out);
    return { root, input, set };
  },
  // Return a labelled select: {root, input, set(value)}; options are [value, text] pairs.
  select({ label, options, value, onChange, key }) {
    const id = ui.uid(key || "c");
    const input = ui.el("select", { id, "data-control": key },
      options.map(([v, t]) => ui.el("option", { value: v, text: t })));
    input.value = String(value);
    input.addEventListener("change", () => onChange(input.value));
    const root = ui.el("div", { class: "bp-control" },
      ui.el("label", { for: id, text: label }), input);
    return { root, input, set: (v) => { input.value = String(v); } };
  },
  // Return the controls of a spec (config.spec: Range and Choice of
  // backprop.explorers.host) as {root, items, set(state)}: each control
  // calls on[name](value) if given, else sets its value in the model.
  controls(model, on = {}) {
    const c0 = model.get("controls"), items = {};
    for (const c of model.get("config").spec) {
      if (c.kind !== "range" && c.kind !== "choice") continue; // a view's own widgets
      const onInput = on[c.name] || ((v) => ui.setControls(model, { [c.name]: v }));
      if (c.kind === "range") {
        items[c.name] = ui.slider({
          label: c.label, key: c.name, value: c0[c.name], onInput,
          ...(c.log ? { min: Math.log2(c.lo), max: Math.log2(c.hi), toValue: (p) => 2 ** p, fromValue: Math.log2 }
            : { min: c.lo, max: c.hi }),
          step: c.step, format: (v) => ui.fixed(v, c.decimals, c.sign),
        });
      } else if (c.slider) {
        const values = c.options.map(([v]) => v), text = Object.fromEntries(c.options);
        const index = (v) => values.reduce((b, w, i) => (Math.abs(w - v) < Math.abs(values[b] - v) ? i : b), 0);
        items[c.name] = ui.slider({
          label: c.label, key: c.name, value: c0[c.name], onInput, min: 0, max: values.length - 1, step: 1,
          toValue: (i) => values[i], fromValue: index, format: (v) => text[v] ?? String(v),
        });
      } else {
        const numeric = typeof c.options[0][0] === "number";
        items[c.name] = ui.select({
          label: c.label, key: c.name, value: c0[c.name], options: c.options,
          onChange: (v) => onInput(numeric ? Number(v) : v),
        });
      }
    }
    const root = ui.el("div", { class: "bp-controls" }, Object.values(items).map((x) => x.root));
    return { root, items, set: (s) => { for (const k in items) if (k in s) items[k].set(s[k]); } };
  },
  _uid: 0,
  // Return an id unique on the page (several explorers may share one).
  uid(prefix) {
    ui._uid += 1;
    return `bp-${prefix}-${ui._uid}-${Math.random().toString(36).slice(2, 7)}`;
  },

  // -- the host protocol ---------------------------------------------------
  // Merge `patch` into the model's controls and ask the host to recompute.
  setControls(model, patch) {
    model.set("controls", { ...model.get("controls"), ...patch });
    model.save_changes();
  },
  // Mark el as explorer `name`, store the state it shows as data-state and
  // count the redraws in data-drawn (a view-only control, such as the
  // entry chapter 7 explains, redraws without changing the state).
  publish(el, name, state) {
    el.setAttribute("data-explorer", name);
    el.setAttribute("data-state", JSON.stringify(state));
    el.setAttribute("data-drawn", String(Number(el.getAttribute("data-drawn") || 0) + 1));
  },
  // Start a view: clear el (the book's no-JavaScript fallback goes), build
  // it with build(el) -> draw(state), draw now and on every change:state.
  mount({ model, el, name, build }) {
    el.replaceChildren();
    el.classList.add("bp-explorer", "bp-wide", "bp-live");
    // In JupyterLab the notebook's key handler, further up, takes the keys
    // of a focused control (arrows and Home/End move the active cell, a
    // digit retypes it): keep them to the control. Escape and the
    // Enter-to-run shortcuts still reach the notebook.
    el.addEventListener("keydown", (e) => {
      const run = e.key === "Enter" && (e.shiftKey || e.ctrlKey || e.altKey || e.metaKey);
      if (e.target.closest("input, select") && !run && e.key !== "Escape") e.stopPropagation();
    });
    const howto = (model.get("config") || {}).howto;
    if (howto) el.append(ui.el("p", { class: "bp-note bp-howto", text: howto }));
    const charts = (ui._charts = []); // the charts build() makes, for fit()
    const draw = build(el);
    const redraw = () => {
      const state = model.get("state");
      draw(state);
      ui.publish(el, name, state);
    };
    // Each chart's drawing is as wide as the chart on the page, so that its
    // text is drawn at its own size (13.5 px) at every width.
    const fit = () => {
      if (charts.filter((c) => c.fit()).length) redraw();
    };
    model.on("change:state", redraw);
    redraw();
    fit();
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(fit).observe(el);
    return () => model.off("change:state", redraw);
  },

  // -- charts --------------------------------------------------------------
  // Return an SVG chart {root, x(v), y(v), line(key, xs, ys, attrs),
  // dot(key, x, y, attrs), segment(key, x0, y0, x1, y1, attrs), setY([lo, hi])}.
  // Scales are linear, or logarithmic with ylog; drawn elements are kept by
  // key and moved in place.
  chart({ width = 380, height = 240, x, y, ylog = false, xlabel = "", ylabel = "", title = "", xticks = null }) {
    const m = { l: ylabel ? 66 : 50, r: 12, t: title ? 24 : 10, b: 42 };
    const root = ui.svg("svg", {
      viewBox: `0 0 ${width} ${height}`, class: "bp-chart", role: "img",
      style: `flex:1 1 ${width}px;max-width:min(100%, ${Math.round(width * 1.5)}px)`,
      "aria-label": title || ylabel,
    });
    // Everything drawn is clipped to the frame of the axes.
    const clip = ui.uid("clip");
    const axes = ui.svg("g", { class: "bp-axes" });
    const plot = ui.svg("g", { class: "bp-plot", "clip-path": `url(#${clip})` });
    const clipRect = ui.svg("rect", { x: m.l, y: m.t, width: width - m.l - m.r, height: height - m.t - m.b });
    root.append(ui.svg("clipPath", { id: clip }, clipRect), axes, plot);
    const c = { root, items: {}, xr: x, yr: y };
    (ui._charts || []).push(c);
    // Make the drawing `w` wide (the view redraws what is plotted).
    c.fit = () => {
      const w = Math.round(root.getBoundingClientRect().width);
      if (!(w > 0) || Math.abs(w - width) < 2) return false;
      width = w;
      root.setAttribute("viewBox", `0 0 ${width} ${height}`);
      clipRect.setAttribute("width", width - m.l - m.r);
      c.drawAxes();
      return true;
    };
    const tf = (v) => (ylog ? Math.log10(v) : v);
    // Far-off points stay finite; the clip path cuts everything at the frame.
    const unit = (t) => Math.min(Math.max(t, -1), 2);
    c.x = (v) => m.l + unit((v - c.xr[0]) / (c.xr[1] - c.xr[0])) * (width - m.l - m.r);
    c.y = (v) => {
      const t = (tf(v) - tf(c.yr[0])) / (tf(c.yr[1]) - tf(c.yr[0]));
      const py = height - m.b - unit(t) * (height - m.t - m.b);
      return Number.isFinite(py) ? py : height - m.b;
    };
    const ticks = (lo, hi, log) => {
      if (log) {
        const a = Math.ceil(Math.log10(lo)), b = Math.floor(Math.log10(hi));
        const step = Math.max(1, Math.ceil((b - a + 1) / 6));
        const out = [];
        for (let e = a; e <= b; e += step) out.push(10 ** e);
        // Under two decades in view: 1, 2 and 5 times the powers (then 1..9).
        for (const ms of [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
          if (out.length >= 2) break;
          out.length = 0;
          for (let e = Math.floor(Math.log10(lo)); e <= b + 1; e++) {
            for (const f of ms) if (f * 10 ** e >= lo && f * 10 ** e <= hi) out.push(f * 10 ** e);
          }
        }
        return out;
      }
      const raw = (hi - lo) / 5, p = 10 ** Math.floor(Math.log10(raw));
      const s = [1, 2, 5, 10].map((f) => f * p).find((f) => f >= raw);
      const out = [];
      for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9 * s; v += s) out.push(Math.abs(v) < 1e-12 ? 0 : v);
      return out;
    };
    const tickText = (v, log) => (log && Number.isInteger(Math.log10(v))
      ? `1e${Math.round(Math.log10(v))}`.replace("-", "\u2212") : ui.fmt(v, 3));
    c.drawAxes = () => {
      axes.replaceChildren();
      const x0 = m.l, x1 = width - m.r, y0 = height - m.b, y1 = m.t;
      axes.append(ui.svg("rect", { x: x0, y: y1, width: x1 - x0, height: y0 - y1, class: "bp-frame" }));
      const xt = xticks || ticks(c.xr[0], c.xr[1], false).map((v) => [v, tickText(v, false)]);
      for (const [v, t] of xt) {
        axes.append(ui.svg("line", { x1: c.x(v), x2: c.x(v), y1: y0, y2: y0 + 4, class: "bp-tick" }));
        axes.append(ui.svg("text", { x: c.x(v), y: y0 + 17, "text-anchor": "middle", class: "bp-tick-label", text: t }));
      }
      for (const v of ticks(c.yr[0], c.yr[1], ylog)) {
        axes.append(ui.svg("line", { x1: x0 - 4, x2: x1, y1: c.y(v), y2: c.y(v), class: "bp-grid" }));
        axes.append(ui.svg("text", { x: x0 - 6, y: c.y(v) + 4.5, "text-anchor": "end", class: "bp-tick-label", text: tickText(v, ylog) }));
      }
      if (xlabel) axes.append(ui.svg("text", { x: (x0 + x1) / 2, y: height - 4, "text-anchor": "middle", class: "bp-label", text: xlabel }));
      if (ylabel) axes.append(ui.svg("text", { x: 14, y: (y0 + y1) / 2, "text-anchor": "middle", class: "bp-label", transform: `rotate(-90 14 ${(y0 + y1) / 2})`, text: ylabel }));
      if (title) axes.append(ui.svg("text", { x: (x0 + x1) / 2, y: 16, "text-anchor": "middle", class: "bp-title", text: title }));
    };
    c.setY = (yr) => {
      if (yr[0] !== c.yr[0] || yr[1] !== c.yr[1]) { c.yr = yr; c.drawAxes(); }
    };
    c.setX = (xr) => {
      if (xr[0] !== c.xr[0] || xr[1] !== c.xr[1]) { c.xr = xr; c.drawAxes(); }
    };
    const item = (key, tag, attrs) => {
      let node = c.items[key];
      if (!node) { node = c.items[key] = ui.svg(tag, {}); plot.append(node); }
      ui._attrs(node, attrs);
      return node;
    };
    c.line = (key, xs, ys, attrs = {}) => item(key, "polyline", {
      "stroke-width": 2, ...attrs, fill: "none",
      points: xs.map((v, i) => `${c.x(v).toFixed(1)},${c.y(ys[i]).toFixed(1)}`).join(" "),
    });
    c.dot = (key, xv, yv, attrs = {}) => item(key, "circle", { r: 4.5, ...attrs, cx: c.x(xv).toFixed(1), cy: c.y(yv).toFixed(1) });
    c.segment = (key, xa, ya, xb, yb, attrs = {}) => item(key, "line", {
      ...attrs, x1: c.x(xa).toFixed(1), y1: c.y(ya).toFixed(1), x2: c.x(xb).toFixed(1), y2: c.y(yb).toFixed(1),
    });
    c.hide = (key) => { if (c.items[key]) c.items[key].setAttribute("visibility", "hidden"); };
    c.show = (key) => { if (c.items[key]) c.items[key].removeAttribute("visibility"); };
    c.drawAxes();
    return c;
  },
  // Return an element for a legend: [text, css class] pairs, each with a swatch.
  legend(entries) {
    return ui.el("ul", { class: "bp-legend" }, entries.map(([text, cls]) =>
      ui.el("li", {}, ui.el("span", { class: `bp-swatch ${cls}`, "aria-hidden": "true" }), text)));
  },
  // Return a <table> of readouts: rows of [name, value] (text, not colour).
  table(rows, caption) {
    return ui.el("table", { class: "bp-readout" },
      caption ? ui.el("caption", { text: caption }) : null,
      ui.el("tbody", {}, rows.map((r) => ui.el("tr", {},
        ui.el("th", { scope: "row", text: r[0] }), r.slice(1).map((v) => ui.el("td", { text: v }))))));
  },
};

// -- the book's stand-in for the widget model ----------------------------------
// Holds {config, controls, state}; save_changes() recomputes the state with
// the in-page engine, compute(config, controls), and fires change:state, as
// the Python widget does in JupyterLab with the package.
ui.bookModel = function bookModel(data, compute) {
  const values = { ...data };
  const listeners = {};
  return {
    get: (key) => values[key],
    set: (key, value) => { values[key] = value; },
    save_changes() {
      values.state = compute(values.config, values.controls);
      for (const cb of listeners["change:state"] || []) cb();
    },
    on: (event, cb) => { (listeners[event] ||= []).push(cb); },
    off: (event, cb) => {
      listeners[event] = (listeners[event] || []).filter((f) => f !== cb);
    },
  };
};
// Start explorer `key` of the book page: read its data, replace its fallback.
ui.boot = function boot(key, compute, render) {
  const root = document.querySelector(`[data-bp-key="${key}"]`);
  const data = JSON.parse(root.querySelector("script.bp-data").textContent);
  const model = ui.bookModel(data, compute);
  root.bpModel = model; // for tests and readers' tools: set controls, save_changes()
  render({ model, el: root });
};
