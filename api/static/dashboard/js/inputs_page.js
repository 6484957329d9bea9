// Input sets: the upload form (errors inline), the list with a preview of the first items,
// and delete.

import { apiFetch, errorDetail, getJson, imageUrl } from "./api.js";
import { errorBox, h, link, shortId, timestamp } from "./dom.js";
import { handleUpload } from "./upload_form.js";

const PREVIEW_ITEMS = 4;

function field(label, input, help) {
  return h("label", {}, label, input, help ? h("span", { class: "help" }, help) : null);
}

export function render(view, _params, _query, ctx) {
  const result = h("div", { id: "inputs-upload-result" });
  const form = h("form", { class: "stacked", id: "inputs-upload-form" },
    h("fieldset", {}, h("legend", {}, "Upload an input set"),
      field("Arrays file", h("input", { type: "file", name: "file", id: "inputs-file", required: true, accept: ".npz,.npy,.safetensors" }),
        ".npz or safetensors with 'inputs' (n, C, H, W) float in [0, 1] and optional 'labels' (n,) int; or .npy with the inputs only. Image folders: dsrs inputs upload FOLDER on the command line."),
      field("Name", h("input", { name: "name", id: "inputs-name", maxlength: 200, placeholder: "defaults to the file name" }))),
    h("div", {}, h("button", { type: "submit", class: "primary", id: "inputs-upload" }, "Upload inputs")),
    result);
  const body = h("tbody");
  view.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Inputs"), h("p", { class: "muted" }, "Input sets uploaded for certification (the same file gives the same set)."))),
    h("div", { class: "panel" }, form),
    h("div", { class: "panel" }, h("h2", {}, "Input sets"),
      h("table", { class: "data", id: "inputs-table" },
        h("thead", {}, h("tr", {}, ["Name", "Id", "Count", "Shape", "Labels", "Preview", "Uploaded", ""].map((t) => h("th", {}, t)))),
        body)));

  function preview(set) {
    const cell = h("td", { class: "preview" });
    for (let i = 0; i < Math.min(PREVIEW_ITEMS, set.count); i++) {
      const img = h("img", { alt: `item ${i}`, width: 32, height: 32, class: "thumb" });
      imageUrl(`/v1/inputs/${set.id}/items/${i}.png`).then((url) => { img.src = url; }).catch(() => img.remove());
      cell.append(img);
    }
    return cell;
  }

  async function remove(set, button) {
    button.disabled = true;
    const response = await apiFetch(`/v1/inputs/${set.id}`, { method: "DELETE" });
    if (!response.ok) {
      const payload = await response.json().catch(() => null);
      result.replaceChildren(h("div", { class: "form-error", role: "alert" }, `Not deleted (${response.status}): ${errorDetail(payload, response.statusText)}`));
      button.disabled = false;
      return;
    }
    load();
  }

  async function load() {
    try {
      const sets = await getJson("/v1/inputs", { limit: 1000 });
      if (!ctx.alive()) return;
      body.replaceChildren(...sets.map((set) => {
        const del = h("button", { type: "button", class: "link-button", "data-delete": set.id }, "delete");
        del.addEventListener("click", () => remove(set, del));
        return h("tr", { "data-input-set": set.id },
          h("td", {}, set.name),
          h("td", { class: "mono" }, shortId(set.id)),
          h("td", {}, set.count),
          h("td", {}, set.sample_shape.join("×")),
          h("td", {}, set.has_labels ? "yes" : "no"),
          preview(set),
          h("td", { class: "muted" }, timestamp(set.created_at)),
          h("td", {}, link(`/dashboard/new-job?input_set=${set.id}`, "certify →"), " ", del));
      }));
      if (!sets.length) body.append(h("tr", {}, h("td", { colspan: 8, class: "empty" }, "No input sets yet: upload one above.")));
    } catch (error) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 8 }, errorBox(error))));
    }
  }

  handleUpload(form, result, {
    path: "/v1/inputs",
    optional: ["name"],
    busy: "Uploading and checking…",
    errorId: "inputs-upload-error",
    uploaded: (verb, set) => h("div", { class: "form-ok", id: "inputs-upload-ok" },
      `${verb} ${set.name}: ${set.count} inputs of ${set.sample_shape.join("×")}${set.has_labels ? " with labels" : ""}. `,
      link(`/dashboard/new-job?input_set=${set.id}`, "Certify them →")),
    reload: load,
  });
  load();
}
