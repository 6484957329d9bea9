"""Certified radii from confidence intervals (docs/math.md §3–§5, §7).

* :mod:`~dsrs_core.radius.neyman_pearson` — the NP radius from ``pL`` (single sampling, §3);
* :mod:`~dsrs_core.radius.region_masses` / :mod:`~dsrs_core.radius.threshold_region` —
  masses of the DSRS worst-case region for a generalized-Gaussian / thresholded Q (§4.4–4.5);
* :mod:`~dsrs_core.radius.dual_bound` — the DSRS check at one radius by weak duality (§4);
* :mod:`~dsrs_core.radius.search` — the search for the largest DSRS radius (§5);
* :mod:`~dsrs_core.radius.certifying_check` — from a searched radius to a reported one:
  the certifying check and the coverage of every smaller radius (§5.1);
* :mod:`~dsrs_core.radius.np_proof` — opt-in proof mode: ball arithmetic for the NP radius
  (§7.5).

Torch-free: numpy and scipy only.
"""
