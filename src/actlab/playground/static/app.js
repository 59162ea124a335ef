// actlab playground: the page. State lives in the URL; numbers come from the server's API.
"use strict";

// ---- state, kept in the query string ---------------------------------------------------
const DEFAULTS = {
  view: "functions",
  activations: "gelu,relu,tanh", xmin: "-5", xmax: "5",
  vfuncs: "softmax,sparsemax,log_softmax",
  vectors: "1,2,3,4,1,2,3;0.1,0.2,0.3,0.4,0.1,0.2,0.3",
  theory: "tanh", init: "lecun_normal", sigma_w2: "", sigma_b2: "0", depth: "32",
  dataset: "circle", train: "relu,tanh", hidden: "8,8", lr: "0.03", optimizer: "sgd",
  batch: "10", steps: "1000", noise: "0", points: "400", seed: "0",
};
const state = Object.assign({}, DEFAULTS);
for (const [key, value] of new URLSearchParams(location.search)) {
  if (key in DEFAULTS) state[key] = value;
}

function saveState() {
  const parts = [];
  for (const key of Object.keys(DEFAULTS)) {
    if (state[key] !== DEFAULTS[key]) {
      // Commas, colons, semicolons and parentheses stay readable: ?activations=gelu,keras:elu
      const value = encodeURIComponent(state[key]).replace(/%2C/g, ",").replace(/%3A/g, ":")
        .replace(/%3B/g, ";");
      parts.push(`${key}=${value}`);
    }
  }
  history.replaceState(null, "", parts.length ? `?${parts.join("&")}` : location.pathname);
}

// What tests (and the curious) can read: counters of finished redraws and the last data.
const playground = window.actlabPlayground = { renders: {}, errors: [], data: {} };
function rendered(name, data) {
  playground.renders[name] = (playground.renders[name] || 0) + 1;
  playground.data[name] = data;
}

// ---- helpers ------------------------------------------------------------------------------
const $ = (id) => document.getElementById(id);
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
const PLOT_CONFIG = { displaylogo: false, responsive: true,
                      modeBarButtonsToRemove: ["lasso2d", "select2d"] };

function layout(title, extra = {}) {
  return Object.assign({
    title: { text: title, font: { size: 13 }, x: 0.01, xanchor: "left" },
    margin: { l: 50, r: 15, t: 40, b: 75 }, hovermode: "closest",
    legend: { orientation: "h", y: -0.28 }, font: { size: 11 },
  }, extra);
}

function draw(id, traces, plotLayout) {
  return Plotly.react($(id), traces, plotLayout, PLOT_CONFIG);
}

// Split "gelu,leaky_relu(0.5),x*sigmoid(b*x); b=1" at commas outside parentheses (the
// server does the same; this is only used to count and edit items).
function splitList(text) {
  const items = [];
  let depth = 0, current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    if (c === ")") depth = Math.max(0, depth - 1);
    if (c === "," && depth === 0 &&
        !(current.includes(";") && /^\s*[A-Za-z_]\w*\s*=/.test(text.slice(i + 1)))) {
      if (current.trim()) items.push(current.trim());
      current = "";
      continue;
    }
    current += c;
  }
  if (current.trim()) items.push(current.trim());
  return items;
}

async function api(path, params) {
  const response = await fetch(`${path}?${new URLSearchParams(params)}`);
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function setStatus(id, text, isError = false) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle("error", isError);
  if (isError) playground.errors.push(text);
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function latex(el, source) {
  try {
    katex.render(source, el, { output: "mathml", throwOnError: true, displayMode: true });
  } catch (err) {
    el.textContent = source;  // shown as LaTeX source rather than not at all
  }
}

function fmt(value, digits = 4) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  return Number(value.toPrecision(digits)).toString();
}

// Fetches that may overlap: only the latest answer is drawn.
function latestOnly(fn) {
  let ticket = 0;
  return async (...args) => {
    const mine = ++ticket;
    const result = await fn(...args);
    return mine === ticket ? result : undefined;
  };
}

// ---- functions view -------------------------------------------------------------------------
const fetchFunctions = latestOnly((params) => api("/api/functions", params));

