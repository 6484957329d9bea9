// Budget preview of the new-job form: GET /v1/plan, or, where the server has no such
// endpoint yet, the Gaussian NP bound computed here (marked as an approximation).

import { apiFetch, errorDetail } from "./api.js";

// Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
export function normalQuantile(p) {
  if (!(p > 0 && p < 1)) return p <= 0 ? -Infinity : Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// The NP figure of dsrs_core.budget: the NP certificate on its own (all of alpha), two-sided
// Clopper-Pearson lower bound with every draw agreeing, (alpha / 2)^(1/N), and the Gaussian
// radius sigma * Phi^-1(pL).
export function localPlan({ family, sigma, n, alpha, usesQ, nSelection }) {
  const passes = nSelection + n * (usesQ ? 2 : 1);
  if (family !== "gaussian") {
    return { np_max_radius: null, dsrs_max_radius: null, forward_passes_per_input: passes,
      warnings: ["The largest radius of the generalized Gaussian needs the server's /v1/plan, which this server does not offer yet."] };
  }
  const pLower = (alpha / 2) ** (1 / n);
  return { np_max_radius: sigma * normalQuantile(pLower), dsrs_max_radius: null, forward_passes_per_input: passes,
    warnings: usesQ ? ["Whether DSRS can beat NP at this budget is computed by the server's /v1/plan, not available on this server yet."] : [] };
}

// {plan, source: "server" | "browser"}; throws ApiError-like {message} on a refused query.
export async function fetchPlan(query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, v);
  const response = await apiFetch(`/v1/plan?${params}`);
  const body = await response.json().catch(() => null);
  if (response.ok) return { plan: body, source: "server" };
  const routeMissing = response.status === 404 && body && body.error === undefined;
  if (routeMissing || response.status === 405) return { plan: null, source: "missing" };
  throw new Error(errorDetail(body, `${response.status} ${response.statusText}`));
}
