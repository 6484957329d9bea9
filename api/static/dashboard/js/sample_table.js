// The per-sample table of a job: sorted, filtered and paginated by the server.

import { getJson, imageUrl, storedKey } from "./api.js";
import { errorBox, fixed, h } from "./dom.js";

const FILTERS = [
  ["all", "all inputs"],
  ["abstained", "abstained"],
  ["certified", "certified (and correct)"],
  ["improved", "DSRS beats NP"],
  ["wrong", "wrong prediction"],
];
// [key, header, sortable, numeric, tooltip]
const COLUMNS = [
  ["input", "input", false, false, "The input image"],
  ["sample_index", "#", true, true, "Position in the job"],
  ["dataset_index", "index", true, true, "Index in the dataset or input set"],
  ["label", "label", true, true, "Given label"],
  ["prediction", "prediction", true, true, "Certified class (– = abstained)"],
  ["p_lower", "P interval", true, false, "Clopper–Pearson interval of the P probability of the counted class (count/N)"],
  ["q_lower", "Q interval", true, false, "Interval of the Q probability (DSRS)"],
  ["np_radius", "NP radius", true, true, "Neyman–Pearson certified radius"],
  ["dsrs_radius", "DSRS radius", true, true, "DSRS certified radius (max of NP and DSRS)"],
  ["gain", "gain", true, true, "DSRS radius − NP radius"],
  ["elapsed_s", "time", true, true, "Seconds spent on this input"],
  ["draws", "draws", false, true, "Forward passes this input used: its P draws, Q draws and equal-budget extra draws (sequential inputs stop early)"],
  ["baseline_np_radius", "NP radius (equal budget)", false, true, "NP from the pooled 2N draws under P at the full α (equal-budget baseline jobs)"],
  ["check_outcome", "proof", false, false, "Proof mode (check: proven): proven, fell back (to the proven radius shown), not proven or not covered; hover for the enclosure of the NP dual bound − 1/2"],
];
const PAGE_SIZES = [25, 50, 100];

// Thumbnails wait for showImages(): on the first load the page's own data comes first.
export function sampleTable(jobId, ctx) {
  const state = { sort: "sample_index", order: "asc", filter: "all", offset: 0, limit: 25 };
  let imagesShown = false;
  const filter = h("select", { id: "sample-filter" }, FILTERS.map(([v, t]) => h("option", { value: v }, t)));
  const size = h("select", { id: "page-size" }, PAGE_SIZES.map((n) => h("option", { value: n }, `${n} rows`)));
  const head = h("tr");
  const body = h("tbody");
  const range = h("span", { class: "muted", id: "table-range" });
  const previous = h("button", { type: "button", id: "page-previous" }, "‹ Previous");
  const next = h("button", { type: "button", id: "page-next" }, "Next ›");
  const errorSlot = h("div");
  const element = h("div", {},
    h("div", { class: "filters" }, h("label", {}, "Show", filter), h("label", {}, "Page size", size)),
    errorSlot,
    h("table", { class: "data", id: "samples-table" }, h("thead", {}, head), body),
    h("div", { class: "pager" }, range, previous, next));
  let total = 0;

  function drawHead() {
    head.replaceChildren(...COLUMNS.map(([key, title, sortable, numeric, tooltip]) => {
      const arrow = state.sort === key ? h("span", { class: "arrow" }, state.order === "asc" ? "▲" : "▼") : null;
      const classes = [sortable ? "sortable" : "", numeric ? "num" : ""].join(" ").trim();
      const th = h("th", { class: classes || undefined, title: tooltip, "data-sort": sortable ? key : undefined,
        "aria-sort": state.sort === key ? (state.order === "asc" ? "ascending" : "descending") : undefined }, title, arrow);
      if (sortable) {
        const sortBy = () => {
          if (state.sort === key) state.order = state.order === "asc" ? "desc" : "asc";
          else { state.sort = key; state.order = key === "sample_index" || key === "dataset_index" ? "asc" : "desc"; }
          state.offset = 0;
          refresh();
        };
        th.tabIndex = 0;
        th.addEventListener("click", sortBy);
        th.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(); } });
      }
      return th;
    }));
  }

  async function refresh() {
    drawHead();
    try {
      const page = await getJson(`/v1/dashboard/jobs/${jobId}/samples`, {
        sort: state.sort, order: state.order, filter: state.filter, offset: state.offset, limit: state.limit,
      });
      if (!ctx.alive()) return;
      total = page.total;
      errorSlot.replaceChildren();
      body.replaceChildren(...page.items.map((item) => row(jobId, item)));
      if (imagesShown) showImages();
      if (!page.items.length) body.append(h("tr", {}, h("td", { colspan: COLUMNS.length, class: "empty" }, "No rows yet.")));
      const first = page.items.length ? state.offset + 1 : 0;
      range.textContent = `rows ${first}–${state.offset + page.items.length} of ${total}`;
      previous.disabled = state.offset === 0;
      next.disabled = state.offset + state.limit >= total;
    } catch (error) {
      if (ctx.alive()) errorSlot.replaceChildren(errorBox(error));
    }
  }

  filter.addEventListener("change", () => { state.filter = filter.value; state.offset = 0; refresh(); });
  size.addEventListener("change", () => { state.limit = Number(size.value); state.offset = 0; refresh(); });
  previous.addEventListener("click", () => { state.offset = Math.max(0, state.offset - state.limit); refresh(); });
  next.addEventListener("click", () => { if (state.offset + state.limit < total) { state.offset += state.limit; refresh(); } });
  function showImages() {
    imagesShown = true;
    body.querySelectorAll("img.thumb:not([src])").forEach((img) => {
      if (!storedKey()) img.src = img.dataset.src;
      else imageUrl(img.dataset.src).then((url) => { img.src = url; }).catch(() => { img.alt = "unavailable"; });
    });
  }

  drawHead();
  return { element, refresh, showImages };
}