// fromLink: a name in the address that the catalog does not know is left out (and said
// so) rather than leaving the whole view empty; later edits keep what the user typed.
async function loadFunctions(fromLink = false) {
  setStatus("functions-status", "computing…");
  try {
    const data = await fetchFunctions({ activations: state.activations,
                                        xmin: state.xmin, xmax: state.xmax });
    if (!data) return;
    drawFunctions(data);
    setStatus("functions-status", "");
  } catch (err) {
    const items = splitList(state.activations);
    const bad = items.find((text) => err.message.startsWith(`${text}: `));
    if (fromLink && bad && items.length > 1) {
      state.activations = items.filter((text) => text !== bad).join(",");
      saveState();
      await loadFunctions(true);
      setStatus("functions-status", `left out ${err.message}`, true);
      return;
    }
    setStatus("functions-status", err.message, true);
  }
}

function curveTraces(fn, order, color) {
  const curve = fn.curves[order];
  const traces = [{ x: curve.x, y: curve.y, mode: "lines", name: fn.label,
                    line: { color, width: 2 }, legendgroup: fn.label }];
  if (curve.jumps.length) {
    const x = curve.jumps.flatMap((j) => [j.x, j.x]);
    const y = curve.jumps.flatMap((j) => [j.left, j.right]);
    traces.push({ x, y, mode: "markers", showlegend: false, hoverinfo: "x+y",
                  legendgroup: fn.label,
                  marker: { color: "white", size: 7, line: { color, width: 1.5 } } });
    traces.push({ x: curve.jumps.map((j) => j.x), y: curve.jumps.map((j) => j.value),
                  mode: "markers", showlegend: false, legendgroup: fn.label,
                  marker: { color, size: 7 } });
  }
  return traces;
}

function drawFunctions(data) {
  const curves = data.functions.filter((fn) => fn.curves);
  const titles = ["f(x)", "f′(x)", "f″(x)"];
  ["plot-f", "plot-f1", "plot-f2"].forEach((id, order) => {
    const traces = curves.flatMap((fn) =>
      curveTraces(fn, order, COLORS[data.functions.indexOf(fn) % COLORS.length]));
    draw(id, traces, layout(titles[order], { xaxis: { title: { text: "x" } } }));
  });
  drawTransformation(data);
  drawCards(data);
  rendered("functions", data);
}

function drawTransformation(data) {
  const withView = data.functions.filter((fn) => fn.transformation);
  const inputs = withView.length ? withView[0].transformation.x : [];
  const traces = [{ x: inputs, y: inputs, mode: "markers", name: "y = x (inputs)",
                    marker: { color: "#3b4650", size: 8 } }];
  for (const fn of withView) {
    const color = COLORS[data.functions.indexOf(fn) % COLORS.length];
    traces.push({ x: fn.transformation.x, y: fn.transformation.y, mode: "lines+markers",
                  name: fn.label + (fn.transformation.whole_vector ? " (over the whole vector)" : ""),
                  line: { color }, marker: { color, size: 5 } });
  }
  draw("plot-transformation", traces, layout("Seed 001: how each activation moves the points of y = x",
                                             { xaxis: { title: { text: "input x" } } }));
}

function composeText(fn, values) {
  const changed = fn.params.filter((p) => values[p.name] !== p.default);
  if (!changed.length) return fn.base;
  const write = (v) => (v === null ? "None" : typeof v === "string" ? `'${v}'` :
                        typeof v === "boolean" ? (v ? "True" : "False") : String(v));
  const args = changed.map((p) => `${p.name}=${write(values[p.name])}`).join(", ");
  return fn.style === "formula" ? `${fn.base}; ${args}` : `${fn.base}(${args})`;
}

const reloadFunctions = debounce(() => { saveState(); loadFunctions(); }, 200);

function replaceActivation(index, text) {
  const items = splitList(state.activations);
  items[index] = text;
  state.activations = items.join(",");
  reloadFunctions();
}

