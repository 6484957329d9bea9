// Jobs side by side: overlaid certified-accuracy step curves (one colour per job, one line
// style per certificate, no markers, legend outside the plot), and a table of certified
// accuracy at the table radii, benign accuracy and ACR with confidence intervals; the
// best value of each column is highlighted. Every job is computed on the inputs all of
// them have (or, when asked, each on its own), as the note under the table says; the
// table and the curves download as CSV, Markdown, LaTeX, PNG and SVG.

import { getJson } from "./api.js";
import { comparisonDownloads } from "./comparison_downloads.js";
import { errorBox, h, link, percent, shortId } from "./dom.js";
import { lineChart } from "./plot.js";

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

function interval(estimate, format) {
  if (!estimate) return "–";
  const value = format(estimate.value);
  if (estimate.lower === null || estimate.upper === null) return value;
  return `${value} (${format(estimate.lower)}–${format(estimate.upper)})`;
}

// Line style per certificate (as dsrs_cli.plots.comparison): DSRS solid, NP of the same run
// dashed, NP at equal budget dotted, the sequential same-cost NP baseline dash-dotted.
const STYLES = {
  // DSRS wider and lighter, drawn first: an NP curve it coincides with shows its dashes on it.
  dsrs: { name: "DSRS", dash: undefined, width: 3.2, opacity: 0.55 },
  "same-run": { name: "NP, same run", dash: "6 4", width: 1.8 },
  "equal-budget": { name: "NP, equal budget", dash: "1.5 3", width: 2.0 },
  "sequential-np": { name: "NP, sequential same cost", dash: "8 3 2 3", width: 1.8 },
};
const styleOf = (cert) => STYLES[cert.kind === "dsrs" ? "dsrs" : cert.baseline || "same-run"] || STYLES["same-run"];

const pct = (v) => percent(v, 1);
const radius = (v) => Number(v).toFixed(4);

export function render(view, _params, query, ctx) {
  const chosen = new Set((query.get("jobs") || "").split(",").filter(Boolean));
  const picker = h("tbody");
  const result = h("div", { id: "comparison" });
  const radiiInput = h("input", { name: "radii", placeholder: "0.25, 0.5, 0.75 (default: steps of 0.25)", value: query.get("radii") || "" });
  const tagInput = h("input", { name: "tag", id: "compare-tag", placeholder: "also every job with this tag", value: query.get("tag") || "" });
  const inputsChoice = h("select", { name: "inputs", id: "compare-inputs" },
    h("option", { value: "common" }, "inputs every job has"),
    h("option", { value: "own" }, "each job on its own inputs"));
  inputsChoice.value = query.get("inputs") === "own" ? "own" : "common";
  const button = h("button", { class: "primary", type: "button", id: "compare-button" }, "Compare");
  view.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Compare jobs"),
        h("p", { class: "muted" }, "Certified accuracy of several jobs side by side, with 95% intervals over the test set."))),
    h("div", { class: "panel" },
      h("table", { class: "data", id: "compare-picker" },
        h("thead", {}, h("tr", {}, ["", "Job", "Certificate", "Inputs"].map((t) => h("th", {}, t)))),
        picker),
      h("div", { class: "filters" }, h("label", {}, "Tag", tagInput), h("label", {}, "Table radii", radiiInput),
        h("label", {}, "Computed on", inputsChoice), button)),
    result);

  getJson("/v1/dashboard/jobs", { status: "succeeded", limit: 100 }).then((list) => {
    if (!ctx.alive()) return;
    picker.replaceChildren(...list.items.map((job) => {
      const box = h("input", { type: "checkbox", name: "job", value: job.id, checked: chosen.has(job.id) });
      box.addEventListener("change", () => { if (box.checked) chosen.add(job.id); else chosen.delete(job.id); });
      const q = job.parameters.q;
      const certificate = !q ? "NP only" : q.sigma != null ? `DSRS, Q σ=${q.sigma}` : `DSRS, Q thr=${q.threshold}`;
      return h("tr", { "data-job": job.id }, h("td", {}, box),
        h("td", {}, link(`/dashboard/jobs/${job.id}`, job.name || h("span", { class: "mono" }, shortId(job.id)))),
        h("td", { class: "muted" }, `σ=${job.parameters.noise.sigma} · ${certificate} · N=${job.parameters.n}`),
        h("td", {}, `${job.progress.done}`));
    }));
    if (!list.items.length) picker.append(h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No finished jobs yet.")));
  }).catch((error) => result.replaceChildren(errorBox(error)));

  async function compare() {
    const ids = [...chosen];
    const params = new URLSearchParams();
    const tag = tagInput.value.trim();
    params.set("jobs", ids.join(","));
    if (tag) params.set("tag", tag);
    if (radiiInput.value.trim()) params.set("radii", radiiInput.value.trim());
    if (inputsChoice.value === "own") params.set("inputs", "own");
    history.replaceState(null, "", `/dashboard/compare?${params}`);
    if (!ids.length && !tag) {
      result.replaceChildren(h("p", { class: "empty" }, "Choose at least one job or a tag."));
      return;
    }
    const request = ids.map((id) => ["job_id", id]);
    if (tag) request.push(["tag", tag]);
    for (const r of radiiInput.value.split(",").map((t) => t.trim()).filter(Boolean)) request.push(["radii", r]);
    request.push(["inputs", inputsChoice.value]);
    try {
      const comparison = await getJson("/v1/compare", request);
      if (ctx.alive()) result.replaceChildren(...renderComparison(comparison, request));
    } catch (error) {
      if (ctx.alive()) result.replaceChildren(errorBox(error));
    }
  }
  button.addEventListener("click", compare);
  if (chosen.size || tagInput.value.trim()) compare();
}

