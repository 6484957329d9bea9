// The dashboard's router: one shell page, views chosen by the path, links handled here.

import { installKeyControls } from "./api.js";
import { errorBox, h } from "./dom.js";

// Each page's module is loaded when first visited, so a page fetches only its own code.
const jobsPage = () => import("./jobs_page.js");
const ROUTES = [
  [/^\/dashboard\/?$/, jobsPage, "jobs"],
  [/^\/dashboard\/jobs\/?$/, jobsPage, "jobs"],
  [/^\/dashboard\/jobs\/([^/]+)$/, () => import("./job_page.js"), "jobs"],
  [/^\/dashboard\/models\/?$/, () => import("./models_page.js"), "models"],
  [/^\/dashboard\/models\/([^/]+)$/, () => import("./model_page.js"), "models"],
  [/^\/dashboard\/new-job\/?$/, () => import("./new_job_page.js"), "new-job"],
  [/^\/dashboard\/compare\/?$/, () => import("./compare_page.js"), "compare"],
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
    const context = current;
    page().then((module) => {
      if (!context.alive()) return;
      view.replaceChildren();
      module.render(view, match.slice(1).map(decodeURIComponent), new URLSearchParams(window.location.search), context);
    }).catch((error) => view.replaceChildren(errorBox(error)));
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
