// One job, live while it runs: progress, NP vs DSRS curve, statistics, DSRS gain,
// parameters, the per-sample table, downloads and cancel.

import { apiFetch, catalogue, getJson, postJson, ApiError } from "./api.js";
import { comparisonDownloads } from "./comparison_downloads.js";
import { duration, errorBox, fixed, h, link, percent, progressBar, samplingRule, shortId, statusBadge, timestamp } from "./dom.js";
import { histogram, lineChart } from "./plot.js";
import { sampleTable } from "./sample_table.js";

const REFRESH_MS = 1500;
// The final job statuses, from GET /v1/catalogue (filled by the first refresh).
let finalStatuses = [];

export function render(view, [jobId], _query, ctx) {
  const slots = {
    head: h("div", { class: "page-head" }),
    progress: h("div", { class: "panel", id: "progress-panel" }),
    stats: h("div", { class: "stats", id: "stats" }),
    curve: h("div", { id: "curve" }, h("p", { class: "muted" }, "Loading the curve…")),
    accuracyTable: h("div"),
    gain: h("div", { id: "gain" }),
    parameters: h("div"),
    message: h("div"),
    warnings: h("div", { id: "job-warnings" }),
  };
  const table = sampleTable(jobId, ctx);
  view.append(
    slots.head,
    slots.warnings,
    slots.message,
    slots.progress,
    h("div", { class: "panel" }, h("h2", {}, "Summary"), slots.stats),
    h("div", { class: "grid-2" },
      h("div", { class: "panel" }, h("h2", {}, "Certified accuracy vs radius"),
        h("div", { class: "legend" },
          h("span", { class: "key" }, h("span", { class: "swatch np" }), "Neyman–Pearson (NP; same run dashed, equal budget dotted when drawn)"),
          h("span", { class: "key" }, h("span", { class: "swatch dsrs" }), "DSRS")),
        slots.curve, slots.accuracyTable,
        h("p", { class: "muted" }, "The job's comparison table and curves, as for a paper:"),
        comparisonDownloads([["job_id", jobId]], slots.message, "job-download")),
      h("div", { class: "panel" }, h("h2", { id: "gain-title" }, "DSRS gain over NP, per input"), slots.gain)),
    h("div", { class: "panel" }, h("h2", {}, "Per-sample results"), table.element),
    h("div", { class: "panel" }, h("h2", {}, "Parameters"), slots.parameters));

  let job = null;
  let parametersShown = false;
  delete document.body.dataset.jobRendered;
  delete document.body.dataset.jobRenderedMs;

  async function refresh() {
    try {
      const [nextJob, overview, , names] = await Promise.all([
        getJson(`/v1/jobs/${jobId}`),
        getJson(`/v1/dashboard/jobs/${jobId}/overview`),
        table.refresh(),
        catalogue(),
      ]);
      if (!ctx.alive()) return;
      finalStatuses = names.final_statuses;
      const finishedNow = job && !finalStatuses.includes(job.status) && finalStatuses.includes(nextJob.status);
      job = nextJob;
      slots.message.replaceChildren();
      renderHead(slots.head, job, ctx, refresh, slots.message);
      slots.warnings.replaceChildren(...(job.warnings || []).map((text) => h("div", { class: "form-error warning", role: "note" }, `⚠ ${text}`)));
      renderProgress(slots.progress, job);
      renderStats(slots.stats, overview, job);
      renderCurve(slots.curve, slots.accuracyTable, overview);
      renderGain(slots.gain, overview);
      if (!parametersShown) {
        slots.parameters.replaceChildren(parameterList(job));
        parametersShown = true;
      }
      if (finishedNow || finalStatuses.includes(job.status)) stopPolling();
      if (!document.body.dataset.jobRendered) {
        // Read by tests and benchmarks/dashboard_benchmark.py: first complete render.
        document.body.dataset.jobRendered = "true";
        document.body.dataset.jobRenderedMs = performance.now().toFixed(1);
      }
      table.showImages();
    } catch (error) {
      if (!ctx.alive()) return;
      slots.message.replaceChildren(errorBox(error));
      if (error instanceof ApiError && error.status === 404) stopPolling();
    }
  }

  const timer = ctx.every(REFRESH_MS, refresh);
  function stopPolling() { clearInterval(timer); }
  refresh();
}