function interval(lower, upper, count, n) {
  if (lower === null || lower === undefined) return "–";
  return h("span", { title: `count ${count} of ${n}` }, `[${fixed(lower, 4)}, ${fixed(upper, 4)}]`);
}

function thumbnail(jobId, index) {
  return h("img", { class: "thumb", alt: `input ${index}`, width: 32, height: 32, decoding: "async",
    "data-src": `/v1/jobs/${jobId}/inputs/${index}.png` });
}

function row(jobId, item) {
  const abstained = item.prediction === null;
  const wrong = !abstained && item.label !== null && item.prediction !== item.label;
  const dsrs = item.dsrs_radius === null ? null : Math.max(item.dsrs_radius, item.np_radius);
  const gain = dsrs === null ? null : dsrs - item.np_radius;
  return h("tr", { class: abstained ? "abstained" : wrong ? "wrong" : undefined, title: item.reason || undefined },
    h("td", {}, thumbnail(jobId, item.sample_index)),
    h("td", { class: "num" }, item.sample_index),
    h("td", { class: "num" }, item.dataset_index),
    h("td", { class: "num" }, item.label ?? "–"),
    h("td", { class: "num" }, abstained ? h("span", { class: "warning" }, "abstain") : item.prediction),
    h("td", { class: "mono" }, interval(item.p_lower, item.p_upper, item.p_count, item.p_n)),
    h("td", { class: "mono" }, interval(item.q_lower, item.q_upper, item.q_count, item.q_n)),
    h("td", { class: "num" }, fixed(item.np_radius, 4)),
    h("td", { class: "num" }, fixed(dsrs, 4)),
    h("td", { class: "num" }, gain === null ? "–" : gain > 1e-6 ? `+${fixed(gain, 4)}` : "0"),
    h("td", { class: "num" }, `${fixed(item.elapsed_s, 2)} s`),
    h("td", { class: "num draws" }, item.draws_used.toLocaleString()),
    h("td", { class: "num" }, item.baseline_np_radius === null || item.baseline_np_radius === undefined ? "–" : fixed(item.baseline_np_radius, 4)),
    h("td", { class: "proof" }, proofCell(item)));
}

function proofCell(item) {
  if (!item.check_outcome) return "–";
  const enclosure = item.proof_margin_lower === null || item.proof_margin_lower === undefined ? "no enclosure"
    : `L − 1/2 in [${item.proof_margin_lower.toExponential(2)}, ${item.proof_margin_upper.toExponential(2)}]`;
  const seconds = item.proof_seconds === null || item.proof_seconds === undefined ? "" : `, ${fixed(item.proof_seconds, 2)} s`;
  const text = item.check_outcome === "fell back" ? `fell back to ${fixed(item.proven_np_radius, 4)}` : item.check_outcome;
  return h("span", { title: `${enclosure}${seconds}${item.proof_reason ? `; ${item.proof_reason}` : ""}` }, text);
}
