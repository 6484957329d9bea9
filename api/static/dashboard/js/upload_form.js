// The upload forms of the models and inputs pages: one submit rule (blank optional fields
// left out, a refusal shown inline with the service's explanation, the list reloaded after
// an upload).

import { apiFetch, errorDetail } from "./api.js";
import { errorBox, h } from "./dom.js";

export function handleUpload(form, result, { path, optional, busy, errorId, uploaded, reload }) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    result.replaceChildren(h("p", { class: "muted" }, busy));
    try {
      const data = new FormData(form);
      for (const name of optional) if (!String(data.get(name) || "").trim()) data.delete(name);
      const response = await apiFetch(path, { method: "POST", body: data });
      const payload = await response.json().catch(() => null);
      if (!response.ok) {
        result.replaceChildren(h("div", { class: "form-error", role: "alert", id: errorId },
          `Upload refused (${response.status}): ${errorDetail(payload, response.statusText)}`));
        return;
      }
      const verb = response.status === 201 ? "Uploaded" : "Already uploaded:";
      result.replaceChildren(uploaded(verb, payload));
      form.reset();
      reload();
    } catch (error) {
      result.replaceChildren(errorBox(error));
    } finally {
      button.disabled = false;
    }
  });
}
