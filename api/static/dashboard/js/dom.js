// Small DOM and formatting helpers shared by the pages.

const SVG_NS = "http://www.w3.org/2000/svg";

// h("div", {class: "x", onclick: f}, child, "text", [more]) -> element
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  return fill(element, attrs, children);
}

export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function fixed(value, digits = 3) {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value).toFixed(digits);
}

export function percent(value, digits = 1) {
  return value === null || value === undefined ? "–" : `${(100 * value).toFixed(digits)}%`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 1) return "<1 s";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function timestamp(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function shortId(id) {
  return id ? id.slice(0, 8) : "–";
}

export function statusBadge(status) {
  return h("span", { class: `status ${status}` }, status);
}

export function progressBar(fraction, big = false) {
  const bar = h("div");
  bar.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return h("div", { class: big ? "progress big" : "progress", role: "progressbar",
    "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(fraction * 100) }, bar);
}

export function link(href, ...children) {
  return h("a", { href, "data-link": true }, ...children);
}

export function errorBox(error) {
  return h("div", { class: "form-error", role: "alert" }, error.message || String(error));
}

// A sequential job's stopping rule: "target radii 0.3, 0.5" or "tolerance 0.05".
export function samplingRule(s) {
  return s.target_radii && s.target_radii.length ? `target radii ${s.target_radii.join(", ")}` : `tolerance ${s.tolerance}`;
}
