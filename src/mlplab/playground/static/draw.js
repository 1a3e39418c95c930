// Canvas drawing: colour scales, heat maps from one byte per value, data points, loss curves.

export const NEG = [245, 147, 34];   // orange: negative values, class 0 of two
export const POS = [8, 119, 189];    // blue: positive values, class 1 of two
const MID = [232, 234, 235];
const PALETTE = [[8, 119, 189], [245, 147, 34], [46, 160, 67], [152, 78, 163], [214, 39, 40],
  [23, 190, 207]];

export function classColours(k) { return k === 2 ? [NEG, POS] : PALETTE.slice(0, k); }
export const css = (c, a = 1) => `rgba(${c[0]},${c[1]},${c[2]},${a})`;

function mix(a, b, t) { return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)); }

// 256 colours for the bytes 0..255: orange (0) through grey (128) to blue (255).
export const DIVERGING = Array.from({ length: 256 }, (_, i) => {
  const v = i / 255 * 2 - 1;
  return v < 0 ? mix(MID, NEG, -v) : mix(MID, POS, v);
});
// The output's background: the same scale, lighter, so the points stay visible on it.
const BACKGROUND = DIVERGING.map((c) => mix([255, 255, 255], c, 0.6));

export function bytes(b64) {
  const s = atob(b64);
  const a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return a;
}

const scratch = new Map();   // size -> [offscreen canvas, its ImageData]
function offscreen(n) {
  if (!scratch.has(n)) {
    const c = document.createElement("canvas");
    c.width = c.height = n;
    scratch.set(n, [c, c.getContext("2d").createImageData(n, n)]);
  }
  return scratch.get(n);
}

// values: n*n bytes, row 0 on top. classes (optional): the class of each cell; then values
// are the confidence (0..255) and `colours` the class colours.
export function heatmap(canvas, n, values, { classes = null, colours = null, discrete = false,
  light = false } = {}) {
  const [off, img] = offscreen(n);
  const d = img.data;
  const k = colours ? colours.length : 2;
  for (let i = 0; i < n * n; i++) {
    let c;
    if (classes) {
      const conf = values[i] / 255;
      const t = discrete ? 1 : Math.max(0, (conf - 1 / k) / (1 - 1 / k));
      c = mix(MID, colours[classes[i]] || MID, t * (light ? 0.6 : 0.85));
    } else {
      let v = values[i];
      if (discrete) v = v >= 128 ? 255 : 0;
      c = (light ? BACKGROUND : DIVERGING)[v];
    }
    d[4 * i] = c[0]; d[4 * i + 1] = c[1]; d[4 * i + 2] = c[2]; d[4 * i + 3] = 255;
  }
  off.getContext("2d").putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = !discrete;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

// points: {x: [[x1, x2]...], y: [...], test: [0/1...]}; extent [x1lo, x1hi, x2lo, x2hi].
export function drawPoints(canvas, setup, showTest, highlight = -1) {
  const ctx = canvas.getContext("2d");
  const [x0, x1, y0, y1] = setup.extent;
  const W = canvas.width, H = canvas.height;
  const { x, y, test } = setup.points;
  const colours = classColours(setup.classes.length);
  const [lo, hi] = setup.target_range;
  for (let i = 0; i < x.length; i++) {
    if (test[i] && !showTest) continue;
    const px = (x[i][0] - x0) / (x1 - x0) * W, py = (y1 - x[i][1]) / (y1 - y0) * H;
    const c = setup.task === "regression"
      ? DIVERGING[Math.max(0, Math.min(255, Math.round((y[i] - lo) / (hi - lo) * 255)))]
      : colours[y[i]];
    ctx.beginPath();
    ctx.arc(px, py, i === highlight ? 6 : 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = css(c);
    ctx.fill();
    ctx.lineWidth = i === highlight ? 2.5 : 1;
    ctx.strokeStyle = test[i] || i === highlight ? "#000" : "#fff";
    ctx.stroke();
  }
}

// Axis ticks on the heat map's border, in the data's own units.
export function drawAxes(canvas, extent) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "rgba(0,0,0,0.55)";
  ctx.font = "10px sans-serif";
  const [x0, x1, y0, y1] = extent;
  const f = (v) => (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1));
  ctx.fillText(f(x0), 2, canvas.height - 3);
  ctx.fillText(f(x1), canvas.width - 22, canvas.height - 3);
  ctx.fillText(f(y1), 2, 10);
}

// history: [{epoch, train_loss, test_loss, test_accuracy?}, ...]
export function drawCurves(canvas, history) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  if (history.length < 2) return;
  const finite = (v) => (Number.isFinite(v) ? v : null);
  let top = 0;
  for (const h of history) top = Math.max(top, finite(h.train_loss) || 0, finite(h.test_loss) || 0);
  top = top || 1;
  const n = history.length;
  const line = (key, colour, scale) => {
    ctx.beginPath();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    let started = false;
    history.forEach((h, i) => {
      const v = finite(h[key]);
      if (v === null) return;
      const px = i / (n - 1) * (W - 4) + 2, py = H - 2 - Math.min(v / scale, 1) * (H - 6);
      if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true; }
    });
    ctx.stroke();
  };
  line("train_loss", "#999", top);
  line("test_loss", "#222", top);
  if ("test_accuracy" in history[0]) line("test_accuracy", "#2a9d44", 1);
  ctx.fillStyle = "#777";
  ctx.font = "10px sans-serif";
  ctx.fillText(`loss ${top.toPrecision(3)}`, 4, 10);
}