function paramControl(fn, index, param, values) {
  const row = document.createElement("label");
  row.className = "param";
  row.title = `${param.doc} (${param.constraint})`;
  row.append(`${param.name} `);
  const update = () => replaceActivation(index, composeText(fn, values));
  if (param.kind === "choice") {
    const select = document.createElement("select");
    for (const c of param.choices) select.add(new Option(String(c), String(c), false, c === param.value));
    select.onchange = () => { values[param.name] = select.value; update(); };
    row.append(select);
  } else if (param.kind === "bool") {
    const box = Object.assign(document.createElement("input"), { type: "checkbox", checked: param.value });
    box.onchange = () => { values[param.name] = box.checked; update(); };
    row.append(box);
  } else {
    const step = param.step || Math.max((param.high - param.low) / 200, 1e-4);
    const slider = Object.assign(document.createElement("input"), {
      type: "range", min: param.low, max: param.high, step,
      value: param.value === null ? param.low : param.value });
    const number = Object.assign(document.createElement("input"), {
      type: "number", step: "any", size: 6, value: param.value === null ? "" : param.value,
      placeholder: "none" });
    slider.oninput = () => { number.value = slider.value; values[param.name] = Number(slider.value); update(); };
    number.onchange = () => {
      values[param.name] = number.value === "" ? null : Number(number.value);
      if (number.value !== "") slider.value = number.value;
      update();
    };
    row.append(slider, number);
  }
  return row;
}

function drawCards(data) {
  const cards = $("function-cards");
  cards.replaceChildren();
  data.functions.forEach((fn, index) => {
    const card = document.createElement("div");
    card.className = "card";
    card.style.borderTopColor = COLORS[index % COLORS.length];
    const head = document.createElement("div");
    head.className = "card-head";
    const title = document.createElement("strong");
    title.textContent = fn.label;
    const remove = Object.assign(document.createElement("button"), {
      textContent: "✕", title: "remove", className: "remove" });
    remove.onclick = () => {
      const items = splitList(state.activations);
      items.splice(index, 1);
      state.activations = items.join(",");
      reloadFunctions();
    };
    head.append(title);
    if (fn.kind === "elementwise") {
      const theory = Object.assign(document.createElement("button"), {
        textContent: "theory", title: "mean-field theory of this activation" });
      theory.onclick = () => {
        state.theory = fn.text;
        playground.renders.theory = 0;
        syncTheoryControls();
        showView("theory");
      };
      head.append(theory);
    }
    head.append(remove);
    const formula = document.createElement("div");
    formula.className = "formula";
    latex(formula, fn.latex);
    const summary = document.createElement("p");
    summary.className = "note";
    summary.textContent = fn.summary;
    card.append(head, formula, summary);
    if (fn.spellings.length > 1) {
      const label = document.createElement("label");
      label.className = "param";
      label.append("spelling ");
      const select = document.createElement("select");
      const current = fn.spellings.includes(fn.base) ? fn.base : null;
      if (!current) select.add(new Option(fn.base, fn.base, true, true));
      for (const s of fn.spellings) select.add(new Option(s, s, false, s === current));
      select.onchange = () => replaceActivation(index, select.value);
      label.append(select);
      card.append(label);
    }
    const values = Object.fromEntries(fn.params.map((p) => [p.name, p.value]));
    for (const param of fn.params) card.append(paramControl(fn, index, param, values));
    const table = document.createElement("table");
    const props = Object.assign({ kind: fn.kind, family: fn.family }, fn.properties);
    for (const [key, value] of Object.entries(props)) {
      const row = table.insertRow();
      row.insertCell().textContent = key.replace(/_/g, " ");
      row.insertCell().textContent = value === true ? "yes" : value === false ? "no" : fmt(value);
    }
    card.append(table);
    if (fn.properties_note) {
      const note = document.createElement("p");
      note.className = "note";
      note.textContent = `Properties ${fn.properties_note}.`;
      card.append(note);
    }
    cards.append(card);
  });
}

async function addActivation() {
  const text = $("add-activation").value.trim();
  if (!text) return;
  const items = splitList(state.activations);
  if (items.length >= 6) { setStatus("functions-status", "at most 6 activations at once", true); return; }
  const candidate = [...items, text].join(",");
  try {
    await api("/api/functions", { activations: text, points: 11 });  // checks it first
  } catch (err) {
    setStatus("functions-status", err.message, true);
    return;
  }
  state.activations = candidate;
  $("add-activation").value = "";
  saveState();
  loadFunctions();
}

