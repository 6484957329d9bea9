"""Exact noise samplers and Monte-Carlo counting on the device (dsrs-math.md §1–2).

This is one of the two modules of ``dsrs_core`` that import torch (with
:mod:`dsrs_core.certify`). Everything random takes an explicit ``torch.Generator``; the
generator's seed is stored in the :class:`~dsrs_core.results.SampleCounts` it produces.

Noise families (``d`` = input dimension, user sigma ``s``):

* Gaussian ``N(0, s² I)``.
* Generalized Gaussian ``GG(d, k, s)``: ``ε = σ √(2t) · g/‖g‖`` with ``t ~ Gamma(a, 1)``,
  ``a = d/2 − k``, ``g ~ N(0, I_d)`` and internal scale ``σ = s √(d/(d − 2k))`` so that
  ``E‖ε‖² = s² d`` (§1.2). torch's Gamma sampler takes no generator, so ``t`` is drawn as
  ``½‖h‖²`` with ``h ~ N(0, I_{2a})`` from the generator: a chi-square with ``2a`` degrees
  of freedom is exactly ``2·Gamma(a)``, and ``2a = d − 2k`` is always an integer. It costs
  ``d − 2k`` extra normals per draw (at most as many as the direction). ``k = 0`` is the
  Gaussian and is sampled as such.
* Thresholded ``Q``: P's family conditioned on ``t ≤ b``, ``b = F_a⁻¹(π)`` for a
  percentile ``π`` (§1.3). Exact inverse-CDF sampling ``t = F_a⁻¹(u π)``, ``u ~ U(0, 1)``
  from the generator (no rejection loop, hence no data-dependent host round trip). On a
  GPU ``F_a`` (``torch.special.gammainc``) is inverted by a fixed-length bisection on
  ``[0, b]`` in float64 on the device; on the CPU, where host and device are the same,
  by ``scipy.special.gammaincinv``. ``t`` is clamped to ``[0, b]`` so ``‖ε‖ ≤ T`` holds
  exactly.

Counting (:func:`draw_counts`, :func:`draw_counts_batch`): Cohen et al.'s selection
(``n_selection`` draws under P, top class) when no label is given, then ``n`` draws under
P counting agreement with the label, then — if Q is configured — the Q to sample is
planned from the P interval with :func:`dsrs_core.certification.plan_q_draws` and ``n``
draws are made under Q (or explicitly under P on the ``x+`` fall-back, dsrs-math.md §7.2
item 1). Noise is generated into a reused buffer in the classifier's dtype; counts are
accumulated on the device and read back once per phase. On the CPU the elementwise noise
steps run in pieces below torch's parallel grain (see ``_row_chunks``). Several inputs can
share one stream of large batches (:func:`draw_counts_batch`) so that small models keep
the device busy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol, runtime_checkable

import torch
from scipy.special import gammaincinv as _gammaincinv
from scipy.stats import gamma as _gamma

from dsrs_core.bounds import clopper_pearson, split_alpha
from dsrs_core.certification import QPlan, plan_q_draws
from dsrs_core.config import CertificationConfig, NoiseSpec
from dsrs_core.errors import InvalidParameterError
from dsrs_core.results import SampleCounts

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Classifier",
    "GaussianSampler",
    "GeneralGaussianSampler",
    "NoiseSampler",
    "ThresholdedGeneralGaussianSampler",
    "draw_counts",
    "draw_counts_batch",
    "internal_scale",
    "noise_sampler",
    "q_noise_sampler",
    "radial_shape",
]

#: Default number of noisy copies per forward pass.
DEFAULT_BATCH_SIZE = 1024

#: Bisection steps of the thresholded inverse CDF on [0, b]: b·2⁻⁶⁴ is below float64
#: resolution, so more steps change nothing.
_BISECTION_STEPS = 64

#: Values per CPU noise call (torch's ``at::internal::GRAIN_SIZE``), see _row_chunks.
_CPU_NOISE_CHUNK = 32_768

#: Largest number of radial normals (rows × 2a) drawn at once by the GG sampler.
_RADIAL_CHUNK = 1 << 22


@runtime_checkable
class Classifier(Protocol):
    """A base classifier as the sampler sees it.

    Called with a float batch ``(B, *input_shape)`` on its device, returns the predicted
    class indices ``(B,)`` (int64) on the same device. Optional attributes the sampler
    uses when present: ``num_classes`` (int), ``dtype`` (the dtype to draw noise in),
    ``channels_last`` (bool: batches are allocated in that memory format) and ``device``.
    """

    def __call__(self, batch: torch.Tensor) -> torch.Tensor: ...


class NoiseSampler(Protocol):
    """Fills a buffer ``(m, *input_shape)`` in place with i.i.d. noise vectors.

    With ``center`` (shape ``input_shape``) the buffer receives ``center + noise``: the
    shift is fused into the last pass over the buffer.
    """

    def sample_(
        self,
        out: torch.Tensor,
        generator: torch.Generator,
        center: torch.Tensor | None = None,
    ) -> torch.Tensor: ...


# ------------------------------------------------------------------------------- samplers


@dataclass(frozen=True)
class GaussianSampler:
    """``N(0, sigma² I)``."""

    sigma: float

    def sample_(
        self,
        out: torch.Tensor,
        generator: torch.Generator,
        center: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Fill ``out`` with noise (plus ``center``); returns ``out``."""
        for start, stop in _row_chunks(out):
            piece = out[start:stop].normal_(0.0, self.sigma, generator=generator)
            if center is not None:
                piece.add_(center)
        return out


