// The network diagram: feature nodes (click to toggle), hidden units with their own small heat
// maps, output nodes, and the links between them drawn in SVG with width and colour by weight.

import { bytes, css, heatmap, NEG, POS } from "./draw.js";

const NODE = 36, ROW = 46, TOP = 44, SVGNS = "http://www.w3.org/2000/svg";

export class Network {
  // handlers: {toggleFeature(name), addUnit(layer), removeUnit(layer)}
  constructor(root, allFeatures, handlers) {
    this.root = root;
    this.svg = root.querySelector("#links");
    this.nodes = root.querySelector("#nodes");
    this.card = root.querySelector("#hovercard");
    this.allFeatures = allFeatures;
    this.handlers = handlers;
    this.links = [];
    this.unitCanvases = [];
    this.weights = null;
  }

  // setup: the server's setup message (config, widths, inputs, unit_grid)
  layout(setup) {
    const cfg = setup.config, hidden = cfg.layers, outputs = setup.widths.at(-1);
    const width = Math.max(this.root.clientWidth, 420);
    const cols = hidden.length + 2;
    const colX = (i) => 40 + i * (width - 100) / (cols - 1);
    const rows = Math.max(this.allFeatures.length, ...hidden, outputs);
    const height = TOP + rows * ROW;
    this.root.style.height = `${height}px`;
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("height", height);
    this.svg.replaceChildren();
    this.nodes.replaceChildren();
    this.links = [];
    this.unitCanvases = [];
    const active = cfg.features;
    const centre = (x, y, size = NODE) => [x + size / 2, y + size / 2];

    // feature column: every feature, the used ones full strength
    const inputPos = [];
    this.allFeatures.forEach((name, j) => {
      const x = colX(0) - NODE / 2, y = TOP + j * ROW;
      const on = active.includes(name);
      const node = this.node(x, y, `feature${on ? "" : " off"}`, name);
      node.dataset.feature = name;
      node.title = on ? `${name}: click to leave it out` : `${name}: click to use it`;
      node.addEventListener("click", () => this.handlers.toggleFeature(name));
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = name;
      node.appendChild(label);
      if (setup.inputs[name]) {
        heatmap(node.querySelector("canvas"), setup.unit_grid, bytes(setup.inputs[name]));
      }
      if (on) inputPos[active.indexOf(name)] = centre(x, y);
    });

    // hidden layers, each with +/- buttons for its units
    let prev = inputPos;
    hidden.forEach((units, l) => {
      const cx = colX(l + 1);
      const head = document.createElement("div");
      head.className = "layer-head";
      head.style.left = `${cx - 30}px`;
      head.style.top = "0px";
      head.innerHTML = `<button data-add-unit="${l}" title="Add a unit">+</button> ` +
        `<button data-remove-unit="${l}" title="Remove a unit">&minus;</button><br>` +
        `${units} unit${units > 1 ? "s" : ""}`;
      head.querySelector("[data-add-unit]").onclick = () => this.handlers.addUnit(l);
      head.querySelector("[data-remove-unit]").onclick = () => this.handlers.removeUnit(l);
      this.nodes.appendChild(head);
      const pos = [], canvases = [];
      for (let u = 0; u < units; u++) {
        const x = cx - NODE / 2, y = TOP + u * ROW;
        const node = this.node(x, y, "unit", `layer ${l + 1}, unit ${u + 1}`);
        node.dataset.unit = `${l}:${u}`;
        canvases.push(node.querySelector("canvas"));
        pos.push(centre(x, y));
      }
      this.addLinks(l, prev, pos);
      this.unitCanvases.push(canvases);
      prev = pos;
    });

    // output nodes
    const ox = colX(cols - 1), pos = [];
    const oy = TOP + Math.max(0, (rows - outputs) / 2) * ROW;
    for (let k = 0; k < outputs; k++) {
      const x = ox - 8, y = oy + k * ROW + NODE / 2 - 8;
      const node = this.node(x, y, "out", outputs > 1 ? `output ${k}` : "output");
      node.replaceChildren();
      pos.push([x + 8, y + 8]);
    }
    this.addLinks(hidden.length, prev, pos);
  }

  node(x, y, cls, title) {
    const node = document.createElement("div");
    node.className = `node ${cls}`;
    node.style.left = `${x}px`;
    node.style.top = `${y}px`;
    node.title = title;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 25;
    node.appendChild(canvas);
    this.nodes.appendChild(node);
    return node;
  }

  addLinks(layer, from, to) {
    to.forEach(([x2, y2], o) => from.forEach(([x1, y1], i) => {
      const path = document.createElementNS(SVGNS, "path");
      const mx = (x1 + x2) / 2;
      path.setAttribute("d", `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`);
      path.setAttribute("stroke", "#bbb");
      path.setAttribute("stroke-width", "1");
      path.dataset.link = `${layer}:${o}:${i}`;
      path.addEventListener("mousemove", (ev) => this.hover(ev, layer, o, i));
      path.addEventListener("mouseleave", () => { this.card.hidden = true; });
      this.svg.appendChild(path);
      this.links.push({ path, layer, o, i });
    }));
  }

  hover(ev, layer, o, i) {
    if (!this.weights) return;
    const w = this.weights[layer].weight[o][i];
    const box = this.root.getBoundingClientRect();
    this.card.hidden = false;
    this.card.textContent = `weight ${w.toFixed(3)}`;
    this.card.style.left = `${ev.clientX - box.left + 12}px`;
    this.card.style.top = `${ev.clientY - box.top - 10}px`;
  }

  // frame: {weights: [{weight, bias}...], units: [[b64 per unit]...]}
  update(frame, unitGrid) {
    this.weights = frame.weights;
    for (const { path, layer, o, i } of this.links) {
      const w = frame.weights[layer]?.weight[o]?.[i];
      if (w === undefined) continue;
      path.setAttribute("stroke", css(w < 0 ? NEG : POS));
      path.setAttribute("stroke-width", Math.min(0.5 + Math.abs(w) * 2, 7).toFixed(2));
      path.setAttribute("stroke-opacity", Math.min(0.25 + Math.abs(w), 0.9).toFixed(2));
    }
    frame.units.forEach((layer, l) => layer.forEach((b64, u) => {
      const canvas = this.unitCanvases[l]?.[u];
      if (canvas) heatmap(canvas, unitGrid, bytes(b64));
    }));
  }
}
