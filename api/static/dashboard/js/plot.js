// A hand-written SVG plotter: a step-line chart (certified accuracy vs radius) and a bar
// histogram. Sizes are in viewBox units; the SVG scales with its container.

import { s } from "./dom.js";

const WIDTH = 640;
const HEIGHT = 320;
const MARGIN = { top: 12, right: 16, bottom: 44, left: 54 };

// Round-number ticks covering [low, high].
export function ticks(low, high, count = 6) {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= raw) || raw;
  const values = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) values.push(Number(v.toFixed(10)));
  return values;
}

function frame(svg, box, xScale, yScale, xDomain, yDomain, xLabel, yLabel, yFormat) {
  const [x0, x1] = xDomain;
  const [y0, y1] = yDomain;
  const grid = s("g", { class: "grid" });
  const axis = s("g", { class: "axis" });
  for (const y of ticks(y0, y1, 5)) {
    grid.append(s("line", { class: "gridline", x1: xScale(x0), x2: xScale(x1), y1: yScale(y), y2: yScale(y) }));
    axis.append(s("text", { x: MARGIN.left - 6, y: yScale(y) + 4, "text-anchor": "end" }, yFormat(y)));
  }
  for (const x of ticks(Math.max(0, x0), x1, 8)) {
    axis.append(s("line", { x1: xScale(x), x2: xScale(x), y1: box.height - MARGIN.bottom, y2: box.height - MARGIN.bottom + 4 }));
    axis.append(s("text", { x: xScale(x), y: box.height - MARGIN.bottom + 16, "text-anchor": "middle" }, Number(x.toPrecision(4))));
  }
  axis.append(s("path", { d: `M${MARGIN.left},${MARGIN.top}V${box.height - MARGIN.bottom}H${box.width - MARGIN.right}`, fill: "none" }));
  axis.append(s("text", { class: "axis-title", x: (MARGIN.left + box.width - MARGIN.right) / 2, y: box.height - 8, "text-anchor": "middle" }, xLabel));
  axis.append(s("text", { class: "axis-title", transform: `translate(14 ${(MARGIN.top + box.height - MARGIN.bottom) / 2}) rotate(-90)`, "text-anchor": "middle" }, yLabel));
  svg.append(grid, axis);
}

function scales(box, xDomain, yDomain) {
  const [x0, x1] = xDomain;
  const [y0, y1] = yDomain;
  const xScale = (x) => MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * (box.width - MARGIN.left - MARGIN.right);
  const yScale = (y) => box.height - MARGIN.bottom - ((y - y0) / (y1 - y0 || 1)) * (box.height - MARGIN.top - MARGIN.bottom);
  return [xScale, yScale];
}

// series: [{name, cls, x: [...], y: [...], colour?, width?, dash?, opacity?, markers?}], all y in
// [0, 1]; markers (a dot where the value changes) only on the series that ask for them.
export function lineChart({ series, xLabel, yLabel, title, width = WIDTH, height = HEIGHT }) {
  const box = { width, height };
  const svg = s("svg", { class: "plot", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  const xMax = Math.max(0.05, ...series.flatMap((one) => one.x));
  const xDomain = [0, xMax];
  const yDomain = [0, 1];
  const [xScale, yScale] = scales(box, xDomain, yDomain);
  frame(svg, box, xScale, yScale, xDomain, yDomain, xLabel, yLabel, (y) => `${Math.round(y * 100)}%`);
  for (const one of series) {
    if (!one.x.length) continue;
    // A step function: the value holds until the next radius, then drops.
    let d = `M${xScale(one.x[0]).toFixed(2)},${yScale(one.y[0]).toFixed(2)}`;
    for (let i = 1; i < one.x.length; i += 1) {
      d += `H${xScale(one.x[i]).toFixed(2)}V${yScale(one.y[i]).toFixed(2)}`;
    }
    svg.append(s("path", { class: `series series-${one.cls}`, d, fill: "none", "stroke-width": one.width || 2, "stroke-dasharray": one.dash, "stroke-opacity": one.opacity,
      stroke: one.colour, "data-points": one.x.length, "data-series": one.name }));
    for (const i of one.markers ? markerIndices(one.y) : []) {
      svg.append(s("circle", { class: `point series-${one.cls}`, cx: xScale(one.x[i]).toFixed(2),
        cy: yScale(one.y[i]).toFixed(2), r: 2.6, fill: one.colour },
      s("title", {}, `${one.name}: ${(one.y[i] * 100).toFixed(1)}% at radius ${one.x[i].toFixed(3)}`)));
    }
  }
  return svg;
}

// Where the value changes (at most ~40 markers, so the line stays readable).
function markerIndices(values) {
  const changes = [0];
  for (let i = 1; i < values.length; i += 1) if (values[i] !== values[i - 1]) changes.push(i);
  const stride = Math.ceil(changes.length / 40);
  return changes.filter((_, k) => k % stride === 0);
}

// bars: [{from, to, count, cls}] drawn on a linear x axis; zeroBar: optional count at x = 0.
export function histogram({ bars, xLabel, yLabel, title, width = WIDTH, height = HEIGHT }) {
  const box = { width, height };
  const svg = s("svg", { class: "plot", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  const xDomain = [Math.min(...bars.map((b) => b.from)), Math.max(...bars.map((b) => b.to))];
  const yMax = Math.max(1, ...bars.map((b) => b.count));
  const yDomain = [0, yMax * 1.08];
  const [xScale, yScale] = scales(box, xDomain, yDomain);
  frame(svg, box, xScale, yScale, xDomain, yDomain, xLabel, yLabel, (y) => (Number.isInteger(y) ? y : ""));
  for (const bar of bars) {
    const x = xScale(bar.from) + 1;
    const width = Math.max(1, xScale(bar.to) - xScale(bar.from) - 2);
    svg.append(s("rect", { class: `bar ${bar.cls || ""}`, x, width, y: yScale(bar.count),
      height: Math.max(0, yScale(0) - yScale(bar.count)) },
    s("title", {}, `${bar.label || `${bar.from.toFixed(3)}–${bar.to.toFixed(3)}`}: ${bar.count}`)));
  }
  return svg;
}
