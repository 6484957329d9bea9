"""What a certification is asked to do: the noise P, the second noise Q and the budgets.

These frozen objects are the vocabulary shared by the engine, the sampler, the worker and
the API. They validate on construction and raise :class:`InvalidParameterError` with a
message that says what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dsrs_core.errors import InvalidParameterError

__all__ = [
    "THRESHOLD_HEURISTICS",
    "CertificationConfig",
    "NoiseSpec",
    "QSpec",
    "RadiusSearch",
    "SequentialSpec",
]

#: Percentile heuristics of docs/math.md §1.4 accepted for a thresholded Q.
THRESHOLD_HEURISTICS = ("x", "x+")


@dataclass(frozen=True)
class NoiseSpec:
    """The smoothing noise P as the user types it (docs/math.md §1).

    ``family`` is ``"gaussian"`` (N(0, sigma² I)) or ``"general-gaussian"`` (GG(d, k, sigma)
    with the paper's user-facing sigma: E‖ε‖² = sigma² d). ``k`` is ignored (0) for the
    Gaussian. The dimension ``d`` is not part of the spec: it is the input's.
    """

    family: Literal["gaussian", "general-gaussian"]
    sigma: float
    k: int = 0

    def __post_init__(self) -> None:
        if self.family not in ("gaussian", "general-gaussian"):
            raise InvalidParameterError(
                f"noise family must be 'gaussian' or 'general-gaussian', got {self.family!r}"
            )
        if not (self.sigma > 0.0 and self.sigma < float("inf")):
            raise InvalidParameterError(f"sigma must be a positive number, got {self.sigma!r}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 0:
            raise InvalidParameterError(f"k must be a non-negative integer, got {self.k!r}")
        if self.family == "gaussian" and self.k != 0:
            raise InvalidParameterError("k applies to 'general-gaussian' only; use k=0")

    def check_dimension(self, d: int) -> None:
        """Raise unless ``0 ≤ k < d/2`` (the radial Gamma shape d/2 − k must be positive)."""
        if d < 2:
            raise InvalidParameterError(f"input dimension must be at least 2, got {d}")
        if not 2 * self.k < d:
            raise InvalidParameterError(
                f"k must satisfy 0 <= k < d/2 = {d / 2:g} for inputs of dimension {d}, "
                f"got k={self.k}"
            )


@dataclass(frozen=True)
class QSpec:
    """The second distribution Q of DSRS (docs/math.md §1.2–1.4).

    Exactly one of:

    * ``sigma``: Q is P's family with another user-facing sigma (the paper's ``s_Q``);
    * ``threshold``: Q is P restricted to an L2 ball chosen by a percentile in (0, 1) of
      P's radial law, or by the heuristic ``"x"`` / ``"x+"`` (percentile from the P
      estimate; ``"x+"`` falls back to a second P estimate when every P draw agreed).
    """

    sigma: float | None = None
    threshold: float | str | None = None

    def __post_init__(self) -> None:
        if (self.sigma is None) == (self.threshold is None):
            raise InvalidParameterError("Q needs exactly one of sigma or threshold")
        if self.sigma is not None and not (0.0 < self.sigma < float("inf")):
            raise InvalidParameterError(f"Q sigma must be a positive number, got {self.sigma!r}")
        if isinstance(self.threshold, str):
            if self.threshold not in THRESHOLD_HEURISTICS:
                raise InvalidParameterError(
                    f"Q threshold must be a percentile in (0, 1) or one of "
                    f"{', '.join(THRESHOLD_HEURISTICS)}; got {self.threshold!r}"
                )
        elif self.threshold is not None and not (0.0 < float(self.threshold) < 1.0):
            raise InvalidParameterError(
                f"Q threshold percentile must lie in (0, 1), got {self.threshold!r}"
            )

    @property
    def thresholded(self) -> bool:
        return self.threshold is not None


@dataclass(frozen=True)
class RadiusSearch:
    """How the DSRS radius is searched (docs/math.md §5).

    ``"grid"``: steps of ``unit`` starting above the Neyman–Pearson radius, as the original;
    ``"precise"``: bisection to ``tolerance``. ``mode`` ``"exact"`` solves the Q-only KKT
    case exactly; ``"original"`` keeps the original's relaxation so that published numbers
    are matched (docs/math.md §4.3(d)). ``unit_scale`` ``"sigma"`` (default) measures
    ``unit`` and ``tolerance`` in units of P's user-facing sigma, so the resolution is the
    same at every noise level; ``"absolute"`` takes them as radii (the published files).
    """

    method: Literal["grid", "precise"] = "grid"
    unit: float = 0.05
    tolerance: float = 1e-4
    mode: Literal["exact", "original"] = "exact"
    unit_scale: Literal["sigma", "absolute"] = "sigma"

    def __post_init__(self) -> None:
        if self.method not in ("grid", "precise"):
            raise InvalidParameterError(
                f"radius search must be 'grid' or 'precise', got {self.method!r}"
            )
        if self.mode not in ("exact", "original"):
            raise InvalidParameterError(f"mode must be 'exact' or 'original', got {self.mode!r}")
        if not 0.0 < self.unit <= 10.0:
            raise InvalidParameterError(f"grid unit must lie in (0, 10], got {self.unit!r}")
        if not 0.0 < self.tolerance <= 1.0:
            raise InvalidParameterError(f"tolerance must lie in (0, 1], got {self.tolerance!r}")
        if self.unit_scale not in ("sigma", "absolute"):
            raise InvalidParameterError(
                f"unit_scale must be 'sigma' or 'absolute', got {self.unit_scale!r}"
            )

    def grid_unit(self, sigma: float) -> float:
        """The grid step as a radius for P's user-facing ``sigma``."""
        return self.unit * sigma if self.unit_scale == "sigma" else self.unit

    def search_tolerance(self, sigma: float) -> float:
        """The precise-search tolerance as a radius for P's user-facing ``sigma``."""
        return self.tolerance * sigma if self.unit_scale == "sigma" else self.tolerance


