"""Prototype: a rigorous (arb ball arithmetic) enclosure of the NP dual bound, to measure
what an interval-arithmetic certifying check would cost (docs/math.md §7.4). Not used by
the engine.

Run: ``.venv/bin/python benchmarks/rigorous_np_enclosure.py [--epsilon 1e-6]``.

For P = GG(d, k, σ) and the NP multiplier λ the dual bound is
``L = E_t[F_δ(t)] − λ E_t[F_P(t)] + λ pL`` with ``t ~ Gamma(a)`` and per-sphere fractions
``F = I_{x(t)}(h, h)``, where ``x(t)`` comes from the level sets ``w/(2σ²) + k ln w = C``
in closed form (Lambert W). On a cell ``[t0, t1]`` with midpoint ``tm``:

* where the enclosure of ``x`` over the cell lies inside (0, 1), second order:
  ``∫ F dμ ∈ F(tm) μ + F'([t0, t1]) (M₊ + M₋)``, ``M± = ∫_{t ≷ tm} (t − tm) dμ``, with
  ``F' = β_h(x) x'`` enclosed over the whole cell (``x'`` by arb's Taylor arithmetic);
* otherwise first order: ``I`` is increasing in x, so ``∫ F dμ ∈ μ [I(x_lo), I(x_hi)]``.

Cells are bisected where the enclosure is widest until the width of ``L`` is below
``--epsilon`` or ``--max-cells`` is reached. Prints, per configuration (the engine's NP
radius and multiplier), the enclosure of ``L − 1/2``, its width, the number of cells and
the CPU time. The NP radius sits at ``L ≈ 1/2 + 1e-9`` by design, so an enclosure of
width ε would prove a radius about ε/V'(r) below it. Needs python-flint (dev dependency).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from flint import arb, arb_series, ctx
from scipy.special import gammainccinv, gammaincinv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from dsrs_core.neyman_pearson import np_radius
from dsrs_core.noise import make_noise

#: Probability of the radial law outside the cells at each end (bounded rigorously).
TAIL = 1e-20


class Enclosure:
    """The NP dual bound at radius ``r`` and multiplier ``lam`` for GG(d, k, s)."""

    def __init__(self, d: int, k: int, s: float, r: float, lam: float, p_lower: float):
        ctx.prec = 128
        self.k = k
        self.a = arb(d) / 2 - k
        self.h = (arb(d) - 1) / 2
        self.sigma2 = arb(s) ** 2 * arb(d) / (d - 2 * k)  # σ² of the radial law
        self.r = arb(r)
        self.log_lam = arb(lam).log()
        self.lam = arb(lam)
        self.p_lower = arb(p_lower)
        self.log_beta = 2 * self.h.lgamma() - (2 * self.h).lgamma()
        self._gamma: dict[tuple[int, float], arb] = {}

    # -- the boundary x(t) of R on the sphere of radial value t (P side or δ side)
    def _x(self, t, shifted: bool):
        v = 2 * self.sigma2 * t
        rho = v.sqrt()
        c = v / (2 * self.sigma2) + (self.k * v.log() if self.k else 0)
        c = c + self.log_lam if shifted else c - self.log_lam
        if self.k:
            scale = 2 * self.sigma2 * self.k
            w = scale * type(t).lambertw((c / self.k - scale.log()).exp())
        else:
            w = 2 * self.sigma2 * c
        if shifted:
            return (w - v - self.r**2) / (4 * rho * self.r) + arb(0.5)
        return (v + self.r**2 - w) / (4 * rho * self.r) + arb(0.5)

    def _incbeta(self, x: arb) -> arb:
        """``I_x(h, h)`` for a ball x, using that it is increasing and clipped to [0, 1]."""
        lo, hi = x.lower(), x.upper()
        values = []
        for end in (lo, hi):
            if end <= 0:
                values.append(arb(0))
            elif end >= 1:
                values.append(arb(1))
            else:
                values.append(end.beta_lower(self.h, self.h, regularized=True))
        return values[0].union(values[1])

    def _density(self, x: arb) -> arb:
        """The Beta(h, h) density over the ball x ⊂ (0, 1): it is unimodal at 1/2, so its
        range is spanned by the values at the ends (and at 1/2 if x holds it); evaluating
        the formula on the ball instead would multiply x's width by h − 1 in an exponent."""

        def at(point: arb) -> arb:
            return ((self.h - 1) * (point.log() + (1 - point).log()) - self.log_beta).exp()

        lo, hi = x.lower(), x.upper()
        out = at(lo).union(at(hi))
        return out.union(at(arb(0.5))) if x.contains(arb(0.5)) else out

    def _gamma_p(self, shift: int, t: float) -> arb:
        key = (shift, t)
        if key not in self._gamma:
            self._gamma[key] = arb(t).gamma_lower(self.a + shift, regularized=1)
        return self._gamma[key]

    def _cell(self, t0: float, t1: float) -> tuple[arb, arb]:
        """Enclosures of ``∫_cell F_δ dμ`` and ``∫_cell F_P dμ``."""
        tm = 0.5 * (t0 + t1)
        p0, pm, p1 = (self._gamma_p(0, t) for t in (t0, tm, t1))
        q0, qm, q1 = (self._gamma_p(1, t) for t in (t0, tm, t1))
        mass = p1 - p0
        m_plus = self.a * (q1 - qm) - arb(tm) * (p1 - pm)
        m_minus = self.a * (qm - q0) - arb(tm) * (pm - p0)
        half = arb(0, 0.5 * (t1 - t0))  # [−w/2, w/2]
        out = []
        for shifted in (True, False):
            try:
                # Centred forms (dependency would otherwise swamp x − its large parts):
                # x(cell) ⊂ x(tm) + x'(cell)[−w/2, w/2], x'(cell) ⊂ x'(tm) + x''(cell)[−w/2, w/2].
                over = self._x(arb_series([arb(tm) + half, 1], prec=3), shifted).coeffs()
                at = self._x(arb_series([arb(tm), 1], prec=2), shifted).coeffs()
                x_cell = at[0] + over[1] * half
                slope = at[1] + 2 * over[2] * half
            except (ValueError, ZeroDivisionError, IndexError):  # the ball reaches t ≤ 0
                x_cell = slope = arb("nan")
            if not (x_cell.is_finite() and slope.is_finite()):
                out.append(arb(0).union(arb(1)) * mass)  # only F ∈ [0, 1] is known
            elif x_cell.lower() > 0 and x_cell.upper() < 1:
                value = at[0].beta_lower(self.h, self.h, regularized=True)
                derivative = self._density(x_cell) * slope
                out.append(value * mass + derivative * m_plus + derivative * m_minus)
            else:
                out.append(self._incbeta(x_cell) * mass)
        return out[0], out[1]

    def run(self, epsilon: float, max_cells: int) -> tuple[arb, int]:
        a = float(self.a.mid())
        t_min, t_max = float(gammaincinv(a, TAIL)), float(gammainccinv(a, TAIL))
        tail = self._gamma_p(0, t_min) + (1 - self._gamma_p(0, t_max))
        edges = [float(gammaincinv(a, q)) for q in [i / 64 for i in range(1, 64)]]
        edges = [t_min, *edges, t_max]
        cells = {(t0, t1): self._cell(t0, t1) for t0, t1 in itertools.pairwise(edges)}
        while True:
            shifted = sum((c[0] for c in cells.values()), arb(0))
            far = sum((c[1] for c in cells.values()), arb(0))
            # Tails: F ∈ [0, 1] there.
            bound = shifted + arb(0).union(tail) - self.lam * (far + arb(0).union(tail))
            bound = bound + self.lam * self.p_lower
            width = float(bound.rad()) * 2
            if width < epsilon or len(cells) >= max_cells:
                return bound, len(cells)
            widths = sorted(
                cells,
                key=lambda key: -float(cells[key][0].rad() + self.lam.mid() * cells[key][1].rad()),
            )
            for t0, t1 in widths[: max(1, len(widths) // 4)]:
                del cells[(t0, t1)]
                tm = 0.5 * (t0 + t1)
                cells[(t0, tm)] = self._cell(t0, tm)
                cells[(tm, t1)] = self._cell(tm, t1)


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
        result = np_radius(make_noise("general-gaussian", d, 1.0, k), p_lower)
        lam = float(arb(-result.kappa).exp().mid())
        started = time.process_time()
        enclosure = Enclosure(d, k, 1.0, result.radius, lam, p_lower)
        bound, cells = enclosure.run(args.epsilon, args.max_cells)
        seconds = time.process_time() - started
        excess = bound - 0.5
        print(
            f"{d:7d} {k:6d} {p_lower:5.2f} {result.radius:9.5f} | "
            f"[{float(excess.lower().mid()):+.2e}, {float(excess.upper().mid()):+.2e}] "
            f"{2 * float(bound.rad()):8.1e} {cells:6d} {seconds:7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
