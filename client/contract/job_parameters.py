"""What a job asks for: the typed parameters that travel API → database JSON → worker →
engine config, and the request that carries them.

:class:`JobParameters` is stored as the job's ``parameters`` JSON (``model_dump(mode=
"json")``) and read back with :meth:`JobParameters.model_validate`; the engine's config is
built from it in one place (:func:`dsrs_core.evaluation.job_config.certification_config`). Its
defaults are the defaults of every client (API, CLI, Python client, sweeps).

These models check types and names (unknown fields are refused) and keep every number
within :mod:`dsrs_client.contract.bounds` (nothing can overflow); the finer rules are
checked once, by the engine's config (:mod:`dsrs_core.config`), whose messages say what is
allowed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from dsrs_client.contract.bounds import (
    MAX_BATCH_SIZE,
    MAX_COUNT,
    MAX_FINAL_SHARE,
    MAX_INDICES,
    MAX_K,
    MAX_LOOK_GROWTH,
    MAX_RADIUS,
    MAX_RADIUS_UNIT,
    MAX_SEED,
    MAX_SIGMA,
    MAX_TARGET_RADII,
    MIN_ALPHA,
    MIN_FINAL_SHARE,
    MIN_LOOK_GROWTH,
    MIN_RADIUS_TOLERANCE,
    MIN_RADIUS_UNIT,
    MIN_SEQUENTIAL_TOLERANCE,
    MIN_SIGMA,
)
from dsrs_client.contract.choices import (
    Baseline,
    Check,
    JobMode,
    NoiseFamily,
    RadiusMethod,
    RadiusMode,
)
from dsrs_client.contract.dataset_catalogue import DatasetName, SplitName
from dsrs_client.contract.defaults import (
    DEFAULT_ALPHA,
    DEFAULT_BATCH_SIZE,
    DEFAULT_FINAL_SHARE,
    DEFAULT_FIRST_LOOK,
    DEFAULT_LOOK_GROWTH,
    DEFAULT_N,
    DEFAULT_N_SELECTION,
    DEFAULT_RADIUS_TOLERANCE,
    DEFAULT_RADIUS_UNIT,
)

__all__ = [
    "InputsIn",
    "JobCreate",
    "JobParameters",
    "NoiseIn",
    "QIn",
    "RadiusSearchIn",
    "SequentialIn",
    "Text",
    "plan_parameters",
]

Sigma = Annotated[float, Field(ge=MIN_SIGMA, le=MAX_SIGMA)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


def _without_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text must not contain NUL (0x00) characters")
    return text


#: Text a client names things with (names, tags): anything but NUL, which PostgreSQL
#: cannot store.
Text = Annotated[str, AfterValidator(_without_nul)]


class Strict(BaseModel):
    """Unknown fields are refused, and so are NaN and infinities in every number."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class NoiseIn(Strict):
    """The smoothing distribution P. ``general-gaussian`` needs ``k`` (0 ≤ k < d/2), given
    explicitly; the Gaussian has none (0)."""

    family: NoiseFamily = Field(default="gaussian", description="Noise family of P.")
    sigma: Sigma = Field(description="Sigma of P.")
    k: int = Field(default=0, ge=0, le=MAX_K, description="k of a general-gaussian P.")

    @model_validator(mode="after")
    def k_given_for_general_gaussian(self) -> NoiseIn:
        if self.family == "general-gaussian" and "k" not in self.model_fields_set:
            raise ValueError(
                "family 'general-gaussian' needs k (an integer, 0 <= k < d/2 for inputs of "
                "dimension d; k = 0 is a Gaussian-like radial law)"
            )
        return self


class QIn(Strict):
    """DSRS's second distribution Q: exactly one of ``sigma`` or ``threshold``
    (a percentile in (0, 1), or the heuristics ``"x"`` / ``"x+"``)."""

    sigma: Sigma | None = Field(default=None, description="Sigma of Q (DSRS).")
    threshold: Annotated[float, Field(gt=0, lt=1)] | Literal["x", "x+"] | None = Field(
        default=None, description="Thresholded Q: percentile in (0, 1), x or x+."
    )


class RadiusSearchIn(Strict):
    """How the DSRS radius is searched."""

    method: RadiusMethod = Field(default="grid", description="How the DSRS radius is searched.")
    unit: float = Field(
        default=DEFAULT_RADIUS_UNIT,
        ge=MIN_RADIUS_UNIT,
        le=MAX_RADIUS_UNIT,
        description="Grid step of DSRS radii, in units of sigma.",
    )
    tolerance: float = Field(
        default=DEFAULT_RADIUS_TOLERANCE,
        ge=MIN_RADIUS_TOLERANCE,
        le=1,
        description="Precision of the precise radius search.",
    )
    mode: RadiusMode = Field(
        default="exact", description="Bound of the radius search (original: the paper's)."
    )


