// Models: the upload form (errors shown inline) and the list.

import { getJson } from "./api.js";
import { errorBox, h, link, shortId, timestamp } from "./dom.js";
import { handleUpload } from "./upload_form.js";

// The server's allow-list (models/registry.py); the server validates, this only suggests.
export const ARCHITECTURES = [
  ["digits-mlp", "MLP for scikit-learn's 8×8 digits (the demo network)"],
  ["lenet-mnist", "LeNet-style CNN for MNIST"],
  ["resnet20-cifar", "CIFAR ResNet-20"],
  ["resnet110-cifar", "CIFAR ResNet-110"],
  ["resnet50-imagenet", "torchvision ResNet-50"],
];

function field(label, input, help) {
  return h("label", {}, label, input, help ? h("span", { class: "help" }, help) : null);
}

export function render(view, _params, _query, ctx) {
  const result = h("div", { id: "upload-result" });
  const file = h("input", { type: "file", name: "file", id: "model-file", required: true, accept: ".safetensors,.onnx" });
  const form = h("form", { class: "stacked", id: "model-upload-form" },
    h("fieldset", {}, h("legend", {}, "Upload a base classifier"),
      field("Weights file", file, "A safetensors state dict of a registered architecture, or an ONNX model (any other network: export it with DsrsClient.upload_module or dsrs models upload --module; README, \"Certify your own model\"). Pickle and TorchScript files are refused."),
      field("Architecture", h("select", { name: "architecture", id: "model-architecture" },
        h("option", { value: "" }, "none: an ONNX model"),
        ARCHITECTURES.map(([name, text]) => h("option", { value: name }, `${name} — ${text}`))),
        "Required for safetensors; none for ONNX."),
      field("Name", h("input", { name: "name", id: "model-name", maxlength: 200, placeholder: "defaults to the file name" })),
      field("Mean", h("input", { name: "mean", placeholder: "e.g. 0.4914,0.4822,0.4465" }), "Per-channel normalisation mean, comma-separated (default: the architecture's)."),
      field("Std", h("input", { name: "std", placeholder: "e.g. 0.2470,0.2435,0.2616" }), "Per-channel std, comma-separated.")),
    h("div", {}, h("button", { type: "submit", class: "primary", id: "model-upload" }, "Upload model")),
    result);
  const body = h("tbody");
  view.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Models"), h("p", { class: "muted" }, "Base classifiers the service can certify."))),
    h("div", { class: "panel" }, form),
    h("div", { class: "panel" }, h("h2", {}, "Uploaded models"),
      h("table", { class: "data", id: "models-table" },
        h("thead", {}, h("tr", {}, ["Name", "Id", "Format", "Architecture", "Input shape", "Classes", "Size", "Uploaded"].map((t) => h("th", {}, t)))),
        body)));

  async function load() {
    try {
      const models = await getJson("/v1/models", { limit: 1000 });
      if (!ctx.alive()) return;
      body.replaceChildren(...models.map((m) => h("tr", {},
        h("td", {}, link(`/dashboard/models/${m.id}`, m.name)),
        h("td", { class: "mono" }, shortId(m.id)),
        h("td", {}, m.format),
        h("td", {}, m.architecture || "–"),
        h("td", {}, m.input_shape.join("×")),
        h("td", {}, m.num_classes),
        h("td", {}, `${(m.size_bytes / 1024).toFixed(1)} KiB`),
        h("td", { class: "muted" }, timestamp(m.created_at)))));
      if (!models.length) body.append(h("tr", {}, h("td", { colspan: 8, class: "empty" }, "No models yet: upload one above.")));
    } catch (error) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 8 }, errorBox(error))));
    }
  }

  handleUpload(form, result, {
    path: "/v1/models",
    optional: ["architecture", "name", "mean", "std"],
    busy: "Uploading and validating…",
    errorId: "upload-error",
    uploaded: (verb, model) => h("div", { class: "form-ok", id: "upload-ok" }, `${verb} `,
      link(`/dashboard/models/${model.id}`, model.name), ` (${model.format}, input ${model.input_shape.join("×")}). `,
      link(`/dashboard/new-job?model=${model.id}`, "Certify with it →")),
    reload: load,
  });
  load();
}
