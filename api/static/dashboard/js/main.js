// The dashboard's router: one shell page, views chosen by the path, links handled here.

import { installKeyControls } from "./api.js";
import { h } from "./dom.js";
import * as jobsPage from "./jobs_page.js";
import * as jobPage from "./job_page.js";
import * as modelsPage from "./models_page.js";
import * as modelPage from "./model_page.js";
import * as newJobPage from "./new_job_page.js";

const ROUTES = [
  [/^\/dashboard\/?$/, jobsPage, "jobs"],
  [/^\/dashboard\/jobs\/?$/, jobsPage, "jobs"],
  [/^\/dashboard\/jobs\/([^/]+)$/, jobPage, "jobs"],
  [/^\/dashboard\/models\/?$/, modelsPage, "models"],
  [/^\/dashboard\/models\/([^/]+)$/, modelPage, "models"],
  [/^\/dashboard\/new-job\/?$/, newJobPage, "new-job"],
];

let current = null;

// Each view gets a context: ctx.alive() turns false when the user navigates away, and
// ctx.every(ms, fn) polls until then.
function makeContext() {
  const context = { live: true, timers: [] };
  context.alive = () => context.live;
  context.every = (ms, fn) => {
    const timer = setInterval(() => { if (context.live) fn(); }, ms);
    context.timers.push(timer);
    return timer;
  };
  context.stop = () => {
    context.live = false;
    context.timers.forEach(clearInterval);
  };
  context.navigate = navigate;
  return context;
}

export function navigate(href, replace = false) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  route();
}

function route() {
  if (current) current.stop();
  current = makeContext();
  const path = window.location.pathname;
  const view = document.getElementById("view");
  for (const [pattern, page, nav] of ROUTES) {
    const match = path.match(pattern);
    if (!match) continue;
    document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", a.dataset.nav === nav));
    view.replaceChildren();
    page.render(view, match.slice(1).map(decodeURIComponent), new URLSearchParams(window.location.search), current);
    return;
  }
  view.replaceChildren(h("p", { class: "empty" }, "No such page. ", h("a", { href: "/dashboard/jobs", "data-link": true }, "Back to the jobs")));
}

document.addEventListener("click", (event) => {
  const anchor = event.target.closest("a[data-link]");
  if (!anchor || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(anchor.getAttribute("href"));
});
window.addEventListener("popstate", route);
installKeyControls();
route();
