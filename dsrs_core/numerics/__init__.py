"""Float64 numerical tools the radius engine is built on (docs/math.md §4.6, §7.4).

* :mod:`~dsrs_core.numerics.fixed_quadrature` — fixed-node rules for ``E_t[f(t)]``,
  ``t ~ Gamma(a, 1)`` (the fast searches);
* :mod:`~dsrs_core.numerics.adaptive_quadrature` — adaptive quadrature with an error
  estimate (the certifying check);
* :mod:`~dsrs_core.numerics.special` — overflow-free special functions;
* :mod:`~dsrs_core.numerics.root_finding` — bracketed roots that are checked, never guessed.

Nothing here knows about noise or radii, so the noise families and the radius engine can
both build on it.
"""
