"""The noise distributions P and Q of randomized smoothing (docs/math.md §1).

* :mod:`~dsrs_core.noise.families` — the radial families (Gaussian, generalized Gaussian,
  thresholded Q), one class each, found by name; torch-free.
* :mod:`~dsrs_core.noise.samplers` — exact samplers of those families on the device (torch).
"""
