"""Monte-Carlo estimation: draws under P and Q, their counts, and the intervals on them.

* :mod:`~dsrs_core.sampling.draw_plan` — which noises are drawn: P, and the Q planned from
  the P interval (docs/math.md §1.4);
* :mod:`~dsrs_core.sampling.confidence` — Clopper–Pearson intervals and the one split of
  alpha (docs/math.md §2.2);
* :mod:`~dsrs_core.sampling.looks` — the looks of a sequential run and their shares of alpha
  (docs/sequential.md §2);
* :mod:`~dsrs_core.sampling.early_stopping` — sequential sampling: after each look, which
  inputs stop and how many more draws the others need (torch-free);
* :mod:`~dsrs_core.sampling.classifier` — the base classifier as the sampler sees it (torch);
* :mod:`~dsrs_core.sampling.counts` — the fixed-N draws on the device: selection, P, Q
  (torch);
* :mod:`~dsrs_core.sampling.sequential_draws` — the torch draw callback of a sequential run;
* :mod:`~dsrs_core.sampling.seeds` — seeds derived from seeds (per sample, per run).
"""