// ---- vector functions -------------------------------------------------------------------------
const fetchVectors = latestOnly((params) => api("/api/vectors", params));

function vectorInputs() {
  const box = $("vector-inputs");
  box.replaceChildren();
  state.vectors.split(";").forEach((text, index, all) => {
    const row = document.createElement("label");
    row.className = "param";
    row.append(`vector ${index + 1} `);
    const input = Object.assign(document.createElement("input"), { value: text, size: 34 });
    input.onchange = () => {
      const vectors = state.vectors.split(";");
      vectors[index] = input.value.trim();
      state.vectors = vectors.join(";");
      saveState();
      loadVectors();
    };
    row.append(input);
    if (all.length > 1) {
      const remove = Object.assign(document.createElement("button"), { textContent: "✕" });
      remove.onclick = () => {
        const vectors = state.vectors.split(";");
        vectors.splice(index, 1);
        state.vectors = vectors.join(";");
        saveState();
        vectorInputs();
        loadVectors();
      };
      row.append(remove);
    }
    box.append(row);
  });
}

async function loadVectors() {
  try {
    const data = await fetchVectors({ functions: state.vfuncs, vectors: state.vectors });
    if (!data) return;
    const plots = $("vector-plots");
    // Every plot's box exists before the first is drawn, so each is drawn at its own size.
    plots.replaceChildren(...data.inputs.map((_, v) =>
      Object.assign(document.createElement("div"), { className: "plot", id: `plot-vector-${v}` })));
    data.inputs.forEach((input, v) => {
      const div = $(`plot-vector-${v}`);
      const categories = input.map((x, i) => `x${i + 1} = ${fmt(x)}`);
      const traces = data.functions.map((fn, k) => ({
        type: "bar", x: categories, y: fn.outputs[v], name: fn.label,
        marker: { color: COLORS[k % COLORS.length] },
      }));
      draw(div.id, traces, layout(`[${input.map((x) => fmt(x)).join(", ")}]`,
                                  { barmode: "group" }));
    });
    setStatus("vectors-status", "");
    rendered("vectors", data);
  } catch (err) {
    setStatus("vectors-status", err.message, true);
  }
}

// ---- theory view ------------------------------------------------------------------------------
const fetchTheory = latestOnly((params) => api("/api/theory", params));
const fetchPhase = latestOnly((params) => api("/api/phase", params));

function theoryParams() {
  const params = { activation: state.theory, init: state.init, sigma_b2: state.sigma_b2,
                   depth: state.depth };
  if (state.init === "custom" && state.sigma_w2) params.sigma_w2 = state.sigma_w2;
  return params;
}

async function loadTheory() {
  setStatus("theory-status", "computing…");
  try {
    const data = await fetchTheory(theoryParams());
    if (!data) return;
    drawTheory(data);
    setStatus("theory-status", "computing the phase diagram…");
    const phase = await fetchPhase({ activation: state.theory, sigma_w2: data.sigma_w2,
                                     sigma_b2: data.sigma_b2 });
    if (!phase) return;
    drawPhase(phase, data);
    setStatus("theory-status", "");
  } catch (err) {
    setStatus("theory-status", err.message, true);
  }
}

