"""draw_counts / draw_counts_batch: selection, counting, Q planning, fall-back, seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from dsrs_core.certification import build_p_noise
from dsrs_core.config import CertificationConfig, NoiseSpec, QSpec
from dsrs_core.errors import InvalidParameterError
from dsrs_core.noise import ThresholdedNoise
from dsrs_core.noise_samplers import sampler_for
from dsrs_core.sampling import draw_counts, draw_counts_batch


def internal_scale(spec: NoiseSpec, d: int) -> float:
    return build_p_noise(spec, d).scale


def radial_shape(spec: NoiseSpec, d: int) -> float:
    return build_p_noise(spec, d).shape


class ConstantClassifier:
    """Always predicts ``label``; counts its calls and rows."""

    num_classes = 10

    def __init__(self, label: int) -> None:
        self.label = label
        self.rows = 0

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        self.rows += batch.shape[0]
        return torch.full((batch.shape[0],), self.label, dtype=torch.long)


class SignClassifier:
    """Class 1 when the first coordinate is positive, else 0 (p = 1/2 at x = 0)."""

    num_classes = 2

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return (batch.reshape(batch.shape[0], -1)[:, 0] > 0).to(torch.long)


class MeanThresholdClassifier:
    """Class 1 when the mean input value is above 1/2 (so the input decides the class)."""

    num_classes = 2

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return (batch.reshape(batch.shape[0], -1).mean(1) > 0.5).to(torch.long)


class RecordingClassifier:
    """Always right (class 0) and keeps every batch it sees."""

    num_classes = 2

    def __init__(self) -> None:
        self.batches: list[torch.Tensor] = []

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        self.batches.append(batch.clone())
        return torch.zeros(batch.shape[0], dtype=torch.long)


def _below_quantile(cdf, level):
    """The CDF of a law conditioned on lying below its ``level`` quantile."""

    def conditioned(v):
        return np.minimum(cdf(v) / level, 1.0)

    return conditioned


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


GAUSSIAN = NoiseSpec("gaussian", 0.25)


def test_predict_mode_selects_the_top_class_and_counts_it():
    config = CertificationConfig(GAUSSIAN, n_selection=37, n=250)
    classifier = ConstantClassifier(3)
    counts = draw_counts(
        classifier, torch.zeros(1, 8, 8), config, generator=_generator(0), batch_size=64
    )
    assert counts.label == 3
    assert counts.selection_counts == (0, 0, 0, 37, 0, 0, 0, 0, 0, 0)
    assert (counts.p_count, counts.p_n) == (250, 250)
    assert counts.q_count is None and counts.q_n is None and not counts.q_fallback
    assert counts.seed == 0
    assert classifier.rows == 37 + 250


def test_evaluate_mode_counts_agreement_with_the_true_label_without_selection():
    config = CertificationConfig(GAUSSIAN, n_selection=37, n=250)
    classifier = ConstantClassifier(3)
    counts = draw_counts(classifier, torch.zeros(1, 8, 8), config, label=2, generator=_generator(0))
    assert counts.label == 2 and counts.p_count == 0 and counts.selection_counts is None
    assert classifier.rows == 250


def test_selection_ties_go_to_the_lowest_class():
    class Alternating:
        num_classes = 4

        def __call__(self, batch):
            return torch.arange(batch.shape[0]) % 2 + 1  # classes 1 and 2, equally often

    config = CertificationConfig(GAUSSIAN, n_selection=10, n=10)
    counts = draw_counts(Alternating(), torch.zeros(4), config, generator=_generator(0))
    assert counts.selection_counts == (0, 5, 5, 0) and counts.label == 1


def test_counts_follow_the_binomial_law():
    config = CertificationConfig(NoiseSpec("general-gaussian", 0.5, 20), n=20_000)
    counts = draw_counts(
        SignClassifier(),
        torch.zeros(1, 8, 8),
        config,
        label=1,
        generator=_generator(1),
        batch_size=3000,
    )
    # p = 1/2 exactly by symmetry; 5 standard deviations.
    assert abs(counts.p_count - 10_000) < 5 * math.sqrt(20_000 / 4)


def test_same_seed_same_counts_and_different_seed_different_counts():
    config = CertificationConfig(GAUSSIAN, n_selection=50, n=2000)
    inputs = torch.zeros(5, 1, 8, 8)
    first = draw_counts_batch(SignClassifier(), inputs, config, generator=_generator(7))
    again = draw_counts_batch(SignClassifier(), inputs, config, generator=_generator(7))
    other = draw_counts_batch(SignClassifier(), inputs, config, generator=_generator(8))
    assert first == again
    assert [c.seed for c in first] == [7] * 5

    def summary(cs):
        return [(c.selection_counts, c.p_count) for c in cs]

    assert summary(first) != summary(other)


def test_cross_input_batches_attribute_draws_to_the_right_input():
    # Input 0 is all zeros (class 0), input 1 all ones (class 1), input 2 zeros again.
    inputs = torch.stack([torch.zeros(1, 4, 4), torch.ones(1, 4, 4), torch.zeros(1, 4, 4)])
    config = CertificationConfig(NoiseSpec("gaussian", 0.01), n_selection=30, n=250)
    results = draw_counts_batch(
        MeanThresholdClassifier(), inputs, config, generator=_generator(0), batch_size=96
    )
    assert [r.label for r in results] == [0, 1, 0]
    assert [r.selection_counts for r in results] == [(30, 0), (0, 30), (30, 0)]
    assert [r.p_count for r in results] == [250, 250, 250]
    labelled = draw_counts_batch(
        MeanThresholdClassifier(),
        inputs,
        config,
        labels=[0, 0, 0],
        generator=_generator(0),
        batch_size=96,
    )
    assert [r.p_count for r in labelled] == [250, 0, 250]


def test_batch_size_does_not_change_the_laws_only_the_stream():
    config = CertificationConfig(GAUSSIAN, n=500)
    classifier = ConstantClassifier(1)
    for batch_size in (1, 7, 500, 10_000):
        counts = draw_counts(
            classifier,
            torch.zeros(8),
            config,
            label=1,
            generator=_generator(0),
            batch_size=batch_size,
        )
        assert counts.p_count == 500


def test_q_by_sigma_is_drawn_and_recorded():
    config = CertificationConfig(NoiseSpec("general-gaussian", 0.5, 20), QSpec(sigma=0.3), n=3000)
    classifier = RecordingClassifier()
    counts = draw_counts(
        classifier, torch.zeros(1, 8, 8), config, label=0, generator=_generator(2), batch_size=1000
    )
    assert (counts.q_count, counts.q_n, counts.q_percentile, counts.q_fallback) == (
        3000,
        3000,
        None,
        False,
    )
    q_noise = torch.cat(classifier.batches)[3000:].reshape(3000, -1).double()
    scale = 0.3 * math.sqrt(64 / 24)
    t = (q_noise.square().sum(1) / (2 * scale**2)).numpy()
    assert stats.kstest(t, stats.gamma(12).cdf).pvalue > 1e-3


def test_thresholded_q_uses_the_planned_percentile():
    config = CertificationConfig(
        NoiseSpec("general-gaussian", 0.5, 20), QSpec(threshold=0.3), n=2000
    )
    classifier = RecordingClassifier()
    counts = draw_counts(classifier, torch.zeros(1, 8, 8), config, label=0, generator=_generator(3))
    assert counts.q_percentile == pytest.approx(0.3) and not counts.q_fallback
    spec = config.p
    scale, a = internal_scale(spec, 64), radial_shape(spec, 64)
    q_noise = torch.cat(classifier.batches)[2000:].reshape(2000, -1).double()
    radius_limit = scale * math.sqrt(2 * stats.gamma(a).ppf(0.3))
    assert q_noise.norm(dim=1).max().item() <= radius_limit * (1 + 1e-6)


def test_x_plus_falls_back_to_fresh_draws_from_p():
    # Every P draw agrees, so "x+" spends the second budget on P again, drawn from P
    # explicitly: its radial law is the untruncated Gamma(a), not a thresholded one.
    config = CertificationConfig(
        NoiseSpec("general-gaussian", 0.5, 20), QSpec(threshold="x+"), n=5000
    )
    classifier = RecordingClassifier()
    counts = draw_counts(
        classifier, torch.zeros(1, 8, 8), config, label=0, generator=_generator(4), batch_size=2048
    )
    assert counts.q_fallback and counts.q_percentile is None
    assert (counts.q_count, counts.q_n) == (5000, 5000)
    scale = internal_scale(config.p, 64)
    rows = torch.cat(classifier.batches).reshape(10_000, -1).double()
    t_p = (rows[:5000].square().sum(1) / (2 * scale**2)).numpy()
    t_q = (rows[5000:].square().sum(1) / (2 * scale**2)).numpy()
    assert stats.kstest(t_q, stats.gamma(12).cdf).pvalue > 1e-3
    assert not np.array_equal(t_p, t_q)  # fresh draws, not the P draws again
    assert t_q.max() > stats.gamma(12).ppf(0.9)


def test_plain_x_never_falls_back():
    config = CertificationConfig(
        NoiseSpec("general-gaussian", 0.5, 20), QSpec(threshold="x"), n=500
    )
    counts = draw_counts(
        RecordingClassifier(), torch.zeros(1, 8, 8), config, label=0, generator=_generator(5)
    )
    assert not counts.q_fallback and 0 < counts.q_percentile < 1


def test_input_validation():
    config = CertificationConfig(GAUSSIAN, n=10)
    with pytest.raises(InvalidParameterError, match="labels must lie"):
        draw_counts(
            ConstantClassifier(0), torch.zeros(8), config, label=10, generator=_generator(0)
        )
    with pytest.raises(InvalidParameterError, match="k must satisfy"):
        draw_counts(
            ConstantClassifier(0),
            torch.zeros(8),
            CertificationConfig(NoiseSpec("general-gaussian", 1.0, 4), n=10),
            generator=_generator(0),
        )
    with pytest.raises(InvalidParameterError, match="batch_size"):
        draw_counts(
            ConstantClassifier(0), torch.zeros(8), config, generator=_generator(0), batch_size=0
        )
    with pytest.raises(InvalidParameterError, match="2 labels for 1 inputs"):
        draw_counts_batch(
            ConstantClassifier(0), torch.zeros(1, 8), config, labels=[0, 1], generator=_generator(0)
        )


def test_noise_is_drawn_in_the_classifier_dtype():
    class Half(RecordingClassifier):
        dtype = torch.bfloat16

    classifier = Half()
    draw_counts(
        classifier,
        torch.zeros(8),
        CertificationConfig(GAUSSIAN, n=10),
        label=0,
        generator=_generator(0),
    )
    assert classifier.batches[0].dtype == torch.bfloat16


def test_channels_last_classifiers_get_channels_last_batches():
    class ChannelsLast(RecordingClassifier):
        channels_last = True

    classifier = ChannelsLast()
    spec = NoiseSpec("general-gaussian", 0.5, 40)
    counts = draw_counts(
        classifier,
        torch.zeros(3, 6, 6),
        CertificationConfig(spec, n=4000),
        label=0,
        generator=_generator(0),
        batch_size=1000,
    )
    assert counts.p_count == 4000
    assert all(b.is_contiguous(memory_format=torch.channels_last) for b in classifier.batches)
    rows = torch.cat(classifier.batches).reshape(4000, -1).double()
    t = (rows.square().sum(1) / (2 * internal_scale(spec, 108) ** 2)).numpy()
    assert stats.kstest(t, stats.gamma(radial_shape(spec, 108)).cdf).pvalue > 1e-3


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_sampler_on_cuda_matches_the_laws():
    device = torch.device("cuda")

    class CudaSign:
        num_classes = 2

        def __call__(self, batch):
            assert batch.is_cuda
            return (batch.reshape(batch.shape[0], -1)[:, 0] > 0).to(torch.long)

    spec = NoiseSpec("general-gaussian", 0.5, 20)
    config = CertificationConfig(spec, QSpec(sigma=0.4), n=20_000)
    generator = torch.Generator(device=device).manual_seed(0)
    results = draw_counts_batch(
        CudaSign(),
        torch.zeros(3, 1, 8, 8, device=device),
        config,
        labels=[1, 1, 1],
        generator=generator,
        batch_size=4096,
    )
    for counts in results:
        assert abs(counts.p_count - 10_000) < 5 * math.sqrt(20_000 / 4)
    again = draw_counts_batch(
        CudaSign(),
        torch.zeros(3, 1, 8, 8, device=device),
        config,
        labels=[1, 1, 1],
        generator=torch.Generator(device=device).manual_seed(0),
        batch_size=4096,
    )
    assert results == again
    for sampler in (
        sampler_for(build_p_noise(spec, 64)),
        sampler_for(ThresholdedNoise(base=build_p_noise(spec, 64), percentile=0.4)),
    ):
        out = torch.empty(20_000, 64, device=device)
        sampler.sample_(out, torch.Generator(device=device).manual_seed(1))
        t = (out.double().square().sum(1) / (2 * internal_scale(spec, 64) ** 2)).cpu().numpy()
        cdf = stats.gamma(12).cdf
        if getattr(sampler, "percentile", None) is not None:
            cdf = _below_quantile(cdf, 0.4)
        assert stats.kstest(t, cdf).pvalue > 1e-3
