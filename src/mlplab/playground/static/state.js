// The whole setup in the URL's hash, so a link reproduces the same data, network and seed.

const LISTS = new Set(["features", "layers"]);
const INTS = new Set(["classes", "points", "train_pct", "batch_size", "seed"]);
const FLOATS = new Set(["lr", "reg_rate", "dropout", "noise"]);
export const VIEW_KEYS = ["show_test", "discretize"];

export function readHash(defaults) {
  const config = { ...defaults };
  const view = { show_test: false, discretize: false };
  const params = new URLSearchParams(location.hash.slice(1));
  for (const [key, value] of params) {
    if (VIEW_KEYS.includes(key)) { view[key] = value === "1"; continue; }
    if (!(key in defaults)) continue;
    if (LISTS.has(key)) {
      const items = value === "" ? [] : value.split(",");
      config[key] = key === "layers" ? items.map(Number) : items;
    } else if (INTS.has(key)) config[key] = parseInt(value, 10);
    else if (FLOATS.has(key)) config[key] = value === "" ? null : Number(value);
    else config[key] = value;
  }
  return { config, view };
}

export function writeHash(config, view) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(config)) {
    if (value === null || value === undefined) continue;
    params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  for (const key of VIEW_KEYS) params.set(key, view[key] ? "1" : "0");
  history.replaceState(null, "", "#" + params.toString());
}
