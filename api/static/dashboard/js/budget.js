// Budget preview of the new-job form: the server's GET /v1/plan (dsrs_core.budget), the
// same computation `dsrs plan` prints.

import { apiFetch, errorDetail } from "./api.js";

// The plan of `query`; throws {message} with the server's explanation on a refused query.
export async function fetchPlan(query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, v);
  const response = await apiFetch(`/v1/plan?${params}`);
  const body = await response.json().catch(() => null);
  if (response.ok) return body;
  throw new Error(errorDetail(body, `${response.status} ${response.statusText}`));
}
