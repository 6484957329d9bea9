"""Monte-Carlo counting on the device: Cohen et al.'s ``certify`` sampling with DSRS's
second run (docs/math.md §2), for one input or several sharing one stream of batches.

Read :func:`draw_counts_batch` as the method's pseudocode::

    labels   = given labels, or select_labels(n_selection draws under P)   # predict mode
    p_counts = estimate_p(n draws under P, agreement with the labels)
    q_counts = estimate_q(per input: plan Q from the P interval, n draws under it)

With ``config.sequential`` the two estimates are sequential runs instead
(:mod:`dsrs_core.sampling.sequential_draws`, docs/sequential.md).

The noise comes from :mod:`dsrs_core.noise.samplers`, built from the engine's noise
objects: P by :func:`~dsrs_core.sampling.draw_plan.build_p_noise`, Q by
:func:`~dsrs_core.sampling.draw_plan.plan_q_draws` then
:func:`~dsrs_core.sampling.draw_plan.build_q_noise` — or P again, explicitly, on the ``x+``
fall-back (docs/math.md §7.2 item 1). Noise is generated into a reused buffer in the
classifier's dtype; counts are accumulated on the device and read back once per phase.
Every random number comes from one explicit ``torch.Generator`` whose seed is stored in
the :class:`~dsrs_core.results.SampleCounts` produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch

from dsrs_core.config import CertificationConfig
from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise.families import RadialNoise
from dsrs_core.noise.samplers import NoiseSampler, sampler_for
from dsrs_core.results import SampleCounts
from dsrs_core.sampling.classifier import Classifier
from dsrs_core.sampling.confidence import clopper_pearson, split_alpha
from dsrs_core.sampling.draw_plan import QPlan, build_p_noise, build_q_noise, plan_q_draws
from dsrs_core.sampling.seeds import derived_seed
from dsrs_core.sampling.sequential_draws import draw_sequential_counts

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "draw_counts",
    "draw_counts_batch",
    "estimate_p",
    "estimate_q",
    "select_labels",
]

#: Default number of noisy copies per forward pass (the job parameters' default).
DEFAULT_BATCH_SIZE = 1000


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


@dataclass(frozen=True)
class DrawStream:
    """One stream of batches through the classifier, shared by the phases of a draw.

    ``inputs`` are on the classifier's device in its dtype; ``buffer`` is reused by every
    batch; every random number comes from ``generator``.
    """

    classifier: Classifier
    inputs: torch.Tensor
    generator: torch.Generator
    batch_size: int
    buffer: torch.Tensor

    def predictions(self, segments: Sequence[_Segment]) -> torch.Tensor:
        """Every prediction ``(Σ n,)``, in segment order."""
        return _run_phase(
            self.classifier,
            self.inputs,
            segments,
            None,
            self.generator,
            self.batch_size,
            self.buffer,
        )

    def agreement(self, segments: Sequence[_Segment], labels: torch.Tensor) -> list[int]:
        """Per input, how many of its draws the classifier gave its label."""
        return _run_phase(
            self.classifier,
            self.inputs,
            segments,
            labels,
            self.generator,
            self.batch_size,
            self.buffer,
        ).tolist()


def select_labels(
    stream: DrawStream, p_sampler: NoiseSampler, n_selection: int, num_classes: int | None
) -> tuple[list[tuple[int, ...]], list[int]]:
    """Cohen et al.'s selection: ``n_selection`` draws under P per input, the most frequent
    class (ties to the smaller index) is the label to certify.

    Returns the per-class counts of each input and the chosen labels.
    """
    count_inputs = stream.inputs.shape[0]
    device = stream.inputs.device
    segments = [_Segment(i, p_sampler, n_selection) for i in range(count_inputs)]
    predictions = stream.predictions(segments)
    classes = num_classes if num_classes is not None else max(int(predictions.max().item()) + 1, 1)
    per_input = torch.zeros((count_inputs, classes), dtype=torch.long, device=device)
    rows = torch.arange(count_inputs, device=device).repeat_interleave(n_selection)
    # A non-finite draw votes for no class (a negative index would wrap to the last one).
    finite = predictions >= 0
    per_input.index_put_(
        (rows[finite], predictions[finite]), torch.ones_like(predictions[finite]), accumulate=True
    )
    table = per_input.tolist()
    chosen = [row.index(max(row)) for row in table]  # ties: the lowest class
    return [tuple(row) for row in table], chosen


def estimate_p(
    stream: DrawStream, p_sampler: NoiseSampler, labels: torch.Tensor, n: int
) -> list[int]:
    """``n`` draws under P per input: how many agree with its label (the P estimate)."""
    segments = [_Segment(i, p_sampler, n) for i in range(stream.inputs.shape[0])]
    return stream.agreement(segments, labels)


def estimate_q(
    stream: DrawStream,
    p: RadialNoise,
    config: CertificationConfig,
    labels: torch.Tensor,
    p_counts: Sequence[int],
) -> tuple[list[QPlan], list[int]]:
    """DSRS's second run: per input, the Q planned from its P interval (at the P share of
    ``alpha``), then ``config.n`` draws under that Q — or under P itself on the ``x+``
    fall-back — counting agreement with the label.

    Returns each input's plan and its count.
    """
    assert config.q is not None
    alpha_p, _ = split_alpha(config.alpha, uses_q=True)
    plans, segments = [], []
    for i, p_count in enumerate(p_counts):
        plan = plan_q_draws(config.q, *clopper_pearson(p_count, config.n, alpha_p))
        q = p if plan.fallback else build_q_noise(p, config.q, plan.percentile)
        plans.append(plan)
        segments.append(_Segment(i, sampler_for(q), config.n))
    return plans, stream.agreement(segments, labels)


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
    count_inputs = inputs.shape[0]
    p = build_p_noise(config.p, int(inputs[0].numel()))
    num_classes = (
        num_classes if num_classes is not None else getattr(classifier, "num_classes", None)
    )
    stream = _stream(classifier, inputs, config, generator, batch_size)
    p_sampler = sampler_for(p)
    device = stream.inputs.device

    selection: list[tuple[int, ...] | None] = [None] * count_inputs
    if labels is None:
        counts_per_class, chosen = select_labels(stream, p_sampler, config.n_selection, num_classes)
        selection = list(counts_per_class)
    else:
        chosen = _checked_labels(labels, count_inputs, num_classes)
    seed = int(generator.initial_seed())
    if config.sequential is not None:
        # Sequential runs (docs/sequential.md): per input, generators derived from the seed.
        counts = draw_sequential_counts(
            classifier,
            stream.inputs,
            config,
            labels=chosen,
            seeds=[derived_seed(seed, i) for i in range(count_inputs)],
            batch_size=batch_size,
        )
        return [replace(c, selection_counts=selection[i], seed=seed) for i, c in enumerate(counts)]
    label_tensor = torch.tensor(chosen, dtype=torch.long, device=device)

    p_counts = estimate_p(stream, p_sampler, label_tensor, config.n)

    plans: list[QPlan | None] = [None] * count_inputs
    q_counts: list[int | None] = [None] * count_inputs
    if config.q is not None:
        q_plans, q_agree = estimate_q(stream, p, config, label_tensor, p_counts)
        plans, q_counts = list(q_plans), list(q_agree)

    results = []
    for i in range(count_inputs):
        plan, q_count = plans[i], q_counts[i]
        results.append(
            SampleCounts(
                label=chosen[i],
                p_count=int(p_counts[i]),
                p_n=config.n,
                q_count=None if q_count is None else int(q_count),
                q_n=None if config.q is None else config.n,
                q_percentile=None if plan is None else plan.percentile,
                q_fallback=False if plan is None else plan.fallback,
                selection_counts=selection[i],
                seed=seed,
            )
        )
    return results


def _stream(
    classifier: Classifier,
    inputs: torch.Tensor,
    config: CertificationConfig,
    generator: torch.Generator,
    batch_size: int,
) -> DrawStream:
    """The draw stream of ``inputs``: checked, in the classifier's dtype, with a buffer
    large enough for one batch (in the classifier's memory format)."""
    if batch_size < 1:
        raise InvalidParameterError(f"batch_size must be positive, got {batch_size!r}")
    if generator.device != inputs.device and not (
        generator.device.type == inputs.device.type == "cuda"
    ):
        raise InvalidParameterError(
            f"generator is on {generator.device}, inputs on {inputs.device}: use a generator "
            "on the inputs' device"
        )
    dtype = getattr(classifier, "dtype", None) or inputs.dtype
    if not dtype.is_floating_point:
        raise InvalidParameterError(f"noise needs a floating dtype, got {dtype}")
    inputs = inputs.to(dtype)
    # A channels-last classifier gets its batches in that layout already (no copy per batch).
    channels_last = bool(getattr(classifier, "channels_last", False)) and inputs.dim() == 4
    rows = inputs.shape[0] * max(config.n, config.n_selection)
    buffer = torch.empty(
        (min(batch_size, rows), *inputs.shape[1:]),
        dtype=dtype,
        device=inputs.device,
        memory_format=torch.channels_last if channels_last else torch.contiguous_format,
    )
    return DrawStream(classifier, inputs, generator, batch_size, buffer)


def _checked_labels(labels: Sequence[int], count_inputs: int, num_classes: int | None) -> list[int]:
    chosen = [int(v) for v in labels]
    if len(chosen) != count_inputs:
        raise InvalidParameterError(f"got {len(chosen)} labels for {count_inputs} inputs")
    if any(c < 0 or (num_classes is not None and c >= num_classes) for c in chosen):
        raise InvalidParameterError(
            f"labels must lie in [0, {num_classes}), got {chosen}"
            if num_classes is not None
            else "labels must be non-negative"
        )
    return chosen


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
    """Monte-Carlo counts of one input (docs/math.md §2; Cohen et al. 2019 ``certify``).

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
