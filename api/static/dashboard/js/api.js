// Every request of the dashboard goes through apiFetch: same origin, the stored API key in
// the X-API-Key header, and on 401 a prompt for a key followed by one retry.

const KEY_STORAGE = "dsrs.apiKey";
const KEY_HEADER = "X-API-Key";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

export function storedKey() {
  try { return window.localStorage.getItem(KEY_STORAGE) || ""; } catch { return ""; }
}

function storeKey(key) {
  try {
    if (key) window.localStorage.setItem(KEY_STORAGE, key);
    else window.localStorage.removeItem(KEY_STORAGE);
  } catch { /* storage disabled: the key lives for this page only */ }
  document.getElementById("api-key-button").hidden = !key;
}

let pendingPrompt = null;

// Ask for a key (one dialog even when several requests fail at once).
export function promptForKey(message) {
  if (pendingPrompt) return pendingPrompt;
  const dialog = document.getElementById("api-key-dialog");
  const form = document.getElementById("api-key-form");
  const input = document.getElementById("api-key-input");
  const error = document.getElementById("api-key-error");
  error.hidden = !message;
  error.textContent = message || "";
  input.value = "";
  pendingPrompt = new Promise((resolve) => {
    const finish = (key) => {
      form.removeEventListener("submit", submitted);
      dialog.removeEventListener("cancel", cancelled);
      dialog.close();
      pendingPrompt = null;
      resolve(key);
    };
    const submitted = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      storeKey(key);
      finish(key);
    };
    // Escape: no key; the request then fails with the server's 401 message.
    const cancelled = () => finish(null);
    form.addEventListener("submit", submitted);
    dialog.addEventListener("cancel", cancelled);
  });
  dialog.showModal();
  input.focus();
  return pendingPrompt;
}

export function installKeyControls() {
  document.getElementById("api-key-button").hidden = !storedKey();
  document.getElementById("api-key-button").addEventListener("click", () => promptForKey(""));
  document.getElementById("api-key-forget").addEventListener("click", () => {
    storeKey("");
    document.getElementById("api-key-error").hidden = false;
    document.getElementById("api-key-error").textContent = "Stored key removed.";
  });
}

function withKey(options) {
  const headers = new Headers(options.headers || {});
  const key = storedKey();
  if (key) headers.set(KEY_HEADER, key);
  return { ...options, headers };
}

// The detail of an error response as one readable line (FastAPI's 422 lists per field).
export function errorDetail(body, fallback) {
  if (!body || body.detail === undefined) return fallback;
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail)) {
    return body.detail
      .map((item) => `${(item.loc || []).filter((p) => p !== "body").join(".")}: ${item.msg}`)
      .join("\n");
  }
  return JSON.stringify(body.detail);
}

export async function apiFetch(path, options = {}) {
  let response = await fetch(path, withKey(options));
  for (let attempt = 0; response.status === 401 && attempt < 3; attempt += 1) {
    const body = await response.json().catch(() => null);
    const hint = storedKey() ? errorDetail(body, "The stored key was refused.") : "";
    if (!(await promptForKey(hint))) {
      return new Response(JSON.stringify(body), { status: 401, headers: { "Content-Type": "application/json" } });
    }
    response = await fetch(path, withKey(options));
  }
  return response;
}

async function parse(response) {
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    throw new ApiError(response.status, errorDetail(body, `${response.status} ${response.statusText}`));
  }
  return body;
}

let cataloguePromise = null;
// GET /v1/catalogue, fetched once: job status names, final statuses, built-in datasets.
export function catalogue() {
  cataloguePromise ??= getJson("/v1/catalogue").catch((error) => {
    cataloguePromise = null;
    throw error;
  });
  return cataloguePromise;
}

export async function getJson(path, params) {
  const query = params ? `?${new URLSearchParams(params)}` : "";
  return parse(await apiFetch(path + query));
}

export async function postJson(path, body) {
  return parse(await apiFetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  }));
}

export async function postForm(path, formData) {
  return parse(await apiFetch(path, { method: "POST", body: formData }));
}

// Save a response (CSV / JSON results) as a file; fetched with the key, so it works with auth.
export async function download(path, filename) {
  const response = await apiFetch(path);
  if (!response.ok) await parse(response);
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// An image URL usable in <img src>: plain when no key is needed, else a blob fetched with it.
export async function imageUrl(path) {
  if (!storedKey()) return path;
  const response = await apiFetch(path);
  if (!response.ok) throw new ApiError(response.status, "image unavailable");
  return URL.createObjectURL(await response.blob());
}