function renderHead(slot, job, ctx, refresh, message) {
  const actions = h("div", { class: "actions" },
    h("button", { type: "button", id: "download-csv", onclick: () => downloadAll(job.id, "csv", message) }, "Download CSV"),
    h("button", { type: "button", id: "download-json", onclick: () => downloadAll(job.id, "json", message) }, "Download JSON"));
  if (!finalStatuses.includes(job.status)) {
    actions.append(h("button", {
      type: "button", class: "danger", id: "cancel-job",
      onclick: async (event) => {
        if (!window.confirm("Cancel this job? Samples already certified are kept.")) return;
        event.target.disabled = true;
        try { await postJson(`/v1/jobs/${job.id}/cancel`); } catch (error) { message.replaceChildren(errorBox(error)); }
        refresh();
      },
    }, "Cancel job"));
  }
  slot.replaceChildren(
    h("div", {},
      h("h1", {}, "Job ", h("span", { class: "mono" }, shortId(job.id)), " ", statusBadge(job.status)),
      h("p", { class: "muted" }, "Model ", link(`/dashboard/models/${job.model_id}`, h("span", { class: "mono" }, shortId(job.model_id))),
        ` · mode ${job.mode} · created ${timestamp(job.timings.created_at)}`)),
    actions);
}

function renderProgress(slot, job) {
  const p = job.progress;
  const t = job.timings;
  const parts = [`${p.done} of ${p.total} inputs (${percent(p.fraction, 0)})`];
  if (job.status === "running") parts.push(`ETA ${duration(job.eta_seconds)}`);
  if (t.wall_seconds !== null) parts.push(`wall ${duration(t.wall_seconds)}`);
  if (t.seconds_per_sample !== null) parts.push(`${t.seconds_per_sample.toFixed(2)} s per input`);
  slot.replaceChildren(
    h("div", { class: "progress-line" }, progressBar(p.fraction, true), h("strong", { id: "progress-text" }, percent(p.fraction, 0))),
    h("p", { class: "muted" }, parts.join(" · ")));
  if (job.error) slot.append(h("p", { class: "error" }, `Error: ${job.error}`));
}

function stat(label, value, cls = "", title = "") {
  return h("div", { class: "stat", title }, h("div", { class: "label" }, label), h("div", { class: `value ${cls}` }, value));
}

// The same-cost NP baselines: the name shown, and what it is.
const BASELINES = {
  "equal-budget": ["equal budget", "NP from 2N draws under P at the full alpha: the DSRS paper's baseline"],
  "sequential-np": ["sequential same cost", "An independent sequential NP run, budget 2N (the DSRS job's), at the full alpha, with its own looks"],
};

// The headline gain says which NP baseline it is against.
function gainStat(o) {
  const same = BASELINES[o.baseline];
  const base = same ? o.acr_np_equal_budget : o.acr_np;
  const gain = o.acr_dsrs - base;
  return stat(same ? `DSRS ACR gain vs ${o.baseline} NP` : "DSRS ACR gain vs same-run NP",
    `${gain >= 0 ? "+" : ""}${fixed(gain, 4)}`, "dsrs",
    same ? `Against the same-cost NP baseline: ${same[1]}`
      : "Against NP of the job's own N draws at half of alpha, which overstates the gain; submit with baseline equal-budget (sequential jobs: sequential-np) for a same-cost baseline");
}

