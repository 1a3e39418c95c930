// The page: builds the controls, keeps the setup in the URL, draws every frame the server sends.

import { ApiError, request, Stream } from "./api.js";
import { bytes, classColours, css, DIVERGING, drawAxes, drawCurves, drawPoints, heatmap } from "./draw.js";
import { Network } from "./network.js";
import { readHash, writeHash } from "./state.js";

const $ = (id) => document.getElementById(id);
const LRS = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const DROPOUTS = [0, 0.1, 0.2, 0.3, 0.5];

// Public for tests and benchmarks: firstFrameMs (since navigation), frames drawn, fps, and the
// milliseconds each of the last frames took to draw (drawMs).
const app = window.playground = {
  options: null, config: null, view: { show_test: false, discretize: false }, setup: null,
  session: null, stream: null, history: [], run: null, frame: null, playing: false,
  highlight: -1, frames: 0, firstFrameMs: null, fps: 0, errors: [], drawMs: [],
};
let network;

function showMessage(text) {
  const el = $("message");
  el.hidden = !text;
  el.textContent = text || "";
  if (text) app.errors.push(text);
}

// Display names come with the options (the server reads them from mlplab's records).
function fillSelect(id, values, format = (v) => app.options.labels[v] || String(v)) {
  $(id).replaceChildren(...values.map((v) => new Option(format(v), String(v))));
}

// A data button's picture: its points (default noise and classes, seed 0) on a small canvas,
// coloured as the output map colours classes or targets.
function thumbnail(points, d) {
  const c = document.createElement("canvas");
  c.className = "thumb";
  const r = window.devicePixelRatio || 1;   // sharp on high-density screens
  c.width = c.height = Math.round(44 * r);
  const ctx = c.getContext("2d");
  ctx.scale(r, r);
  const k = d.problem === "classification" ? Math.max(...points.map((p) => p[2])) + 1 : 0;
  const colours = k ? classColours(k) : null;
  for (const [u, v, value] of points) {
    ctx.fillStyle = colours ? css(colours[value]) : css(DIVERGING[Math.round((value + 1) * 127.5)]);
    ctx.fillRect(Math.round(u * 42), Math.round(v * 42), 2, 2);
  }
  return c;
}

function buildControls() {
  const o = app.options;
  fillSelect("lr", LRS);
  fillSelect("activation", o.activations);
  fillSelect("regularization", o.regularization);
  fillSelect("reg_rate", REG_RATES);
  fillSelect("optimizer", o.optimizers);
  fillSelect("dropout", DROPOUTS);
  const box = $("datasets");
  for (const [name, d] of Object.entries(o.datasets)) {
    const b = document.createElement("button");
    b.dataset.dataset = name;
    if (o.previews && o.previews[name]) b.appendChild(thumbnail(o.previews[name], d));
    b.append(d.label);
    b.onclick = () => (name === "upload" ? $("upload").click() : change({ dataset: name, noise: null }));
    box.appendChild(b);
  }
  $("classes").max = o.max_classes;
  $("points").max = o.max_points;
  network = new Network($("network"), o.features, {
    toggleFeature(name) {
      const on = new Set(app.config.features);
      if (on.has(name)) on.delete(name); else on.add(name);
      if (!on.size) { showMessage("keep at least one feature"); return; }
      change({ features: o.features.filter((f) => on.has(f)) });
    },
    addUnit(l) { editLayer(l, +1); },
    removeUnit(l) { editLayer(l, -1); },
  });

  for (const id of ["activation", "regularization", "reg_rate", "optimizer", "dropout"]) {
    $(id).onchange = () => change({ [id]: id === "activation" || id === "regularization" ||
      id === "optimizer" ? $(id).value : Number($(id).value) });
  }
  $("lr").onchange = () => setLr(Number($("lr").value));
  $("problem").onchange = () => {
    const problem = $("problem").value;
    const first = Object.entries(o.datasets).find(([n, d]) => d.problem === problem)[0];
    change({ problem, dataset: first, noise: null });
  };
  for (const id of ["classes", "train_pct", "batch_size", "points"]) {
    $(id).oninput = () => { $(`${id}-value`).textContent = $(id).value; };
    $(id).onchange = () => change({ [id]: Number($(id).value) });
  }
  $("noise").oninput = () => { $("noise-value").textContent = $("noise").value; };
  $("noise").onchange = () => change({ noise: Number($("noise").value) });
  $("seed").onchange = () => change({ seed: Number($("seed").value) });
  $("regenerate").onclick = () => change({ seed: app.config.seed + 1 });
  $("add-layer").onclick = () => {
    if (app.config.layers.length >= o.max_layers) return;
    change({ layers: [...app.config.layers, 2] });
  };
  $("remove-layer").onclick = () => {
    if (!app.config.layers.length) return;
    change({ layers: app.config.layers.slice(0, -1) });
  };
  $("play").onclick = () => {
    app.playing = !app.playing;
    $("play").classList.toggle("playing", app.playing);
    app.stream.send({ type: app.playing ? "play" : "pause" });
  };
  $("step").onclick = () => app.stream.send({ type: "step" });
  $("reset").onclick = () => app.stream.send({ type: "reset" });
  for (const id of ["show_test", "discretize"]) {
    $(id).onchange = () => { app.view[id] = $(id).checked; writeHash(app.config, app.view); drawOutput(); };
  }
  $("upload").onchange = upload;
  $("heatmap").onclick = explainAt;
  $("close-explain").onclick = () => { $("explain").hidden = true; app.highlight = -1; drawOutput(); };
  $("copy-link").onclick = async () => {
    try { await navigator.clipboard.writeText(location.href); $("status").textContent = "link copied"; }
    catch { $("status").textContent = location.href; }
  };
}

