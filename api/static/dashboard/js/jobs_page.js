// Jobs: live status, progress and ETA, filtered by status and model.

import { catalogue, getJson } from "./api.js";
import { duration, errorBox, h, link, progressBar, samplingRule, shortId, statusBadge, timestamp } from "./dom.js";

// Poll often while a listed job is not final (queued, running), rarely otherwise (new jobs appear).
const ACTIVE_REFRESH_MS = 2000;
const IDLE_REFRESH_MS = 10000;

function noiseText(parameters) {
  const noise = parameters.noise || {};
  const family = noise.family === "general-gaussian" ? `GG k=${noise.k}` : "Gaussian";
  const q = parameters.q;
  const qText = !q ? "NP only" : q.sigma !== null && q.sigma !== undefined ? `Q σ=${q.sigma}` : `Q thr=${q.threshold}`;
  const sampling = parameters.sequential ? ` ≤ ${parameters.n}, sequential (${samplingRule(parameters.sequential)})` : `=${parameters.n}`;
  return `${family} σ=${noise.sigma} · ${qText} · N${sampling}`;
}

export function render(view, _params, query, ctx) {
  const status = h("select", { name: "status" }, h("option", { value: "" }, "any status"));
  const model = h("select", { name: "model" }, h("option", { value: "" }, "any model"));
  catalogue().then(({ job_statuses: names }) => {
    status.append(...names.map((s) => h("option", { value: s }, s)));
    status.value = query.get("status") || "";
  }).catch(() => {});
  const body = h("tbody");
  const note = h("p", { class: "muted" });
  const errorSlot = h("div");
  view.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Jobs"), h("p", { class: "muted" }, "Certification jobs, newest first; updates live.")),
      h("div", { class: "actions" }, link("/dashboard/new-job", h("button", { class: "primary", type: "button" }, "New job")))),
    h("div", { class: "panel" },
      h("div", { class: "filters" }, h("label", {}, "Status", status), h("label", {}, "Model", model)),
      errorSlot,
      h("table", { class: "data", id: "jobs-table" },
        h("thead", {}, h("tr", {}, ["Job", "Model", "Status", "Progress", "ETA", "Certificate", "Created"].map((t) => h("th", {}, t)))),
        body),
      note));

  getJson("/v1/models", { limit: 1000 }).then((models) => {
    for (const m of models) model.append(h("option", { value: m.id }, `${m.name} (${shortId(m.id)})`));
    model.value = query.get("model") || "";
  }).catch(() => {});

  let active = true;
  let lastRefresh = 0;
  async function refresh() {
    lastRefresh = Date.now();
    const params = { limit: 100 };
    const statusName = status.value || query.get("status") || "";
    if (statusName) params.status = statusName;
    const modelId = model.value || query.get("model") || "";
    if (modelId) params.model_id = modelId;
    try {
      const [list, { final_statuses: final }] = await Promise.all([getJson("/v1/dashboard/jobs", params), catalogue()]);
      if (!ctx.alive()) return;
      errorSlot.replaceChildren();
      body.replaceChildren(...list.items.map((job) => row(job, list.models[job.model_id])));
      if (!list.items.length) body.append(h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No jobs match these filters.")));
      note.textContent = `${list.items.length} job(s) shown.`;
      active = list.items.some((job) => !final.includes(job.status));
    } catch (error) {
      if (ctx.alive()) errorSlot.replaceChildren(errorBox(error));
    }
  }

  function onFilter() {
    const params = new URLSearchParams();
    if (status.value) params.set("status", status.value);
    if (model.value) params.set("model", model.value);
    history.replaceState(null, "", `/dashboard/jobs${params.size ? `?${params}` : ""}`);
    query = params;
    refresh();
  }
  status.addEventListener("change", onFilter);
  model.addEventListener("change", onFilter);
  refresh();
  ctx.every(ACTIVE_REFRESH_MS, () => {
    if (active || Date.now() - lastRefresh >= IDLE_REFRESH_MS) refresh();
  });
}

function row(job, modelName) {
  const p = job.progress;
  return h("tr", { "data-job": job.id },
    h("td", {}, link(`/dashboard/jobs/${job.id}`, h("span", { class: "mono" }, shortId(job.id))),
      job.name ? [" ", h("span", {}, job.name)] : null,
      (job.tags || []).map((tag) => [" ", h("span", { class: "tag muted" }, `#${tag}`)]),
      (job.warnings || []).length ? [" ", h("span", { class: "warning", title: job.warnings.join("\n") }, "⚠")] : null),
    h("td", {}, link(`/dashboard/models/${job.model_id}`, modelName || shortId(job.model_id))),
    h("td", {}, statusBadge(job.status)),
    h("td", {}, h("div", { class: "progress-line" }, progressBar(p.fraction), h("span", { class: "muted" }, `${p.done}/${p.total}`))),
    h("td", {}, job.status === "running" ? duration(job.eta_seconds) : "–"),
    h("td", { class: "muted" }, noiseText(job.parameters)),
    h("td", { class: "muted" }, timestamp(job.timings.created_at)));
}
