// New job: a form with help on every parameter, a budget preview (/v1/plan) and inline errors.

import { ApiError, catalogue, getJson, postJson } from "./api.js";
import { errorBox, fixed, h, shortId } from "./dom.js";
import { fetchPlan } from "./budget.js";

// The paper's choice for MNIST/CIFAR-10: σ_Q = 0.8 σ. σ_Q follows σ until the user edits it.
const Q_SIGMA_RATIO = 0.8;
const DEFAULT_STOP = 20;

// [name, label, input attributes, help]
function input(name, attrs) {
  return h("input", { name, id: `f-${name.replace(/\./g, "-")}`, ...attrs });
}

function select(name, options, value) {
  const element = h("select", { name, id: `f-${name.replace(/\./g, "-")}` }, options.map(([v, t]) => h("option", { value: v }, t)));
  if (value !== undefined) element.value = value;
  return element;
}

function field(label, control, help) {
  return h("label", { "data-field": control.name }, label, control, h("span", { class: "help" }, help), h("span", { class: "field-error", hidden: true }));
}

export function render(view, _params, query, ctx) {
  const model = select("model_id", [["", "loading models…"]]);
  const inputSet = select("inputs.input_set_id", [["", "loading input sets…"]]);
  const qKind = select("q.kind", [["sigma", "Q with its own σ"], ["threshold", "Q thresholded (ball)"], ["none", "no Q: NP only"]], "sigma");
  const form = h("form", { class: "stacked", id: "new-job-form", novalidate: true },
    h("fieldset", {}, h("legend", {}, "Job"),
      field("Name", input("name", { maxlength: 200, placeholder: "optional" }), "A name to find the job by (jobs list --name, compare --name)."),
      field("Tags", input("tags", { placeholder: "optional, comma-separated" }), "Labels to filter jobs by (jobs list --tag, compare --tag).")),
    h("fieldset", {}, h("legend", {}, "Model and inputs"),
      field("Model", model, "The base classifier to smooth; upload one on the Models page."),
      field("Inputs from", select("inputs.source", [["digits", "digits (built in)"], ["upload", "an uploaded input set"]], "digits"),
        "A built-in dataset split (those whose files are on this server) or an input set uploaded with POST /v1/inputs."),
      field("Split", select("inputs.split", [["test", "test"], ["train", "train"]], "test"), "Which split of the built-in dataset."),
      field("Input set", inputSet, "An input set uploaded on the Inputs page (or with dsrs inputs upload); its shape must be the model's."),
      field("Start", input("inputs.start", { type: "number", min: 0, value: 0, step: 1 }), "First index (inclusive)."),
      field("Stop", input("inputs.stop", { type: "number", min: 1, value: 20, step: 1 }), "Last index (exclusive); empty = to the end."),
      field("Step", input("inputs.step", { type: "number", min: 1, value: 1, step: 1 }), "Take every step-th input."),
      field("Mode", select("mode", [["evaluate", "evaluate (labels)"], ["predict", "predict"]], "evaluate"),
        "evaluate: certify the given label (certified accuracy). predict: choose the class with n₀ selection draws and abstain when unsure.")),
    h("fieldset", {}, h("legend", {}, "Smoothing noise P"),
      field("Family", select("noise.family", [["gaussian", "Gaussian"], ["general-gaussian", "generalized Gaussian"]], "gaussian"),
        "Gaussian N(0, σ²I), or the generalized Gaussian of the DSRS paper (with k)."),
      field("σ", input("noise.sigma", { type: "number", min: 0, step: "any", value: 0.25, required: true }),
        "Noise level in input units (inputs in [0, 1]); larger σ certifies larger radii but costs clean accuracy."),
      field("k", input("noise.k", { type: "number", min: 0, step: 1, value: 0 }), "Generalized Gaussian only: 0 ≤ k < d/2 (d = input dimension); 0 for Gaussian.")),
    h("fieldset", {}, h("legend", {}, "DSRS: second distribution Q"),
      field("Q", qKind, "DSRS samples a second distribution Q to tighten the certificate; without Q the job gives the Neyman–Pearson certificate only."),
      field("σ_Q", input("q.sigma", { type: "number", min: 0, step: "any", value: 0.2 }), "Q's σ (same family as P); follows σ as 0.8 σ (the paper's MNIST/CIFAR-10 choice) until you change it. σ_Q ≥ σ cannot improve on NP."),
      field("Threshold", input("q.threshold", { placeholder: "0.5, x or x+" }), "Percentile in (0, 1) of P's radial law, or the heuristics x / x+ (ImageNet in the paper)."),
      field("NP baseline", select("baseline", [["same-run", "same run (no extra cost)"], ["equal-budget", "equal budget (N more draws under P)"],
        ["sequential-np", "sequential same cost (sequential jobs; up to 2N more draws)"]], "same-run"),
        "What the DSRS gain is measured against. Same run: NP from this job's own N draws at half of α (overstates the gain). Equal budget: NP from 2N draws under P at the full α, the DSRS paper's baseline; costs N more forward passes per input. Sequential same cost (sequential jobs, whose draws cannot be pooled): an independent sequential NP run, budget 2N, at the full α.")),
    h("fieldset", {}, h("legend", {}, "Sampling budget"),
      field("N", input("n", { type: "number", min: 1, step: 1, value: 200, required: true }), "Draws under P and (with Q) under Q per input: the main cost, and what bounds the largest radius."),
      field("α", input("alpha", { type: "number", min: 0, max: 1, step: "any", value: 0.001, required: true }), "Probability that an input's certificate is wrong (split between the P and Q estimates)."),
      field("n₀ (selection)", input("n_selection", { type: "number", min: 1, step: 1, value: 100 }), "predict mode: draws that choose the class before estimation."),
      field("Batch size", input("batch_size", { type: "number", min: 1, step: 1, value: 1000 }), "Noisy inputs per forward pass (memory vs speed); does not change results."),
      field("Seed", input("seed", { type: "number", min: 0, step: 1, placeholder: "random" }), "Makes the job reproducible; stored with the job.")),
    h("fieldset", {}, h("legend", {}, "Sequential sampling"),
      field("Sampling", select("sequential.kind", [["fixed", "fixed N (every input draws N)"], ["targets", "sequential: stop at target radii"], ["tolerance", "sequential: stop within a tolerance"]], "fixed"),
        "Sequential sampling draws in growing looks up to N and stops an input early, saving forward passes (docs/sequential.md). Its ACR is not comparable with a fixed-N job's when stopping at targets: inputs stop once certified at the target."),
      field("Target radii", input("sequential.target_radii", { placeholder: "e.g. 0.5, 1.0" }), "Comma-separated L2 radii: an input stops once certified at each (or once one is out of reach)."),
      field("Tolerance", input("sequential.tolerance", { type: "number", min: 0, step: "any", placeholder: "e.g. 0.05" }), "An input stops once its radius would not reach the next multiple of this."),
      field("First look", input("sequential.first_look", { type: "number", min: 1, step: 1, placeholder: "server default" }), "Draws at the first look; later looks grow geometrically up to N.")),
    h("fieldset", {}, h("legend", {}, "Radius search (advanced)"),
      field("Method", select("radius_search.method", [["grid", "grid"], ["precise", "precise"]], "grid"), "grid: largest certified radius on multiples of the unit; precise: bisection to the tolerance."),
      field("Unit", input("radius_search.unit", { type: "number", min: 0, step: "any", value: 0.05 }), "Grid spacing of DSRS radii, in units of σ (0.05 = steps of 0.05 σ)."),
      field("Tolerance", input("radius_search.tolerance", { type: "number", min: 0, step: "any", value: 0.0001 }), "Bisection tolerance (precise method)."),
      field("Mode", select("radius_search.mode", [["exact", "exact"], ["original", "original"]], "exact"), "exact: this service's sound search; original: the paper's procedure, for reproduction."),
      field("Check", select("check", [["verified", "verified (certifying check)"], ["proven", "proven (NP radii in interval arithmetic)"]], "verified"),
        "verified: every radius is verified by the certifying check (a-posteriori error estimate). proven: the worker also proves each input's NP radius in interval arithmetic (seconds per input; Gaussian P at any d, generalized Gaussian at d ≤ 3072; DSRS radii stay verified); each row says proven, fell back (a slightly smaller radius is proven), not proven or not covered.")),
    h("div", { class: "budget", id: "budget", "aria-live": "polite" }, h("strong", {}, "Budget preview"), h("div", { id: "budget-body", class: "muted" }, "…")),
    h("div", { id: "form-message" }),
    h("div", {}, h("button", { type: "submit", class: "primary", id: "submit-job" }, "Submit job")));
  view.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "New job"), h("p", { class: "muted" }, "Certify a model on a set of inputs with NP and DSRS."))),
    h("div", { class: "panel" }, form));

  const value = (name) => form.elements[name].value.trim();
  const number = (name) => (value(name) === "" ? undefined : Number(value(name)));

  function toggle() {
    const source = value("inputs.source");
    form.querySelector("[data-field='inputs.split']").hidden = source === "upload";
    form.querySelector("[data-field='inputs.input_set_id']").hidden = source !== "upload";
    form.querySelector("[data-field='noise.k']").hidden = value("noise.family") !== "general-gaussian";
    form.querySelector("[data-field='q.sigma']").hidden = value("q.kind") !== "sigma";
    form.querySelector("[data-field='q.threshold']").hidden = value("q.kind") !== "threshold";
    form.querySelector("[data-field='n_selection']").hidden = value("mode") !== "predict";
    const sequential = value("sequential.kind");
    form.querySelector("[data-field='sequential.target_radii']").hidden = sequential !== "targets";
    form.querySelector("[data-field='sequential.tolerance']").hidden = sequential !== "tolerance";
    form.querySelector("[data-field='sequential.first_look']").hidden = sequential === "fixed";
  }

  function request() {
    const source = value("inputs.source");
    const inputs = source === "upload" ? { input_set_id: value("inputs.input_set_id") } : { dataset: source, split: value("inputs.split") };
    Object.assign(inputs, { start: number("inputs.start") ?? 0, step: number("inputs.step") ?? 1 });
    if (number("inputs.stop") !== undefined) inputs.stop = number("inputs.stop");
    const family = value("noise.family");
    const kind = value("q.kind");
    const threshold = value("q.threshold");
    const body = {
      model_id: value("model_id"),
      inputs,
      mode: value("mode"),
      noise: { family, sigma: number("noise.sigma"), k: family === "general-gaussian" ? number("noise.k") ?? 0 : 0 },
      q: kind === "none" ? null : kind === "sigma" ? { sigma: number("q.sigma") } : { threshold: ["x", "x+"].includes(threshold) ? threshold : Number(threshold) },
      n_selection: number("n_selection") ?? 100,
      n: number("n"),
      alpha: number("alpha"),
      batch_size: number("batch_size"),
      radius_search: { method: value("radius_search.method"), unit: number("radius_search.unit"), tolerance: number("radius_search.tolerance"), mode: value("radius_search.mode") },
    };
    if (number("seed") !== undefined) body.seed = number("seed");
    if (kind !== "none") body.baseline = value("baseline");
    if (value("check") !== "verified") body.check = value("check");
    if (value("name")) body.name = value("name");
    const tags = value("tags").split(",").map((t) => t.trim()).filter(Boolean);
    if (tags.length) body.tags = tags;
    const sequential = value("sequential.kind");
    if (sequential !== "fixed") {
      body.sequential = sequential === "targets"
        ? { target_radii: value("sequential.target_radii").split(",").map((r) => r.trim()).filter(Boolean).map(Number) }
        : { tolerance: number("sequential.tolerance") };
      if (number("sequential.first_look") !== undefined) body.sequential.first_look = number("sequential.first_look");
    }
    return body;
  }

  function inputCount(body) {
    const size = datasets.find((d) => d.name === body.inputs.dataset)?.splits[body.inputs.split];
    const stop = body.inputs.stop ?? size;
    if (stop === undefined) return null;
    return Math.max(0, Math.ceil((stop - body.inputs.start) / body.inputs.step));
  }

  let budgetTimer = null;
  let budgetCall = 0;
  async function budget() {
    if (!ctx.alive()) return;
    const body = request();
    const out = document.getElementById("budget-body");
    const call = ++budgetCall;
    if (!(body.noise.sigma > 0) || !(body.n >= 1) || !(body.alpha > 0 && body.alpha < 1)) {
      out.replaceChildren("Give σ > 0, N ≥ 1 and 0 < α < 1 to see the budget.");
      return;
    }
    const usesQ = body.q !== null;
    const query = { family: body.noise.family, sigma: body.noise.sigma, k: body.noise.k, model_id: body.model_id || undefined,
      n: body.n, alpha: body.alpha, n_selection: body.mode === "predict" ? body.n_selection : 0,
      radius_unit: body.radius_search.unit, search_mode: body.radius_search.mode, q_sigma: usesQ && body.q.sigma !== undefined ? body.q.sigma : undefined,
      q_threshold: usesQ && body.q.threshold !== undefined ? body.q.threshold : undefined };
    try {
      const plan = await fetchPlan(query);
      if (call !== budgetCall || !ctx.alive()) return;
      const count = inputCount(body);
      const passes = plan.forward_passes_per_input;
      const items = [
        h("li", {}, `Largest radius N = ${body.n} and α = ${body.alpha} can certify at σ = ${body.noise.sigma}: `,
          h("strong", { class: "np-text" }, `NP ${plan.np_max_radius === null ? "–" : fixed(plan.np_max_radius, 4)}`),
          usesQ ? [", ", h("strong", {}, `DSRS ${plan.dsrs_max_radius === null || plan.dsrs_max_radius === undefined ? "–" : fixed(plan.dsrs_max_radius, 4)}`)] : null,
          usesQ && plan.np_equal_budget_max_radius != null ? [" (NP with the same budget, 2N draws at the full α: ", h("strong", { class: "np-text" }, fixed(plan.np_equal_budget_max_radius, 4)), ")"] : null),
        h("li", {}, `${passes.toLocaleString()} forward passes per input${count ? `, ${(passes * count).toLocaleString()} for ${count} inputs` : ""}.`),
      ];
      for (const warning of plan.warnings || []) items.push(h("li", { class: "warning" }, `⚠ ${warning}`));
      if (usesQ && plan.dsrs_max_radius !== null && plan.dsrs_max_radius !== undefined && plan.np_max_radius !== null && plan.dsrs_max_radius <= plan.np_max_radius + 1e-9 && !(plan.warnings || []).length) {
        items.push(h("li", { class: "warning" }, "⚠ At this budget DSRS cannot certify beyond NP: raise N, or drop Q to halve the cost."));
      }
      out.replaceChildren(h("ul", {}, items),
        h("p", { class: "muted", id: "budget-source" }, "From the server's /v1/plan."));
    } catch (error) {
      if (call === budgetCall && ctx.alive()) out.replaceChildren(h("span", { class: "error" }, error.message));
    }
  }
  function scheduleBudget() {
    clearTimeout(budgetTimer);
    budgetTimer = setTimeout(budget, 250);
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((e) => { e.hidden = true; e.textContent = ""; });
    document.getElementById("form-message").replaceChildren();
  }

  function showError(error) {
    const message = document.getElementById("form-message");
    const lines = error.message.split("\n");
    const unplaced = [];
    for (const line of lines) {
      const match = line.match(/^([\w.]+): (.*)$/);
      const label = match && (form.querySelector(`[data-field='${match[1]}']`) || form.querySelector(`[data-field='${match[1].split(".")[0]}.source']`));
      if (label) {
        const slot = label.querySelector(".field-error");
        slot.hidden = false;
        slot.textContent = match[2];
      } else unplaced.push(line);
    }
    message.replaceChildren(h("div", { class: "form-error", role: "alert", id: "submit-error" },
      `The job was refused (${error.status || "error"}): ${unplaced.length ? unplaced.join("\n") : "see the marked fields."}`));
  }

  let qSigmaEdited = false;
  form.addEventListener("input", (event) => {
    if (event.target.name === "q.sigma") qSigmaEdited = true;
    if (event.target.name === "noise.sigma" && !qSigmaEdited && number("noise.sigma") > 0) {
      form.elements["q.sigma"].value = String(Number((number("noise.sigma") * Q_SIGMA_RATIO).toPrecision(6)));
    }
    toggle();
    scheduleBudget();
  });
  form.addEventListener("change", () => { toggle(); scheduleBudget(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const button = document.getElementById("submit-job");
    button.disabled = true;
    try {
      const job = await postJson("/v1/jobs", request());
      ctx.navigate(`/dashboard/jobs/${job.id}`);
    } catch (error) {
      if (error instanceof ApiError) showError(error);
      else document.getElementById("form-message").replaceChildren(errorBox(error));
    } finally {
      button.disabled = false;
    }
  });

  // Defaults that fit each other: the chosen (or newest) model, then inputs of its shape —
  // the newest uploaded input set of that shape, else the built-in dataset of that shape.
  let models = [];
  let inputSets = [];
  // The built-in datasets (GET /v1/catalogue), in order of preference for a model's shape.
  let datasets = [];
  const shapeOf = (dims) => dims.join("×");
  function chooseInputs() {
    const chosen = models.find((m) => m.id === value("model_id"));
    if (!chosen) return;
    const shape = shapeOf(chosen.input_shape);
    const wanted = query.get("input_set");
    const fitting = inputSets.filter((set) => shapeOf(set.sample_shape) === shape);
    const set = fitting.find((s) => s.id === wanted) || fitting[0];
    const builtin = datasets.find((d) => d.on_server && shapeOf(d.input_shape) === shape);
    const source = form.elements["inputs.source"];
    if (set) {
      source.value = "upload";
      inputSet.value = set.id;
      form.elements.mode.value = set.has_labels ? "evaluate" : "predict";
      form.elements["inputs.stop"].value = String(Math.min(DEFAULT_STOP, set.count));
    } else if (builtin) {
      source.value = builtin.name;
      form.elements.mode.value = "evaluate";
      form.elements["inputs.stop"].value = String(DEFAULT_STOP);
    }
    toggle();
    scheduleBudget();
  }
  model.addEventListener("change", chooseInputs);
  inputSet.addEventListener("change", () => {
    const set = inputSets.find((s) => s.id === inputSet.value);
    if (set) form.elements["inputs.stop"].value = String(Math.min(DEFAULT_STOP, set.count));
  });

  Promise.all([getJson("/v1/models", { limit: 1000 }), getJson("/v1/inputs", { limit: 1000 }), catalogue()]).then(([modelList, setList, names]) => {
    if (!ctx.alive()) return;
    models = modelList;
    inputSets = setList;
    datasets = names.datasets;
    form.elements["inputs.source"].replaceChildren(
      ...datasets.map((d) => h("option", { value: d.name, disabled: !d.on_server }, d.on_server ? `${d.name} (built in)` : `${d.name} (not on this server)`)),
      h("option", { value: "upload" }, "an uploaded input set"));
    model.replaceChildren(...(models.length
      ? models.map((m) => h("option", { value: m.id }, `${m.name} · ${m.architecture || m.format} · ${m.input_shape.join("×")} (${shortId(m.id)})`))
      : [h("option", { value: "" }, "no models: upload one first")]));
    inputSet.replaceChildren(...(inputSets.length
      ? inputSets.map((set) => h("option", { value: set.id }, `${set.name} · ${set.count} × ${set.sample_shape.join("×")}${set.has_labels ? " · labels" : ""} (${shortId(set.id)})`))
      : [h("option", { value: "" }, "no input sets: upload one on the Inputs page")]));
    if (query.get("model")) model.value = query.get("model");
    else if (query.get("input_set")) {
      const set = inputSets.find((s) => s.id === query.get("input_set"));
      const fit = set && models.find((m) => shapeOf(m.input_shape) === shapeOf(set.sample_shape));
      if (fit) model.value = fit.id;
    }
    chooseInputs();
  }).catch((error) => document.getElementById("form-message").replaceChildren(errorBox(error)));
  toggle();
  scheduleBudget();
}