function editLayer(l, delta) {
  const layers = [...app.config.layers];
  layers[l] = Math.max(1, Math.min(app.options.max_units, layers[l] + delta));
  if (layers[l] !== app.config.layers[l]) change({ layers });
}

// A new data set or network: the server rebuilds the session (and stops playing).
async function change(patch) {
  const config = { ...app.config, ...patch };
  try {
    applySetup(await request("PUT", `/api/sessions/${app.session}/config`, config));
    showMessage("");
  } catch (e) {
    showMessage(e.message);
    syncControls();
  }
}

function setLr(lr) {
  app.config.lr = lr;
  app.stream.send({ type: "lr", lr });
  writeHash(app.config, app.view);
}

async function upload() {
  const file = $("upload").files[0];
  if (!file) return;
  if (file.size > app.options.max_upload_bytes) {
    showMessage(`${file.name}: ${file.size} bytes; the playground takes files up to ` +
      `${app.options.max_upload_bytes} bytes`);
    return;
  }
  try {
    const text = await file.text();
    applySetup(await request("POST", `/api/sessions/${app.session}/upload`,
      { filename: file.name, text }));
    showMessage("");
  } catch (e) { showMessage(e.message); }
  $("upload").value = "";
}

async function explainAt(ev) {
  const canvas = $("heatmap"), box = canvas.getBoundingClientRect();
  const [x0, x1, y0, y1] = app.setup.extent;
  const x = x0 + (ev.clientX - box.left) / box.width * (x1 - x0);
  const y = y1 - (ev.clientY - box.top) / box.height * (y1 - y0);
  try {
    const res = await request("POST", `/api/sessions/${app.session}/explain`, { x1: x, x2: y });
    app.highlight = res.index;
    $("explain-text").textContent = res.text;
    $("explain").hidden = false;
    showMessage("");
  } catch (e) { showMessage(e.message); }
  drawOutput();
}

function syncControls() {
  const c = app.config, o = app.options, d = o.datasets[c.dataset];
  for (const id of ["lr", "activation", "regularization", "reg_rate", "optimizer", "dropout", "problem"]) {
    const value = String(c[id]);   // a value from a link that the list lacks joins the list
    if (![...$(id).options].some((opt) => opt.value === value)) $(id).add(new Option(value, value));
    $(id).value = value;
  }
  for (const b of $("datasets").children) {
    const ds = o.datasets[b.dataset.dataset];
    b.hidden = ds.problem !== "any" && ds.problem !== c.problem;
    b.classList.toggle("selected", b.dataset.dataset === c.dataset);
  }
  $("classes-row").hidden = !d.classes;
  $("noise-row").hidden = c.dataset === "upload";
  $("noise").max = d.noise_max;
  $("noise").step = d.noise_max / 50 || 0.01;
  const noise = c.noise === null ? d.noise : c.noise;
  for (const [id, v] of [["classes", c.classes], ["train_pct", c.train_pct], ["noise", noise],
    ["batch_size", c.batch_size], ["points", c.points]]) {
    $(id).value = v;
    $(`${id}-value`).textContent = v;
  }
  $("seed").value = c.seed;
  $("layers-count").textContent = `${c.layers.length} hidden layer${c.layers.length === 1 ? "" : "s"}`;
  $("show_test").checked = app.view.show_test;
  $("discretize").checked = app.view.discretize;
}