function renderStats(slot, o, job) {
  if (!o.samples) {
    slot.replaceChildren(h("p", { class: "muted" }, `No inputs certified yet (0 of ${o.total}).`));
    return;
  }
  const metric = o.labelled ? "accuracy" : "fraction";
  slot.replaceChildren(...[
    stat("ACR, NP (same run)", fixed(o.acr_np), "np", "Average certified radius of NP from the job's own P draws (at the P share of alpha when Q is used)"),
    o.acr_np_equal_budget !== null && o.acr_np_equal_budget !== undefined
      ? stat(`ACR, NP (${(BASELINES[o.baseline] || BASELINES["equal-budget"])[0]})`, fixed(o.acr_np_equal_budget), "np", (BASELINES[o.baseline] || BASELINES["equal-budget"])[1])
      : null,
    stat("ACR, DSRS", o.uses_q ? fixed(o.acr_dsrs) : "no Q", "dsrs", "DSRS radius = max(NP, DSRS) per input"),
    o.uses_q ? gainStat(o) : null,
    stat("Abstain rate", percent(o.abstain_rate), "", `${o.abstained} of ${o.samples} inputs abstained`),
    stat("Benign accuracy", o.clean_accuracy === null ? "no labels" : percent(o.clean_accuracy), "",
      "Smoothed classifier's top class = label (predict: selection draws; evaluate: more than half the P draws)"),
    stat(`Certified ${metric} at 0`, percent(o.table.length ? o.table[0].np : 0)),
    stat("Largest radius", o.uses_q ? `NP ${fixed(o.max_radius_np)} · DSRS ${fixed(o.max_radius_dsrs)}` : `NP ${fixed(o.max_radius_np)}`, "",
      "The largest certified radius among the inputs, of NP (same run) and of DSRS"),
    stat("Inputs certified", `${o.samples} / ${o.total}`),
    job.parameters.sequential
      ? stat("Forward passes", o.forward_passes_budget ? percent(o.forward_passes / o.forward_passes_budget) : "–", "",
        `${o.forward_passes.toLocaleString()} of the fixed-N budget ${o.forward_passes_budget.toLocaleString()} (sequential sampling stops inputs early)`)
      : stat("Forward passes", o.forward_passes.toLocaleString(), "", "Fixed N: every input draws its whole budget"),
    o.proof_outcomes
      ? stat("Proof mode (NP radii)", `${(o.proof_outcomes["proven"] ?? 0) + (o.proof_outcomes["fell back"] ?? 0)} / ${o.samples} proven`, "",
        Object.entries(o.proof_outcomes).map(([outcome, count]) => `${count} ${outcome}`).join(" · ")
          + ". Proven: the verified NP radius itself; fell back: a slightly smaller radius is proven; not proven / not covered: the radius stands verified only. DSRS radii stay verified.")
      : null,
  ].filter(Boolean));
}

function renderCurve(slot, tableSlot, o) {
  if (!o.samples) {
    slot.replaceChildren(h("p", { class: "empty" }, "No inputs certified yet."));
    tableSlot.replaceChildren();
    return;
  }
  // DSRS solid underneath, NP dashed on top: where the two coincide both stay visible.
  const series = [];
  // One job's few curves keep their markers (hover: the value at each step).
  if (o.curve.dsrs) series.push({ name: "DSRS", cls: "dsrs", x: o.curve.radius, y: o.curve.dsrs, width: 2.6, markers: true });
  series.push({ name: "NP (same run)", cls: "np", x: o.curve.radius, y: o.curve.np, width: 2.2, dash: "6 4", markers: true });
  const sameCost = `NP (${(BASELINES[o.baseline] || BASELINES["equal-budget"])[0]})`;
  if (o.curve.np_equal_budget) series.push({ name: sameCost, cls: "np", x: o.curve.radius, y: o.curve.np_equal_budget, width: 1.6, dash: "2 3", markers: true });
  const yLabel = o.labelled ? "certified accuracy" : "certified fraction";
  slot.replaceChildren(lineChart({ series, xLabel: "L2 radius", yLabel, title: `${yLabel} vs radius, NP and DSRS` }));
  tableSlot.replaceChildren(h("table", { class: "data", id: "accuracy-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "radius"), h("th", { class: "num" }, "NP (same run)"),
      o.curve.np_equal_budget ? h("th", { class: "num" }, sameCost) : null,
      o.uses_q ? h("th", { class: "num" }, "DSRS") : null)),
    h("tbody", {}, o.table.map((row) => h("tr", {},
      h("td", {}, row.radius.toFixed(2)), h("td", { class: "num" }, percent(row.np)),
      o.curve.np_equal_budget ? h("td", { class: "num" }, percent(row.np_equal_budget)) : null,
      o.uses_q ? h("td", { class: "num" }, percent(row.dsrs)) : null)))));
}

