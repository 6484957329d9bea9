"""Job-level evaluation: what a job's result rows add up to, and what a budget buys.

The mathematics of one certificate lives beside this package; here are the rules a whole
job follows, each in one module:

* :mod:`~dsrs_core.evaluation.radius_counting` — which radius counts (abstentions and wrong
  predictions never do), certified accuracy, ACR, forward passes;
* :mod:`~dsrs_core.evaluation.job_summary` — a job's counted radii per certificate and
  baseline, the table radii, the fixed-N budget and the summary, from columns of rows;
* :mod:`~dsrs_core.evaluation.accuracy_intervals` — error bars over the test set;
* :mod:`~dsrs_core.evaluation.benign_accuracy` — the paper's R = 0 column;
* :mod:`~dsrs_core.evaluation.equal_budget` — the same-cost NP baselines;
* :mod:`~dsrs_core.evaluation.common_inputs` — which inputs a comparison is computed on;
* :mod:`~dsrs_core.evaluation.job_config` — a job's parameters as the engine's config;
* :mod:`~dsrs_core.evaluation.budget_plan` — best-case radii and cost of a budget.

Nothing is imported here, so that the engine (which certifies the equal-budget baseline)
can import one module without the others.
"""