// A setup and the frames of its run may arrive in either order: whichever comes second draws.
function applySetup(setup) {
  app.setup = setup;
  app.config = setup.config;
  if (app.run !== setup.run) { app.history = []; app.frame = null; }
  app.highlight = -1;
  syncControls();
  network.layout(setup);
  writeHash(app.config, app.view);
  for (const kind of ["toml", "npz", "py"]) {
    $(`export-${kind}`).href = `/api/sessions/${app.session}/export.${kind}`;
  }
  $("data-source").textContent = setup.source;
  $("status").textContent = `${setup.spec}: ${setup.parameters} parameters, loss ${setup.loss}` +
    (setup.explain ? "" : "; click a point to explain one SGD step on it");
  drawLegend();
  drawOutput();
  if (app.frame) drawFrame(app.frame);
}

function drawLegend() {
  const s = app.setup, el = $("legend");
  el.replaceChildren();
  if (s.task === "regression") {
    const c = document.createElement("canvas");
    c.className = "bar"; c.width = 256; c.height = 1;
    const ctx = c.getContext("2d");
    DIVERGING.forEach((col, i) => { ctx.fillStyle = css(col); ctx.fillRect(i, 0, 1, 1); });
    el.append(`${s.target_range[0].toFixed(2)} `, c, ` ${s.target_range[1].toFixed(2)}`);
    return;
  }
  classColours(s.classes.length).forEach((col, k) => {
    const key = document.createElement("span");
    key.className = "key";
    key.innerHTML = `<i style="background:${css(col)}"></i>`;
    key.append(s.classes[k]);
    el.appendChild(key);
  });
}

function drawOutput() {
  const canvas = $("heatmap"), s = app.setup;
  const f = app.frame && app.frame.run === s.run ? app.frame : null;
  const ctx = canvas.getContext("2d");
  if (!f) {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  } else if (f.output.class) {
    heatmap(canvas, s.grid, bytes(f.output.value), { classes: bytes(f.output.class),
      colours: classColours(s.classes.length), discrete: app.view.discretize, light: true });
  } else {
    heatmap(canvas, s.grid, bytes(f.output.value), { discrete: app.view.discretize, light: true });
  }
  drawPoints(canvas, s, app.view.show_test, app.highlight);
  drawAxes(canvas, s.extent);
}

const fmt = (v) => (v === undefined || v === null ? "–" : Number.isFinite(v) ? v.toFixed(3) : String(v));

function onFrame(f) {
  if (app.firstFrameMs === null) app.firstFrameMs = performance.now();
  if (f.run !== app.run) { app.run = f.run; app.history = []; }
  app.history.length = Math.min(app.history.length, f.history_from);
  app.history.push(...f.history);
  app.frame = f;
  app.playing = f.playing;
  $("play").classList.toggle("playing", f.playing);
  if (app.setup && app.setup.run === f.run) {
    const t0 = performance.now();
    drawFrame(f);
    app.drawMs.push(performance.now() - t0);
    if (app.drawMs.length > 600) app.drawMs.shift();
  }
  app.frames++;
  const now = performance.now();
  app._times = (app._times || []).filter((t) => now - t < 1000);
  app._times.push(now);
  app.fps = app._times.length;
}

function drawFrame(f) {
  const e = String(f.epoch).padStart(6, "0");
  $("epoch").textContent = `${e.slice(0, 3)},${e.slice(3)}`;
  $("epoch").dataset.epoch = f.epoch;
  for (const split of ["train", "test"]) {
    const loss = f.scores[`${split}_loss`], acc = f.scores[`${split}_accuracy`];
    $(`${split}-loss`).textContent = fmt(loss);
    $(`${split}-loss`).dataset.value = loss ?? "";
    $(`${split}-acc`).textContent = acc === undefined ? "" : `accuracy ${(acc * 100).toFixed(1)}%`;
    $(`${split}-acc`).dataset.value = acc ?? "";
  }
  drawOutput();
  network.update(f, app.setup.unit_grid);
  drawCurves($("curves"), app.history);
  if (f.message || f.notice) showMessage(f.message || f.notice);
}

async function boot() {
  const inlined = document.getElementById("options").textContent;
  app.options = inlined.startsWith("{") ? JSON.parse(inlined) : await request("GET", "/api/options");
  buildControls();
  const { config, view } = readHash(app.options.defaults);
  app.view = view;
  let res;
  try {
    res = await request("POST", "/api/sessions", config);
  } catch (e) {
    if (!(e instanceof ApiError) || e.message.startsWith("the playground runs at most")) throw e;
    showMessage(`${e.message}; starting from the defaults`);
    res = await request("POST", "/api/sessions", app.options.defaults);
  }
  app.session = res.session;
  applySetup(res.setup);
  app.stream = new Stream(app.session, onFrame, showMessage);
  addEventListener("pagehide", () => {
    app.stream.close();
    fetch(`/api/sessions/${app.session}`, { method: "DELETE", keepalive: true });
  });
}

boot().catch((e) => showMessage(e.message));