class SequentialIn(Strict):
    """Sequential sampling: each input draws in growing batches (looks) up to ``n`` and stops
    early (docs/sequential.md). Exactly one of ``target_radii`` (stop once certified at
    every target radius, or once one cannot be reached even if every remaining draw
    agreed) or ``tolerance`` (stop once the certified radius would not reach the next
    multiple of it)."""

    target_radii: list[Annotated[float, Field(gt=0, le=MAX_RADIUS)]] = Field(
        default_factory=list,
        max_length=MAX_TARGET_RADII,
        description="Sequential sampling: target radii; an input stops once certified at "
        "each (or once one is out of reach).",
    )
    tolerance: float | None = Field(
        default=None,
        ge=MIN_SEQUENTIAL_TOLERANCE,
        le=MAX_RADIUS,
        description="Sequential sampling: stop once the radius would not reach the next "
        "multiple of this (instead of target radii).",
    )
    levels: list[Annotated[float, Field(gt=0, le=MAX_RADIUS)]] = Field(
        default_factory=list,
        max_length=200,
        description="Sequential sampling, radius form: radii an input's certificate keeps "
        "besides the multiples of the tolerance (such as a results table's radii).",
    )
    first_look: int = Field(
        default=DEFAULT_FIRST_LOOK,
        ge=1,
        le=MAX_COUNT,
        description="Sequential sampling: draws at the first look.",
    )
    growth: float = Field(
        default=DEFAULT_LOOK_GROWTH,
        ge=MIN_LOOK_GROWTH,
        le=MAX_LOOK_GROWTH,
        description="Sequential sampling: draws grow by this factor per look (looks are "
        "multiples of first_look).",
    )
    final_share: float = Field(
        default=DEFAULT_FINAL_SHARE,
        ge=MIN_FINAL_SHARE,
        le=MAX_FINAL_SHARE,
        description="Sequential sampling: share of each run's alpha for the last look.",
    )


class JobParameters(Strict):
    """How every input of a job is certified (everything but the model, inputs, mode, seed)."""

    noise: NoiseIn
    q: QIn | None = Field(default=None, description="Omit for Neyman-Pearson only.")
    n_selection: Count = Field(
        default=DEFAULT_N_SELECTION, description="Selection draws n0 (predict mode)."
    )
    n: int = Field(
        default=DEFAULT_N,
        ge=1,
        le=MAX_COUNT,
        description="Draws under P and (if q is set) under Q; sequential sampling: at most.",
    )
    alpha: float = Field(
        default=DEFAULT_ALPHA, ge=MIN_ALPHA, lt=1, description="Failure probability."
    )
    batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE, ge=1, le=MAX_BATCH_SIZE, description="Noisy copies per pass."
    )
    radius_search: RadiusSearchIn = RadiusSearchIn()
    sequential: SequentialIn | None = Field(
        default=None, description="Omit for fixed-N sampling (every input draws n)."
    )
    baseline: Baseline = Field(
        default="same-run",
        description="NP baseline of a DSRS job (equal-budget: the DSRS paper's). same-run: "
        "NP from the job's own N draws under P (at the P share of alpha). equal-budget: "
        "also draw N more samples under P and certify the pooled 2N draws with NP at the "
        "full alpha, the DSRS paper's baseline (N more forward passes per input); the gain "
        "is then reported against it. sequential-np (sequential jobs, whose P draws cannot "
        "be pooled): an independent sequential NP run with its own draws and looks, budget "
        "2N (the DSRS job's), at the full alpha (up to 2N more forward passes per input; "
        "docs/sequential.md §7); the gain is then reported against it.",
    )
    check: Check = Field(
        default="verified",
        description="verified: every radius is verified by the certifying check "
        "(a-posteriori error estimate). proven: also prove each input's NP radius in "
        "interval arithmetic (proof mode, docs/math.md §7.5; seconds per input; the worker "
        "needs python-flint, pip install 'dsrs[proof]'): each row then says proven, fell "
        "back (a smaller radius is proven), not proven or not covered. Covered: NP with a "
        "Gaussian P (any d) or a general-gaussian P (d <= 3072); the DSRS radius stays "
        "verified.",
    )

    @model_validator(mode="after")
    def equal_budget_needs_q(self) -> JobParameters:
        if self.baseline == "equal-budget" and self.q is None:
            raise ValueError(
                "baseline 'equal-budget' compares DSRS with NP at the same budget and needs a "
                "Q (set q); an NP-only job is its own baseline (use 'same-run')"
            )
        if self.baseline == "equal-budget" and self.sequential is not None:
            raise ValueError(
                "baseline 'equal-budget' pools 2N fixed draws under P and cannot be combined "
                "with sequential sampling (use 'sequential-np', its same-cost baseline for "
                "sequential jobs, or 'same-run')"
            )
        if self.baseline == "sequential-np" and (self.q is None or self.sequential is None):
            raise ValueError(
                "baseline 'sequential-np' is the same-cost NP baseline of a sequential DSRS "
                "job and needs both q and sequential (fixed-N DSRS jobs: use 'equal-budget')"
            )
        return self

    def draws_per_input(self, mode: JobMode) -> int:
        """Forward passes per input at most (the fixed-N budget): ``n`` under P, ``n`` under
        Q when Q is set, ``n`` more under P for the equal-budget baseline (``2n`` for the
        sequential-np one), and the ``n_selection`` draws that choose the class in predict
        mode. Sequential inputs may stop short of it."""
        extra = {"equal-budget": 1, "sequential-np": 2}.get(self.baseline, 0)
        runs = (2 if self.q is not None else 1) + extra
        return self.n * runs + (self.n_selection if mode == "predict" else 0)


