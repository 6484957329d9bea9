"""The torch side of sequential sampling: a draw callback over the exact noise samplers.

:func:`dsrs_core.sampling.early_stopping.draw_counts_sequential` decides, look by look, how many
more draws each input needs; :func:`sequential_draw` makes them. Each input has one generator for
its P run and another for its second (Q) run, both derived from its seed, so its draws do
not depend on which other inputs are still running. With a ``batch_size`` that divides the
look sizes, a sequential run's draws are exactly the first draws of the fixed-N run with
the same seed and batch size (under P and under Q alike), which makes paired comparisons
of the two sharp.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch

from dsrs_core.config import CertificationConfig
from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise.samplers import NoiseSampler, sampler_for
from dsrs_core.results import SampleCounts
from dsrs_core.sampling.classifier import Classifier
from dsrs_core.sampling.draw_plan import QPlan, build_p_noise, build_q_noise
from dsrs_core.sampling.early_stopping import Draw, DrawRequest, draw_counts_sequential
from dsrs_core.sampling.seeds import derived_seed

__all__ = ["draw_sequential_counts", "run_generators", "sequential_draw"]


def sequential_draw(
    classifier: Classifier,
    inputs: torch.Tensor,
    config: CertificationConfig,
    labels: Sequence[int],
    generators: Sequence[tuple[torch.Generator, torch.Generator]],
    batch_size: int,
) -> Draw:
    """A draw callback for :func:`dsrs_core.sampling.early_stopping.draw_counts_sequential`.

    Parameters
    ----------
    classifier : Classifier
        ``(B, *input_shape) → (B,)`` class indices, on ``inputs.device``.
    inputs : torch.Tensor, shape (N, *input_shape)
    config : CertificationConfig
    labels : sequence of int
        The class counted for each input.
    generators : sequence of (torch.Generator, torch.Generator)
        Per input, the generators of its P run and of its second run, on its device.
    batch_size : int
        Noisy copies per forward pass.
    """
    if len(generators) != len(inputs) or len(labels) != len(inputs):
        raise InvalidParameterError("one generator and one label per input are needed")
    if batch_size < 1:
        raise InvalidParameterError(f"batch_size must be positive, got {batch_size!r}")
    dtype = getattr(classifier, "dtype", None) or inputs.dtype
    inputs = inputs.to(dtype)
    buffer = torch.empty((batch_size, *inputs.shape[1:]), dtype=dtype, device=inputs.device)
    p = build_p_noise(config.p, int(inputs[0].numel()))
    p_sampler = sampler_for(p)

    def second_run_sampler(plan: QPlan) -> NoiseSampler:
        if plan.fallback or config.q is None:
            return p_sampler
        return sampler_for(build_q_noise(p, config.q, plan.percentile))

    @torch.inference_mode()
    def draw(requests: Sequence[DrawRequest]) -> list[int]:
        counts = []
        for request in requests:
            sampler = p_sampler if request.plan is None else second_run_sampler(request.plan)
            agreeing = torch.zeros((), dtype=torch.long, device=inputs.device)
            for start in range(0, request.draws, batch_size):
                rows = min(batch_size, request.draws - start)
                generator = generators[request.index][request.plan is not None]
                batch = sampler.sample_(buffer[:rows], generator, inputs[request.index])
                agreeing += (classifier(batch) == labels[request.index]).sum()
            counts.append(int(agreeing.item()))
        return counts

    return draw


def run_generators(
    seeds: Sequence[int], device: torch.device | str = "cpu"
) -> list[tuple[torch.Generator, torch.Generator]]:
    """Per seed, the generators of its P run (``derived_seed(seed, 1)``) and of its second
    run (``derived_seed(seed, 2)``), on ``device``."""
    return [
        (
            torch.Generator(device=device).manual_seed(derived_seed(seed, 1)),
            torch.Generator(device=device).manual_seed(derived_seed(seed, 2)),
        )
        for seed in seeds
    ]


def draw_sequential_counts(
    classifier: Classifier,
    inputs: torch.Tensor,
    config: CertificationConfig,
    *,
    labels: Sequence[int],
    seeds: Sequence[int],
    batch_size: int,
) -> list[SampleCounts]:
    """Sequential (or, without ``config.sequential``, fixed-N) counts of several inputs.

    Input ``i`` draws under P from a generator seeded with ``derived_seed(seeds[i], 1)``
    and in its second run from one seeded with ``derived_seed(seeds[i], 2)``, on the
    inputs' device; ``seeds[i]`` is recorded in its counts.
    """
    generators = run_generators(seeds, inputs.device)
    draw = sequential_draw(classifier, inputs, config, labels, generators, batch_size)
    counts = draw_counts_sequential(draw, config, int(inputs[0].numel()), labels)
    return [replace(c, seed=int(seed)) for c, seed in zip(counts, seeds, strict=True)]
