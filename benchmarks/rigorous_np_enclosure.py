"""Cost of the rigorous (arb ball arithmetic) enclosure of the NP dual bound per dimension,
up to d = 150528 (docs/math.md §7.4–7.5). The enclosure is proof mode's
(:func:`dsrs_core.radius.np_proof.enclose_np_dual`); this script only times it at the engine's NP
radius and multiplier.

Run: ``.venv/bin/python -m benchmarks.rigorous_np_enclosure [--epsilon 1e-6]``.

Prints, per configuration, the enclosure of ``L − 1/2``, its width, the number of cells and
the CPU time. The NP radius sits at ``L ≈ 1/2 + 1e-9`` by design, so an enclosure of
width ε proves a radius about ε/V'(r) below it (proof mode's back-off). Needs python-flint.
"""

from __future__ import annotations

import argparse
import time
from math import exp

from dsrs_core.noise.families import make_noise
from dsrs_core.radius.neyman_pearson import np_radius
from dsrs_core.radius.np_proof import enclose_np_dual


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilon", type=float, default=1e-6, help="target width of L")
    parser.add_argument("--max-cells", type=int, default=4000)
    args = parser.parse_args()
    print(
        f"{'d':>7s} {'k':>6s} {'pL':>5s} {'NP radius':>9s} | {'L - 1/2 in':>24s} "
        f"{'width':>8s} {'cells':>6s} {'cpu s':>7s}"
    )
    for d, k, p_lower in (
        (8, 3, 0.9),
        (64, 20, 0.9),
        (784, 380, 0.9),
        (784, 380, 0.99),
        (3072, 1524, 0.9),
        (150528, 75260, 0.9),
    ):
        noise = make_noise("general-gaussian", d, 1.0, k)
        result = np_radius(noise, p_lower)
        started = time.process_time()
        lower, upper, cells = enclose_np_dual(
            noise, result.radius, exp(-result.kappa), p_lower, args.epsilon, args.max_cells
        )
        seconds = time.process_time() - started
        print(
            f"{d:7d} {k:6d} {p_lower:5.2f} {result.radius:9.5f} | "
            f"[{lower - 0.5:+.2e}, {upper - 0.5:+.2e}] {upper - lower:8.1e} {cells:6d} "
            f"{seconds:7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
