"""``dsrs reproduce``: what it recomputes from the original's ``data/`` tree, the run,
the comparison with the published files and the printed tables."""
