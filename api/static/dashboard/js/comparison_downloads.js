// Download buttons of a comparison (GET /v1/compare/download): the table as CSV, Markdown
// or LaTeX (as `dsrs compare --format` writes it) and the curves as PNG or SVG, fetched with
// the stored API key. Used by the compare page (the jobs compared) and the job page (one job).

import { download } from "./api.js";
import { errorBox, h } from "./dom.js";

export const DOWNLOAD_FORMATS = [
  ["csv", "CSV", "csv"],
  ["markdown", "Markdown", "md"],
  ["latex", "LaTeX", "tex"],
  ["png", "PNG (curves)", "png"],
  ["svg", "SVG (curves)", "svg"],
];

// request: [[name, value], …] as GET /v1/compare takes it; message: where errors go.
export function comparisonDownloads(request, message, idPrefix = "compare-download") {
  return h("div", { class: "actions downloads", id: `${idPrefix}s` },
    DOWNLOAD_FORMATS.map(([format, label, extension]) => h("button", {
      type: "button",
      id: `${idPrefix}-${format}`,
      onclick: async () => {
        const params = new URLSearchParams([...request, ["format", format]]);
        try {
          await download(`/v1/compare/download?${params}`, `dsrs-comparison.${extension}`);
        } catch (error) {
          message.replaceChildren(errorBox(error));
        }
      },
    }, label)));
}