function drawTheory(data) {
  const mf = data.mean_field, rec = data.recommended;
  // The slider reaches past this point and the critical σ_w² (sigmoid's is about 103).
  const slider = $("theory-sigma-w2");
  slider.max = Math.max(6, Math.ceil(1.5 * Math.max(data.sigma_w2, mf.critical_sigma_w2 || 0)));
  slider.value = data.sigma_w2;
  $("theory-sigma-w2-value").textContent = fmt(data.sigma_w2);
  const rows = [
    ["activation", data.activation],
    ["σ_w², σ_b²", `${fmt(data.sigma_w2)}, ${fmt(data.sigma_b2)} (${data.init})`],
    ["phase", mf.phase],
    ["q* (variance fixed point)", fmt(mf.q_star)],
    ["χ₁ = σ_w² E[φ′(√q* z)²]", fmt(mf.chi_1)],
    ["ξ_q (depth scale of q)", fmt(mf.xi_q)],
    ["c* (correlation fixed point)", fmt(mf.c_star)],
    ["ξ_c (depth scale of c)", fmt(mf.xi_c)],
    ["critical σ_w² at this σ_b²", mf.critical_sigma_w2 === null ? "none (χ₁ never reaches 1)" : fmt(mf.critical_sigma_w2)],
    ["recommended init", `${rec.init} (gain ${fmt(rec.gain)}, σ_w² = ${fmt(rec.sigma_w2)})`],
    ["why", rec.reason],
    ["through depth", `signal ${data.propagation.verdict.forward}, gradient ${data.propagation.verdict.backward}, inputs ${data.propagation.verdict.inputs}`],
  ];
  const table = $("theory-numbers");
  table.replaceChildren();
  for (const [key, value] of rows) {
    const row = table.insertRow();
    row.insertCell().textContent = key;
    row.insertCell().textContent = value;
  }
  const prop = data.propagation;
  const pair = (key) => [
    { x: prop.layers, y: prop.theory[key], mode: "lines", name: "mean-field theory",
      line: { color: COLORS[0] } },
    { x: prop.layers, y: prop.simulation[key], mode: "markers", name: `simulation (width ${data.setup.width})`,
      marker: { color: COLORS[1], size: 5 } },
  ];
  const axes = (title, logY) => layout(title, { xaxis: { title: { text: "layer l" } },
                                                yaxis: { type: logY ? "log" : "linear" } });
  draw("plot-signal", pair("pre_second_moment"), axes("Signal: q^l = E[(h^l)²]", true));
  draw("plot-correlation", pair("correlation"), axes("Correlation of two inputs: c^l", false));
  draw("plot-gradient", pair("grad_norm"), axes("Gradient: ‖∂L/∂h^l‖", true));
  rendered("theory", data);
}

function drawPhase(phase, data) {
  const traces = [
    { type: "heatmap", x: phase.sigma_w2, y: phase.sigma_b2, z: phase.chi_1, zmid: 1,
      colorscale: "RdBu", reversescale: true, colorbar: { title: { text: "χ₁" } },
      hovertemplate: "σ_w² %{x:.3g}<br>σ_b² %{y:.3g}<br>χ₁ %{z:.3g}<extra></extra>" },
    { x: phase.edge_sigma_w2, y: phase.edge_sigma_b2, mode: "lines", name: "edge of order (χ₁ = 1)",
      line: { color: "black", width: 2 } },
    { x: [data.sigma_w2], y: [data.sigma_b2], mode: "markers", name: "this network",
      marker: { color: "gold", size: 12, line: { color: "black", width: 1.5 } } },
  ];
  draw("plot-phase", traces, layout(`Phase diagram of ${phase.activation}`, {
    xaxis: { title: { text: "σ_w²" } }, yaxis: { title: { text: "σ_b²" } } }));
  const plot = $("plot-phase");
  plot.removeAllListeners?.("plotly_click");
  plot.on("plotly_click", (event) => {
    const point = event.points[0];
    state.init = "custom";
    state.sigma_w2 = String(Number(point.x.toPrecision(4)));
    state.sigma_b2 = String(Number(point.y.toPrecision(4)));
    syncTheoryControls();
    saveState();
    loadTheory();
  });
  rendered("phase", phase);
}

function syncTheoryControls() {
  $("theory-activation").value = state.theory;
  $("theory-init").value = state.init;
  if (state.sigma_w2) $("theory-sigma-w2").value = state.sigma_w2;
  $("theory-sigma-w2-value").textContent = state.sigma_w2 || "";
  $("theory-sigma-b2").value = state.sigma_b2;
  $("theory-sigma-b2-value").textContent = state.sigma_b2;
  $("theory-depth").value = state.depth;
  $("theory-depth-value").textContent = state.depth;
}

// ---- training view ----------------------------------------------------------------------------
let socket = null;
let curves = null;       // scalars of every snapshot, for the loss curves
let setup = null;
let latest = null;
let frameRequested = false;
let ending = null;       // how the run ended, once it has

// Numbers go as typed: the server reads them and names any that is not one.
function trainingRequest() {
  return {
    dataset: state.dataset, activations: splitList(state.train), hidden: state.hidden,
    learning_rate: state.lr, optimizer: state.optimizer, batch_size: state.batch,
    steps: state.steps, noise: state.noise, points: state.points, seed: state.seed,
  };
}