function renderComparison(c, request) {
  const series = [];
  // The legend names each job once (its colour) and each certificate once (its style).
  const legend = h("div", { class: "legend compare-legend", id: "compare-legend" });
  const styles = new Map();
  c.jobs.forEach((job, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const swatch = h("span", { class: "swatch solid" });
    swatch.style.setProperty("--colour", colour);
    legend.append(h("span", { class: "key", "data-job": job.job_id }, swatch, job.label));
    // DSRS (solid) first, so the NP curves drawn after it stay visible where they coincide.
    const ordered = [...job.certificates].sort((a, b) => (b.kind === "dsrs") - (a.kind === "dsrs"));
    for (const cert of ordered) {
      const style = styleOf(cert);
      styles.set(style.name, style);
      series.push({ name: `${job.label} · ${cert.name}`, cls: `job-${i}`, colour, x: c.curve_radii, y: cert.curve,
        width: style.width, dash: style.dash, opacity: style.opacity });
    }
  });
  for (const style of styles.values()) {
    legend.append(h("span", { class: "key style-key" }, lineSample(style), style.name));
  }
  const chart = lineChart({ series, xLabel: "L2 radius", yLabel: "certified accuracy", title: "Certified accuracy vs radius, jobs overlaid" });
  const message = h("div");
  return [
    h("div", { class: "panel" }, h("h2", {}, "Curves"), legend, chart),
    h("div", { class: "panel" }, h("h2", {}, "Table"), table(c),
      h("p", { class: "muted", id: "compare-inputs-note" }, c.inputs_note),
      (c.notes || []).map((note) => h("p", { class: "warning compare-note", role: "note" }, `⚠ ${note}`)),
      h("p", { class: "muted" }, `Intervals: ${Math.round(c.confidence * 100)}% over the test set; accuracies ${c.accuracy_interval}, ACR ${c.acr_interval}. `
        + "Benign accuracy is the smoothed classifier's accuracy (the paper's R = 0 column), not certified accuracy at 0. "
        + "NP rows name their baseline (same run: the job's own P draws at the P share of alpha). Bold: best of the column.")),
    h("div", { class: "panel" }, h("h2", {}, "Download"), message, comparisonDownloads(request, message)),
  ];
}

// A short line in a certificate's style, for the legend.
function lineSample(style) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "line-sample");
  svg.setAttribute("viewBox", "0 0 28 8");
  svg.setAttribute("width", "28");
  svg.setAttribute("height", "8");
  const line = document.createElementNS(ns, "line");
  for (const [k, v] of Object.entries({ x1: 0, x2: 28, y1: 4, y2: 4, stroke: "currentColor", "stroke-width": style.width, "stroke-opacity": style.opacity ?? 1 })) line.setAttribute(k, v);
  if (style.dash) line.setAttribute("stroke-dasharray", style.dash);
  svg.append(line);
  return svg;
}

function table(c) {
  const rows = [];
  for (const job of c.jobs) {
    for (const cert of job.certificates) {
      rows.push({ job, cert, values: [job.benign ? job.benign.value : null, ...cert.accuracy.map((e) => e.value), cert.acr.value] });
    }
  }
  const best = rows[0] ? rows[0].values.map((_, j) => Math.max(...rows.map((r) => (r.values[j] === null ? -Infinity : r.values[j])))) : [];
  const distinct = best.map((top, j) => rows.some((r) => r.values[j] !== null && r.values[j] !== top));
  const head = ["Job", "Certificate", "Benign", ...c.radii.map((r) => `R = ${r.toFixed(2)}`), "ACR", "Inputs"];
  return h("table", { class: "data", id: "compare-table" },
    h("thead", {}, h("tr", {}, head.map((t, j) => h("th", { class: j >= 2 ? "num" : "" }, t)))),
    h("tbody", {}, rows.map(({ job, cert, values }) => {
      const cells = [interval(job.benign, pct), ...cert.accuracy.map((e) => interval(e, pct)), interval(cert.acr, radius)];
      return h("tr", { "data-job": job.job_id, "data-certificate": cert.kind },
        h("td", {}, link(`/dashboard/jobs/${job.job_id}`, job.label)),
        h("td", {}, cert.name),
        cells.map((text, j) => h("td", { class: `num${distinct[j] && values[j] === best[j] ? " best" : ""}` }, text)),
        h("td", { class: "num inputs", title: `${job.samples} inputs held` },
          job.compared_inputs === job.samples ? `${job.samples}` : `${job.compared_inputs} of ${job.samples}`));
    })));
}
