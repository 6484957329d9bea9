// One model: its fields and its jobs.

import { getJson } from "./api.js";
import { errorBox, h, link, percent, statusBadge, timestamp, shortId } from "./dom.js";

export function render(view, [modelId], _query, ctx) {
  const slot = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  view.append(slot);
  Promise.all([getJson(`/v1/models/${modelId}`), getJson("/v1/dashboard/jobs", { model_id: modelId, limit: 100 })])
    .then(([model, jobs]) => {
      if (!ctx.alive()) return;
      const rows = [
        ["Id", model.id], ["Format", model.format], ["Architecture", model.architecture || "– (ONNX)"],
        ["Input shape", model.input_shape.join(" × ")], ["Classes", model.num_classes],
        ["Normalisation", model.mean ? `mean ${model.mean.join(", ")} · std ${model.std.join(", ")}` : "architecture default"],
        ["Size", `${model.size_bytes} bytes`], ["sha256", model.sha256], ["Uploaded", timestamp(model.created_at)],
      ];
      slot.replaceChildren(
        h("div", { class: "page-head" },
          h("div", {}, h("h1", {}, model.name), h("p", { class: "muted" }, "Base classifier")),
          h("div", { class: "actions" }, link(`/dashboard/new-job?model=${model.id}`, h("button", { type: "button", class: "primary" }, "New job with this model")))),
        h("div", { class: "panel" }, h("dl", { class: "params", id: "model-details" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { class: k === "sha256" || k === "Id" ? "mono" : undefined }, String(v))]))),
        h("div", { class: "panel" }, h("h2", {}, "Jobs"),
          jobs.items.length
            ? h("table", { class: "data" }, h("thead", {}, h("tr", {}, ["Job", "Status", "Progress", "Created"].map((t) => h("th", {}, t)))),
              h("tbody", {}, jobs.items.map((job) => h("tr", {},
                h("td", {}, link(`/dashboard/jobs/${job.id}`, h("span", { class: "mono" }, shortId(job.id)))),
                h("td", {}, statusBadge(job.status)), h("td", {}, percent(job.progress.fraction, 0)),
                h("td", { class: "muted" }, timestamp(job.timings.created_at))))))
            : h("p", { class: "empty" }, "No jobs yet.")));
    })
    .catch((error) => { if (ctx.alive()) slot.replaceChildren(errorBox(error)); });
}