function startTraining() {
  stopTraining();
  const protocol = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${protocol}://${location.host}/api/train`);
  curves = []; setup = null; latest = null; ending = null;
  $("train-start").disabled = true;
  $("train-stop").disabled = false;
  setStatus("train-status", "starting…");
  socket.onopen = () => socket.send(JSON.stringify(trainingRequest()));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "setup") {
      setup = message;
      makeBoundaryPlots();
    } else if (message.type === "snapshot") {
      latest = message;
      curves.push({ step: message.step, models: message.models.map((m) => ({
        train_loss: m.train_loss, test_loss: m.test_loss })) });
      if (!frameRequested) { frameRequested = true; requestAnimationFrame(drawTraining); }
    } else if (message.type === "error") {
      setStatus("train-status", message.message, true);
    } else if (message.type === "done" || message.type === "stopped") {
      ending = message.type === "done" ? `done: ${latest ? latest.step : 0} steps`
                                       : `stopped: ${message.reason}`;
      setStatus("train-status", ending);
    }
  };
  socket.onclose = () => {
    $("train-start").disabled = false;
    $("train-stop").disabled = true;
    socket = null;
  };
}

function stopTraining() {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "stop" }));
}

function makeBoundaryPlots() {
  const box = $("train-boundaries");
  box.replaceChildren();
  setup.activations.forEach((_, k) => {
    const div = document.createElement("div");
    div.className = "plot";
    div.id = `plot-boundary-${k}`;
    box.append(div);
  });
}

function pointsTrace(part, name, symbol) {
  const colors = part.y.map((c) => (c === 1 ? "#e8710a" : "#1a73e8"));
  return { x: part.x.map((p) => p[0]), y: part.x.map((p) => p[1]), mode: "markers", name,
           marker: { color: colors, size: 6, symbol, line: { color: "white", width: 0.8 } },
           hovertemplate: "(%{x:.2f}, %{y:.2f})<extra></extra>" };
}

function drawTraining() {
  frameRequested = false;
  if (!latest || !setup) return;
  setStatus("train-status", ending || `step ${latest.step} of ${setup.steps}`);
  latest.models.forEach((model, k) => {
    const title = `<b>${model.activation}</b><br>loss ${fmt(model.train_loss, 3)} ` +
                  `(test ${fmt(model.test_loss, 3)}), test accuracy ${fmt(model.test_accuracy, 3)}`;
    if (model.boundary) {
      draw(`plot-boundary-${k}`, [
        { type: "heatmap", x: setup.grid, y: setup.grid, z: model.boundary, zmin: 0, zmax: 1,
          colorscale: [[0, "#1a73e8"], [0.5, "#ffffff"], [1, "#e8710a"]], showscale: false,
          hovertemplate: "P(class 1) %{z:.3f}<extra></extra>" },
        pointsTrace(setup.train, "training", "circle"),
        pointsTrace(setup.test, "test", "circle-open"),
      ], layout(title, { showlegend: false, margin: { l: 40, r: 15, t: 55, b: 30 },
                         xaxis: { range: [-6, 6] }, yaxis: { range: [-6, 6], scaleanchor: "x" } }));
    } else {
      const targets = setup.train.y;
      draw(`plot-boundary-${k}`, [{
        type: "heatmap", z: model.outputs, x: ["out 0", "out 1", "out 2"],
        y: targets.map((t, i) => `sample ${i + 1} (class ${t})`), colorscale: "Viridis",
        texttemplate: "%{z:.3f}", hovertemplate: "%{y}, %{x}: %{z:.4f}<extra></extra>",
      }], layout(title, { margin: { l: 120, r: 15, t: 55, b: 30 },
                          yaxis: { autorange: "reversed" } }));
    }
  });
  const loss = [];
  setup.activations.forEach((name, k) => {
    const color = COLORS[k % COLORS.length];
    const steps = curves.map((h) => h.step);
    loss.push({ x: steps, y: curves.map((h) => h.models[k].train_loss), mode: "lines",
                name: `${name} train`, line: { color } });
    loss.push({ x: steps, y: curves.map((h) => h.models[k].test_loss), mode: "lines",
                name: `${name} test`, line: { color, dash: "dot" } });
  });
  draw("plot-loss", loss, layout("Loss", { xaxis: { title: { text: "step" } } }));
  const bars = (key) => latest.models.map((m, k) => ({
    type: "bar", name: m.activation, x: key === "grad_norms" ? setup.layers : setup.layers.slice(0, m[key].length),
    y: m[key], marker: { color: COLORS[k % COLORS.length] } }));
  draw("plot-grad-norms", bars("grad_norms"), layout("Gradient norm of each layer's weights",
                                                     { barmode: "group", yaxis: { type: "log" } }));
  draw("plot-dead", bars("dead"), layout("Dead units (f′ = 0 on every training sample)",
                                         { barmode: "group", yaxis: { range: [0, 1] } }));
  rendered("training", latest);
}