@dataclass(frozen=True)
class SequentialSpec:
    """Sequential sampling: draws in growing batches, stopped per input (docs/sequential.md).

    Exactly one stopping form:

    * ``target_radii`` (target-radius form): an input stops once it is certified at every
      target radius, or provably cannot reach the ones it has not reached;
    * ``tolerance`` (radius form): an input stops once its certified radius would not reach
      its next level with the remaining budget. The levels are "certified at all" (no
      abstention), the multiples of ``tolerance`` and the radii of ``levels`` (e.g. the
      radii of a results table): an input stops inside its cell of them.

    Looks: after ``first_look`` draws, then ``growth`` times more each time (rounded up to a
    multiple of ``first_look``), and at the budget ``n``; the last look gets
    ``final_share`` of each run's alpha, the earlier looks share the rest
    (:class:`dsrs_core.sampling.looks.LookSchedule`).
    """

    target_radii: tuple[float, ...] = ()
    tolerance: float | None = None
    levels: tuple[float, ...] = ()
    first_look: int = 1000
    growth: float = 1.25
    final_share: float = 0.9

    def __post_init__(self) -> None:
        if bool(self.target_radii) == (self.tolerance is not None):
            raise InvalidParameterError(
                "sequential sampling needs exactly one of target_radii or tolerance"
            )
        if any(not (0.0 < r < float("inf")) for r in self.target_radii):
            raise InvalidParameterError(
                f"target radii must be positive numbers, got {self.target_radii!r}"
            )
        if self.levels and self.tolerance is None:
            raise InvalidParameterError("levels belong to the radius form: give a tolerance too")
        if any(not (0.0 < r < float("inf")) for r in self.levels):
            raise InvalidParameterError(f"levels must be positive numbers, got {self.levels!r}")
        if self.tolerance is not None and not 0.0 < self.tolerance < float("inf"):
            raise InvalidParameterError(
                f"tolerance must be a positive number, got {self.tolerance!r}"
            )
        if isinstance(self.first_look, bool) or not isinstance(self.first_look, int):
            raise InvalidParameterError(f"first_look must be an integer, got {self.first_look!r}")
        if self.first_look < 1:
            raise InvalidParameterError(f"first_look must be positive, got {self.first_look!r}")
        if not 1.0 < self.growth <= 100.0:
            raise InvalidParameterError(f"growth must lie in (1, 100], got {self.growth!r}")
        if not 0.0 < self.final_share < 1.0:
            raise InvalidParameterError(f"final_share must lie in (0, 1), got {self.final_share!r}")


@dataclass(frozen=True)
class CertificationConfig:
    """Everything one certification of one input needs besides the model and the input.

    ``n_selection`` draws under P choose the class (Cohen et al.'s n0; unused when the label
    is given), then ``n`` draws under P and, when ``q`` is set, ``n`` draws under Q estimate
    pA and qA. ``alpha`` is the failure probability of the whole certificate
    (:func:`dsrs_core.sampling.confidence.split_alpha`). With ``sequential`` the ``n`` draws of
    each run are a budget that an input may stop short of (docs/sequential.md).

    ``n`` has no default: a job's budget comes from the contract
    (:data:`dsrs_client.contract.defaults.DEFAULT_N`, through
    :func:`dsrs_core.evaluation.job_config.certification_config`), and a direct caller of the engine
    says what it spends. The other defaults equal the contract's
    (``tests/dsrs_core/test_engine_defaults.py``), which the engine cannot import.
    """

    p: NoiseSpec
    q: QSpec | None = None
    n_selection: int = 100
    n: int = field(kw_only=True)
    alpha: float = 0.001
    search: RadiusSearch = RadiusSearch()
    sequential: SequentialSpec | None = None

    def __post_init__(self) -> None:
        for name in ("n_selection", "n"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be a positive integer, got {value!r}")
        if not 0.0 < self.alpha < 1.0:
            raise InvalidParameterError(f"alpha must lie in (0, 1), got {self.alpha!r}")