function renderGain(slot, o) {
  if (!o.uses_q) {
    slot.replaceChildren(h("p", { class: "empty" }, "This job certifies with NP only (no Q distribution), so there is no DSRS gain."));
    return;
  }
  const g = o.gain;
  if (!g.eligible) {
    slot.replaceChildren(h("p", { class: "empty" }, "No certified inputs yet."));
    return;
  }
  const same = BASELINES[o.baseline];
  const against = same ? `the same-cost NP baseline (${same[1]})` : "NP of the same run";
  document.getElementById("gain-title").textContent = `DSRS gain over ${same ? same[0] : "same-run"} NP, per input`;
  const width = g.edges[1] - g.edges[0];
  const bars = [{ from: -width, to: 0, count: g.unchanged, cls: "zero", label: "no gain" }];
  g.counts.forEach((count, i) => bars.push({ from: g.edges[i], to: g.edges[i + 1], count }));
  slot.replaceChildren(
    histogram({ bars, width: 420, height: 300, xLabel: "DSRS radius − NP radius", yLabel: "inputs", title: "Histogram of the DSRS gain over NP" }),
    h("p", { class: "muted" },
      `Against ${against}: ${g.improved} of ${g.eligible} certified inputs gain (grey bar: no gain${same ? " or a loss" : ""}); mean gain ${fixed(g.mean_gain, 4)}, largest ${fixed(g.max_gain, 4)}.`));
}

function parameterList(job) {
  const p = job.parameters;
  const q = p.q;
  const inputs = job.inputs;
  const source = inputs.source === "builtin" ? `${inputs.dataset} (${inputs.split})` : `upload ${shortId(inputs.input_set_id)}`;
  const rows = [
    ["Inputs", `${source}, ${inputs.count} inputs; first indices ${inputs.first_indices.join(", ")}${inputs.count > 10 ? ", …" : ""}`],
    ["Mode", job.mode],
    ["Noise P", `${p.noise.family}, σ = ${p.noise.sigma}${p.noise.family === "general-gaussian" ? `, k = ${p.noise.k}` : ""}`],
    ["Noise Q", !q ? "none (NP only)" : q.sigma !== null && q.sigma !== undefined ? `σ_Q = ${q.sigma}` : `threshold ${q.threshold}`],
    ["Draws", `N = ${p.n} per distribution${p.sequential ? " at most" : ""}; selection n₀ = ${p.n_selection}`],
    ["Sampling", !p.sequential ? "fixed N (every input draws N)"
      : `sequential: ${samplingRule(p.sequential)}; first look ${p.sequential.first_look}, growth ×${p.sequential.growth}, final share ${p.sequential.final_share} of α`],
    ["NP baseline", q ? p.baseline : "–"],
    ["α", `${p.alpha} (whole certificate)`],
    ["Batch size", p.batch_size],
    ["Radius search", Object.entries(p.radius_search || {}).map(([k, v]) => `${k}=${v}`).join(", ")],
    ["Seed", job.seed],
    ["Name", job.name || "–"],
    ["Tags", (job.tags || []).join(", ") || "–"],
    ["Job id", job.id],
  ];
  return h("dl", { class: "params", id: "parameters" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))]));
}

// Every page of the results endpoint, joined into one file (works with an API key too).
async function downloadAll(jobId, format, message) {
  try {
    const pages = [];
    let cursor = "";
    let items = [];
    do {
      const params = new URLSearchParams({ format, limit: 10000 });
      if (cursor) params.set("cursor", cursor);
      const response = await apiFetch(`/v1/jobs/${jobId}/results?${params}`);
      if (!response.ok) throw new ApiError(response.status, (await response.json().catch(() => ({}))).detail || response.statusText);
      if (format === "csv") {
        const text = await response.text();
        pages.push(pages.length ? text.slice(text.indexOf("\n") + 1) : text);
        cursor = response.headers.get("X-Next-Cursor") || "";
      } else {
        const page = await response.json();
        items = items.concat(page.items);
        cursor = page.next_cursor || "";
      }
    } while (cursor);
    const body = format === "csv" ? pages.join("") : JSON.stringify({ job_id: jobId, items }, null, 1);
    const blob = new Blob([body], { type: format === "csv" ? "text/csv" : "application/json" });
    const url = URL.createObjectURL(blob);
    const anchor = h("a", { href: url, download: `dsrs-job-${shortId(jobId)}.${format}` });
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    message.replaceChildren(errorBox(error));
  }
}