// ---- wiring -------------------------------------------------------------------------------------
function showView(view) {
  state.view = view;
  for (const section of document.querySelectorAll(".view")) {
    section.hidden = section.id !== `${view}-view`;
  }
  for (const button of document.querySelectorAll("nav button")) {
    button.classList.toggle("active", button.dataset.view === view);
  }
  saveState();
  if (view === "theory" && !playground.renders.theory) loadTheory();
  if (view === "functions" && !playground.renders.functions) { loadFunctions(true); loadVectors(); }
  // Plots drawn while hidden have no size: let Plotly measure them again.
  for (const plot of document.querySelectorAll(`#${view}-view .js-plotly-plot`)) {
    Plotly.Plots.resize(plot);
  }
}

function bindInput(id, key, onChange, event = "change") {
  const el = $(id);
  el.value = state[key];
  el.addEventListener(event, () => {
    state[key] = el.value.trim();
    saveState();
    if (onChange) onChange();
  });
}

async function fillCatalog() {
  try {
    const catalog = await api("/api/catalog", {});
    const list = $("catalog-names");
    for (const a of catalog.activations) list.append(new Option(`${a.family}, ${a.kind}`, a.name));
  } catch (err) {
    setStatus("functions-status", err.message, true);
  }
}

function start() {
  for (const button of document.querySelectorAll("nav button")) {
    button.onclick = () => showView(button.dataset.view);
  }
  $("add-button").onclick = addActivation;
  $("add-activation").addEventListener("keydown", (e) => { if (e.key === "Enter") addActivation(); });
  bindInput("xmin", "xmin", reloadFunctions);
  bindInput("xmax", "xmax", reloadFunctions);
  bindInput("vector-functions", "vfuncs", loadVectors);
  $("add-vector").onclick = () => {
    state.vectors += ";0,0,0";
    saveState();
    vectorInputs();
    loadVectors();
  };
  vectorInputs();

  const theoryReload = debounce(loadTheory, 250);
  bindInput("theory-activation", "theory", theoryReload);
  bindInput("theory-init", "init", theoryReload);
  bindInput("theory-sigma-w2", "sigma_w2", () => {
    state.init = "custom";
    syncTheoryControls();
    saveState();
    theoryReload();
  }, "input");
  bindInput("theory-sigma-b2", "sigma_b2", () => { syncTheoryControls(); theoryReload(); }, "input");
  bindInput("theory-depth", "depth", () => { syncTheoryControls(); theoryReload(); }, "input");
  syncTheoryControls();

  const toyNote = () => { $("toy-note").hidden = state.dataset !== "toy"; };
  bindInput("train-dataset", "dataset", toyNote);
  bindInput("train-noise", "noise", () => { $("train-noise-value").textContent = state.noise; }, "input");
  $("train-noise-value").textContent = state.noise;
  for (const [id, key] of [["train-points", "points"], ["train-activations", "train"],
                           ["train-hidden", "hidden"], ["train-lr", "lr"],
                           ["train-optimizer", "optimizer"], ["train-batch", "batch"],
                           ["train-steps", "steps"], ["train-seed", "seed"]]) {
    bindInput(id, key);
  }
  toyNote();
  $("train-start").onclick = startTraining;
  $("train-stop").onclick = stopTraining;

  fillCatalog();
  showView(state.view in { functions: 1, theory: 1, training: 1 } ? state.view : "functions");
}

document.addEventListener("DOMContentLoaded", start);