class InputsIn(Strict):
    """Which inputs to certify: a built-in dataset split, or an uploaded input set.

    Choose items with ``indices`` (explicit list) or ``start``/``stop``/``step``
    (a range; ``stop`` defaults to the end).
    """

    dataset: DatasetName | None = Field(
        default=None,
        description="Built-in dataset (the server's: digits always; mnist, cifar10 if installed).",
    )
    split: SplitName = Field(default="test", description="Split of the built-in dataset.")
    input_set_id: str | None = Field(
        default=None, description="Uploaded input set id or unique prefix."
    )
    indices: list[Count] | None = Field(
        default=None, max_length=MAX_INDICES, description="Input indices."
    )
    start: Count = Field(default=0, description="First index of a range.")
    stop: Count | None = Field(default=None, description="End of the range (exclusive).")
    step: int = Field(default=1, ge=1, le=MAX_COUNT, description="Step of the range.")

    @model_validator(mode="after")
    def one_source(self) -> InputsIn:
        if (self.dataset is None) == (self.input_set_id is None):
            raise ValueError("give exactly one of 'dataset' (built-in split) or 'input_set_id'")
        return self


class JobCreate(JobParameters):
    """Body of ``POST /v1/jobs``: the model, the inputs, the mode and seed, and the
    :class:`JobParameters`."""

    model_id: str = Field(description="Model id or unique prefix.")
    inputs: InputsIn
    mode: JobMode = Field(
        default="evaluate",
        description="evaluate: count agreement with the given labels; predict: choose the "
        "class with n_selection draws and abstain when the bound fails.",
    )
    seed: int | None = Field(
        default=None, ge=0, le=MAX_SEED, description="Seed (random if omitted; 0 <= seed < 2**63)."
    )
    name: Text | None = Field(
        default=None, max_length=200, description="A name to find the job by."
    )
    tags: list[Annotated[Text, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=32, description="Tags to filter jobs by (jobs list --tag)."
    )

    def parameters(self) -> JobParameters:
        """The certification parameters of this request (what the job stores)."""
        return JobParameters.model_validate(
            self.model_dump(include=set(JobParameters.model_fields))
        )


def plan_parameters(
    *,
    family: NoiseFamily,
    sigma: float,
    k: int,
    n: int,
    alpha: float,
    n_selection: int,
    q_sigma: float | None,
    q_threshold: float | str | None,
    radius_unit: float,
    search_mode: RadiusMode,
) -> JobParameters:
    """The parameters a budget plan is asked for by its flat names (the query of ``GET
    /v1/plan`` and the options of ``dsrs plan``). Raises ``pydantic.ValidationError`` for
    a ``q_threshold`` that is neither a number nor ``x`` / ``x+``."""
    q = None
    if q_sigma is not None or q_threshold is not None:
        q = QIn.model_validate({"sigma": q_sigma, "threshold": q_threshold})
    return JobParameters(
        noise=NoiseIn(family=family, sigma=sigma, k=k),
        q=q,
        n=n,
        alpha=alpha,
        n_selection=n_selection,
        radius_search=RadiusSearchIn(unit=radius_unit, mode=search_mode),
    )
