// Jobs side by side: overlaid certified-accuracy step curves (NP dashed, DSRS solid, one
// colour per job, legend outside the plot), and a table of certified accuracy at the
// table radii, benign accuracy and ACR with confidence intervals; the best value of each
// column is highlighted.

import { getJson } from "./api.js";
import { errorBox, h, link, percent, shortId } from "./dom.js";
import { lineChart } from "./plot.js";

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

function interval(estimate, format) {
  if (!estimate) return "–";
  const value = format(estimate.value);
  if (estimate.lower === null || estimate.upper === null) return value;
  return `${value} (${format(estimate.lower)}–${format(estimate.upper)})`;
}

const pct = (v) => percent(v, 1);
const radius = (v) => Number(v).toFixed(4);

export function render(view, _params, query, ctx) {
  const chosen = new Set((query.get("jobs") || "").split(",").filter(Boolean));
  const picker = h("tbody");
  const result = h("div", { id: "comparison" });
  const radiiInput = h("input", { name: "radii", placeholder: "0.25, 0.5, 0.75 (default: steps of 0.25)", value: query.get("radii") || "" });
  const tagInput = h("input", { name: "tag", id: "compare-tag", placeholder: "also every job with this tag", value: query.get("tag") || "" });
  const button = h("button", { class: "primary", type: "button", id: "compare-button" }, "Compare");
  view.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Compare jobs"),
        h("p", { class: "muted" }, "Certified accuracy of several jobs side by side, with 95% intervals over the test set."))),
    h("div", { class: "panel" },
      h("table", { class: "data", id: "compare-picker" },
        h("thead", {}, h("tr", {}, ["", "Job", "Certificate", "Inputs"].map((t) => h("th", {}, t)))),
        picker),
      h("div", { class: "filters" }, h("label", {}, "Tag", tagInput), h("label", {}, "Table radii", radiiInput), button)),
    result);

  getJson("/v1/dashboard/jobs", { status: "succeeded", limit: 100 }).then((list) => {
    if (!ctx.alive()) return;
    picker.replaceChildren(...list.items.map((job) => {
      const box = h("input", { type: "checkbox", name: "job", value: job.id, checked: chosen.has(job.id) });
      box.addEventListener("change", () => { if (box.checked) chosen.add(job.id); else chosen.delete(job.id); });
      const q = job.parameters.q;
      const certificate = !q ? "NP only" : q.sigma != null ? `DSRS, Q σ=${q.sigma}` : `DSRS, Q thr=${q.threshold}`;
      return h("tr", { "data-job": job.id }, h("td", {}, box),
        h("td", {}, link(`/dashboard/jobs/${job.id}`, h("span", { class: "mono" }, shortId(job.id)))),
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
    history.replaceState(null, "", `/dashboard/compare?${params}`);
    if (!ids.length && !tag) {
      result.replaceChildren(h("p", { class: "empty" }, "Choose at least one job or a tag."));
      return;
    }
    const request = ids.map((id) => ["job_id", id]);
    if (tag) request.push(["tag", tag]);
    for (const r of radiiInput.value.split(",").map((t) => t.trim()).filter(Boolean)) request.push(["radii", r]);
    try {
      const comparison = await getJson("/v1/compare", request);
      if (ctx.alive()) result.replaceChildren(...renderComparison(comparison));
    } catch (error) {
      if (ctx.alive()) result.replaceChildren(errorBox(error));
    }
  }
  button.addEventListener("click", compare);
  if (chosen.size || tagInput.value.trim()) compare();
}

function renderComparison(c) {
  const series = [];
  const legend = h("div", { class: "legend compare-legend", id: "compare-legend" });
  c.jobs.forEach((job, i) => {
    const colour = COLOURS[i % COLOURS.length];
    for (const cert of job.certificates) {
      const dashed = cert.kind === "np";
      series.push({ name: `${job.label} ${cert.name}`, cls: `job-${i}`, colour, x: c.curve_radii, y: cert.curve,
        width: dashed ? 2.0 : 2.6, dash: dashed ? "6 4" : undefined });
      const swatch = h("span", { class: `swatch ${dashed ? "dashed" : "solid"}` });
      swatch.style.setProperty("--colour", colour);
      legend.append(h("span", { class: "key" }, swatch, `${job.label} · ${cert.name}`));
    }
  });
  const chart = lineChart({ series, xLabel: "L2 radius", yLabel: "certified accuracy", title: "Certified accuracy vs radius, jobs overlaid" });
  return [
    h("div", { class: "panel" }, h("h2", {}, "Curves"), legend, chart),
    h("div", { class: "panel" }, h("h2", {}, "Table"), table(c),
      (c.notes || []).map((note) => h("p", { class: "warning compare-note", role: "note" }, `⚠ ${note}`)),
      h("p", { class: "muted" }, `Intervals: ${Math.round(c.confidence * 100)}% over the test set; accuracies ${c.accuracy_interval}, ACR ${c.acr_interval}. `
        + "Benign accuracy is the smoothed classifier's accuracy (the paper's R = 0 column), not certified accuracy at 0. "
        + "NP rows name their baseline (same run: the job's own P draws at the P share of alpha). Bold: best of the column.")),
  ];
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
  const head = ["Job", "Certificate", "Benign", ...c.radii.map((r) => `R = ${r.toFixed(2)}`), "ACR"];
  return h("table", { class: "data", id: "compare-table" },
    h("thead", {}, h("tr", {}, head.map((t, j) => h("th", { class: j >= 2 ? "num" : "" }, t)))),
    h("tbody", {}, rows.map(({ job, cert, values }) => {
      const cells = [interval(job.benign, pct), ...cert.accuracy.map((e) => interval(e, pct)), interval(cert.acr, radius)];
      return h("tr", { "data-job": job.job_id, "data-certificate": cert.kind },
        h("td", {}, link(`/dashboard/jobs/${job.job_id}`, job.label)),
        h("td", {}, cert.name),
        cells.map((text, j) => h("td", { class: `num${distinct[j] && values[j] === best[j] ? " best" : ""}` }, text)));
    })));
}