@dataclass(frozen=True)
class GeneralGaussianSampler:
    """``GG`` with internal scale ``scale`` and radial shape ``shape`` (= d/2 − k).

    ``ε = scale · √(2t) · g/‖g‖``, ``t = ½ Σ_{j<2a} h_j²`` (so ``t ~ Gamma(a, 1)``),
    ``g, h`` standard normal from the generator.
    """

    scale: float
    shape: float

    def __post_init__(self) -> None:
        if not (self.shape > 0 and float(2 * self.shape).is_integer()):
            raise InvalidParameterError(
                f"GG radial shape must be a positive multiple of 1/2, got {self.shape!r}"
            )

    def sample_(
        self,
        out: torch.Tensor,
        generator: torch.Generator,
        center: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Fill ``out`` with noise (plus ``center``); returns ``out``."""
        rows = out.shape[0]
        t = _chi_square_half(rows, int(2 * self.shape), out.device, out.dtype, generator)
        return _scale_directions_(out, self.scale * torch.sqrt(2.0 * t), generator, center)


@dataclass(frozen=True)
class ThresholdedGeneralGaussianSampler:
    """``GG`` (or Gaussian, ``shape = d/2``) conditioned on ``t ≤ b = F_a⁻¹(percentile)``.

    All draws satisfy ``‖ε‖ ≤ T = scale · √(2b)``.
    """

    scale: float
    shape: float
    percentile: float

    def __post_init__(self) -> None:
        if not self.shape > 0:
            raise InvalidParameterError(f"radial shape must be positive, got {self.shape!r}")
        if not 0.0 < self.percentile < 1.0:
            raise InvalidParameterError(
                f"threshold percentile must lie in (0, 1), got {self.percentile!r}"
            )

    @cached_property
    def threshold_t(self) -> float:
        """``b`` in t-units (dsrs-math.md §1.3)."""
        return float(_gamma.ppf(self.percentile, self.shape))

    @property
    def threshold_radius(self) -> float:
        """``T = scale · √(2b)``: the largest possible ‖ε‖."""
        return self.scale * math.sqrt(2.0 * self.threshold_t)

    def sample_(
        self,
        out: torch.Tensor,
        generator: torch.Generator,
        center: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Fill ``out`` with noise (plus ``center``); returns ``out``."""
        rows = out.shape[0]
        target = torch.rand(rows, dtype=torch.float64, device=out.device, generator=generator)
        target.mul_(self.percentile)
        b = self.threshold_t
        if out.device.type == "cpu":
            # The host is the device: scipy's inverse (accurate to ~1e-12 relative) costs
            # no transfer and is ~20x cheaper than the bisection.
            t = torch.from_numpy(_gammaincinv(float(self.shape), target.numpy()))
        else:
            t = _gamma_quantile_bisect(float(self.shape), target, b)
        # Clamping to b makes the support constraint hold exactly despite rounding.
        t = t.clamp_(0.0, b)
        return _scale_directions_(out, self.scale * torch.sqrt(2.0 * t), generator, center)


def _gamma_quantile_bisect(shape: float, target: torch.Tensor, upper: float) -> torch.Tensor:
    """``F_a⁻¹(target)`` on ``[0, upper]`` by bisection on the device (float64).

    ``F_a`` is ``torch.special.gammainc``; :data:`_BISECTION_STEPS` halvings of
    ``[0, upper]`` reach float64 resolution. A fixed step count means no host round trip.
    """
    shape_t = torch.full_like(target, shape)
    low = torch.zeros_like(target)
    high = torch.full_like(target, upper)
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        below = torch.special.gammainc(shape_t, middle) < target
        low = torch.where(below, middle, low)
        high = torch.where(below, high, middle)
    return high


def _row_chunks(out: torch.Tensor) -> list[tuple[int, int]]:
    """Row ranges over which the full-dimension noise steps run.

    On a GPU: the whole buffer (one launch per step). On the CPU: pieces of at most
    :data:`_CPU_NOISE_CHUNK` values, below torch's parallelisation grain, so the
    elementwise noise steps run on the calling thread. They are memory-bound and cheap
    there; split across OpenMP threads they pay a barrier per step, which costs ten times
    the work itself when the cores are shared with other processes (measured: 20 ms
    against 2.7 ms for a 256×3×32×32 GG batch on 2 busy cores). The generator stream,
    hence the counts for a seed, depends on this split; it is fixed per device type.
    Radii (one scalar per row) are drawn for the whole buffer first.
    """
    rows = out.shape[0]
    step = rows if out.device.type != "cpu" else max(1, _CPU_NOISE_CHUNK // max(1, out[0].numel()))
    return [(start, min(rows, start + step)) for start in range(0, max(rows, 1), max(step, 1))]


def _chi_square_half(
    rows: int, dof: int, device: torch.device, dtype: torch.dtype, generator: torch.Generator
) -> torch.Tensor:
    """``½ χ²_dof`` (i.e. Gamma(dof/2, 1)) per row, float64, from the generator."""
    work_dtype = dtype if dtype in (torch.float32, torch.float64) else torch.float32
    result = torch.empty(rows, dtype=torch.float64, device=device)
    # Bounded memory on any device; on the CPU also below the parallel grain (_row_chunks).
    limit = _CPU_NOISE_CHUNK if device.type == "cpu" else _RADIAL_CHUNK
    step = max(1, limit // dof)
    normals = torch.empty((min(rows, step), dof), dtype=work_dtype, device=device)
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        piece = normals[: stop - start].normal_(generator=generator)
        torch.linalg.vector_norm(piece, dim=1, dtype=torch.float64, out=result[start:stop])
    return result.square_().mul_(0.5)


def _scale_directions_(
    out: torch.Tensor,
    radii: torch.Tensor,
    generator: torch.Generator,
    center: torch.Tensor | None,
) -> torch.Tensor:
    """Fill ``out`` with ``center`` + uniform directions times ``radii`` (one per row)."""
    # The norm of d standard normals in float32 has relative error ~1e-7 even for
    # ImageNet's d; reduced-precision buffers are reduced in float32, float64 in float64.
    norm_dtype = torch.float64 if out.dtype == torch.float64 else torch.float32
    dims = tuple(range(1, out.dim()))  # any memory layout (channels-last too), no copy
    for start, stop in _row_chunks(out):
        piece = out[start:stop].normal_(generator=generator)
        norms = torch.linalg.vector_norm(piece, dim=dims, dtype=norm_dtype)
        factor = (radii[start:stop] / norms).to(out.dtype).view((-1,) + (1,) * len(dims))
        if center is None:
            piece.mul_(factor)
        else:
            # One fused pass: piece = center + piece * factor.
            torch.addcmul(center, piece, factor, out=piece)
    return out


# ------------------------------------------------------------------- from specs to samplers


def internal_scale(spec: NoiseSpec, dimension: int) -> float:
    """Internal scale σ of P: ``s`` (Gaussian) or ``s √(d/(d − 2k))`` (GG, §1.2)."""
    spec.check_dimension(dimension)
    if spec.family == "gaussian":
        return float(spec.sigma)
    return float(spec.sigma) * math.sqrt(dimension / (dimension - 2 * spec.k))


def radial_shape(spec: NoiseSpec, dimension: int) -> float:
    """Shape ``a = d/2 − k`` of the radial law ``‖ε‖²/(2σ²) ~ Gamma(a)``."""
    spec.check_dimension(dimension)
    return dimension / 2.0 - spec.k


def noise_sampler(
    spec: NoiseSpec, dimension: int, *, percentile: float | None = None
) -> NoiseSampler:
    """The exact sampler of a noise spec for inputs of dimension ``d``.

    Parameters
    ----------
    spec : NoiseSpec
        Family and user-facing sigma (and ``k``).
    dimension : int
        ``d`` = number of input values.
    percentile : float, optional
        Restrict to ``t ≤ F_a⁻¹(percentile)`` (thresholded Q, dsrs-math.md §1.3).

    Returns
    -------
    NoiseSampler
    """
    scale = internal_scale(spec, dimension)
    shape = radial_shape(spec, dimension)
    if percentile is not None:
        return ThresholdedGeneralGaussianSampler(scale, shape, float(percentile))
    if spec.family == "gaussian" or spec.k == 0:
        return GaussianSampler(scale)
    return GeneralGaussianSampler(scale, shape)


def q_noise_sampler(config: CertificationConfig, dimension: int, plan: QPlan) -> NoiseSampler:
    """The sampler of the second run: Q as planned, or P itself on fall-back."""
    if config.q is None:
        raise InvalidParameterError("the configuration has no Q")
    if plan.fallback:
        return noise_sampler(config.p, dimension)
    if config.q.sigma is not None:
        q_spec = NoiseSpec(config.p.family, float(config.q.sigma), config.p.k)
        return noise_sampler(q_spec, dimension)
    if plan.percentile is None:
        raise InvalidParameterError("a thresholded Q needs a planned percentile")
    return noise_sampler(config.p, dimension, percentile=plan.percentile)


# ------------------------------------------------------------------------------ counting


@dataclass(frozen=True)
class _Segment:
    """``n`` draws for input ``index`` from ``sampler``."""

    index: int
    sampler: NoiseSampler
    n: int


@torch.inference_mode()
def _run_phase(
    classifier: Classifier,
    inputs: torch.Tensor,
    segments: Sequence[_Segment],
    labels: torch.Tensor | None,
    generator: torch.Generator,
    batch_size: int,
    buffer: torch.Tensor,
) -> torch.Tensor:
    """Draw every segment, in one stream of batches.

    With ``labels`` (per input, on the device) returns the per-input agreement counts
    ``(len(inputs),)``; without, returns every prediction ``(Σ n,)`` in segment order.
    """
    device = inputs.device
    total = sum(s.n for s in segments)
    # Which input each row of the phase belongs to, built once: per batch the only
    # bookkeeping is one comparison written into a preallocated slice.
    row_input = torch.repeat_interleave(
        torch.tensor([s.index for s in segments], dtype=torch.long),
        torch.tensor([s.n for s in segments], dtype=torch.long),
    ).to(device)
    if labels is not None:
        row_labels = labels[row_input]
        agree = torch.empty(total, dtype=torch.bool, device=device)
    else:
        predictions = torch.empty(total, dtype=torch.long, device=device)
    position = 0
    pending = [(s, s.n) for s in segments]
    cursor = 0
    while position < total:
        rows = min(batch_size, total - position)
        filled = 0
        while filled < rows:
            segment, left = pending[cursor]
            take = min(left, rows - filled)
            segment.sampler.sample_(
                buffer[filled : filled + take], generator, inputs[segment.index]
            )
            filled += take
            if take == left:
                cursor += 1
            else:
                pending[cursor] = (segment, left - take)
        batch_predictions = classifier(buffer[:rows])
        if labels is not None:
            torch.eq(
                batch_predictions,
                row_labels[position : position + rows],
                out=agree[position : position + rows],
            )
        else:
            predictions[position : position + rows] = batch_predictions
        position += rows
    if labels is None:
        return predictions
    counts = torch.zeros(len(inputs), dtype=torch.long, device=device)
    return counts.index_add_(0, row_input, agree.to(torch.long))


def draw_counts_batch(
    classifier: Classifier,
    inputs: torch.Tensor,
    config: CertificationConfig,
    *,
    labels: Sequence[int] | None = None,
    generator: torch.Generator,
    batch_size: int = DEFAULT_BATCH_SIZE,
    num_classes: int | None = None,
) -> list[SampleCounts]:
    """Monte-Carlo counts for several inputs sharing one stream of large batches.

    Parameters
    ----------
    classifier : Classifier
        ``(B, *input_shape) → (B,)`` class indices, on ``inputs.device``.
    inputs : torch.Tensor, shape (N, *input_shape)
        The inputs, in input space, on the classifier's device.
    config : CertificationConfig
        Noise P, optional Q, ``n_selection``, ``n`` and ``alpha`` (for planning Q).
    labels : sequence of int, optional
        True labels (the paper's evaluate mode: agreement with the label is counted). When
        omitted each input's label is chosen by ``n_selection`` draws under P (predict
        mode; the per-class counts are kept in ``selection_counts``).
    generator : torch.Generator
        On ``inputs.device``; the source of all randomness. Its ``initial_seed()`` is
        recorded as ``seed``.
    batch_size : int
        Noisy copies per forward pass; segments of several inputs share a batch.
    num_classes : int, optional
        Length of ``selection_counts``; default the classifier's ``num_classes`` attribute,
        else one more than the largest class seen.

    Returns
    -------
    list of SampleCounts
        One per input, in order. The stream of random numbers depends on how the inputs
        are grouped: the same inputs, seed and batch size give the same counts.
    """
    if inputs.dim() < 2 or inputs.shape[0] == 0:
        raise InvalidParameterError("inputs must be a non-empty batch (N, *input_shape)")
    if batch_size < 1:
        raise InvalidParameterError(f"batch_size must be positive, got {batch_size!r}")
    if generator.device != inputs.device and not (
        generator.device.type == inputs.device.type == "cuda"
    ):
        raise InvalidParameterError(
            f"generator is on {generator.device}, inputs on {inputs.device}: use a generator "
            "on the inputs' device"
        )
    count_inputs = inputs.shape[0]
    dimension = int(inputs[0].numel())
    config.p.check_dimension(dimension)
    num_classes = (
        num_classes if num_classes is not None else getattr(classifier, "num_classes", None)
    )
    dtype = getattr(classifier, "dtype", None) or inputs.dtype
    if not dtype.is_floating_point:
        raise InvalidParameterError(f"noise needs a floating dtype, got {dtype}")
    inputs = inputs.to(dtype)
    device = inputs.device
    seed = int(generator.initial_seed())
    # A channels-last classifier gets its batches in that layout already (no copy per batch).
    channels_last = bool(getattr(classifier, "channels_last", False)) and inputs.dim() == 4
    buffer = torch.empty(
        (min(batch_size, _max_rows(config, count_inputs)), *inputs.shape[1:]),
        dtype=dtype,
        device=device,
        memory_format=torch.channels_last if channels_last else torch.contiguous_format,
    )
    p_sampler = noise_sampler(config.p, dimension)

    selection: list[tuple[int, ...] | None] = [None] * count_inputs
    if labels is None:
        segments = [_Segment(i, p_sampler, config.n_selection) for i in range(count_inputs)]
        predictions = _run_phase(classifier, inputs, segments, None, generator, batch_size, buffer)
        classes = num_classes if num_classes is not None else int(predictions.max().item()) + 1
        per_input = torch.zeros((count_inputs, classes), dtype=torch.long, device=device)
        rows = torch.arange(count_inputs, device=device).repeat_interleave(config.n_selection)
        per_input.index_put_((rows, predictions), torch.ones_like(predictions), accumulate=True)
        table = per_input.tolist()
        selection = [tuple(row) for row in table]
        chosen = [max(range(len(row)), key=lambda c, row=row: (row[c], -c)) for row in table]
    else:
        chosen = [int(v) for v in labels]
        if len(chosen) != count_inputs:
            raise InvalidParameterError(f"got {len(chosen)} labels for {count_inputs} inputs")
        if any(c < 0 or (num_classes is not None and c >= num_classes) for c in chosen):
            raise InvalidParameterError(
                f"labels must lie in [0, {num_classes}), got {chosen}"
                if num_classes is not None
                else "labels must be non-negative"
            )
    label_tensor = torch.tensor(chosen, dtype=torch.long, device=device)

    segments = [_Segment(i, p_sampler, config.n) for i in range(count_inputs)]
    p_counts = _run_phase(
        classifier, inputs, segments, label_tensor, generator, batch_size, buffer
    ).tolist()

    plans: list[QPlan | None] = [None] * count_inputs
    q_counts: list[int | None] = [None] * count_inputs
    if config.q is not None:
        alpha_p, _ = split_alpha(config.alpha, uses_q=True)
        segments = []
        for i in range(count_inputs):
            p_lower, p_upper = clopper_pearson(p_counts[i], config.n, alpha_p)
            plans[i] = plan_q_draws(config, p_lower, p_upper)
            segments.append(_Segment(i, q_noise_sampler(config, dimension, plans[i]), config.n))
        q_counts = _run_phase(
            classifier, inputs, segments, label_tensor, generator, batch_size, buffer
        ).tolist()

    results = []
    for i in range(count_inputs):
        plan = plans[i]
        results.append(
            SampleCounts(
                label=chosen[i],
                p_count=int(p_counts[i]),
                p_n=config.n,
                q_count=None if q_counts[i] is None else int(q_counts[i]),
                q_n=None if config.q is None else config.n,
                q_percentile=None if plan is None else plan.percentile,
                q_fallback=False if plan is None else plan.fallback,
                selection_counts=selection[i],
                seed=seed,
            )
        )
    return results


def draw_counts(
    classifier: Classifier,
    x: torch.Tensor,
    config: CertificationConfig,
    *,
    label: int | None = None,
    generator: torch.Generator,
    batch_size: int = DEFAULT_BATCH_SIZE,
    num_classes: int | None = None,
) -> SampleCounts:
    """Monte-Carlo counts of one input (dsrs-math.md §2; Cohen et al. 2019 ``certify``).

    Parameters
    ----------
    classifier : Classifier
        ``(B, *input_shape) → (B,)`` class indices, on ``x.device``.
    x : torch.Tensor, shape input_shape
        One input in input space (noise is added to it, then the classifier normalises).
    config : CertificationConfig
    label : int, optional
        The true label (evaluate mode). Default: chosen by ``n_selection`` draws under P.
    generator : torch.Generator
        On ``x.device``; its ``initial_seed()`` is recorded in the result.
    batch_size : int
        Noisy copies per forward pass.
    num_classes : int, optional
        See :func:`draw_counts_batch`.

    Returns
    -------
    SampleCounts
        ``label``, ``p_count`` of ``n`` P draws, and for DSRS ``q_count`` of ``n`` Q draws
        (or fall-back P draws, ``q_fallback``), ``q_percentile``, ``selection_counts``,
        ``seed``.
    """
    (counts,) = draw_counts_batch(
        classifier,
        x.unsqueeze(0),
        config,
        labels=None if label is None else [label],
        generator=generator,
        batch_size=batch_size,
        num_classes=num_classes,
    )
    return counts


def _max_rows(config: CertificationConfig, count_inputs: int) -> int:
    return count_inputs * max(config.n, config.n_selection)
