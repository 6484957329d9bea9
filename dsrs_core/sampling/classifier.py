"""The base classifier as the sampler sees it: a callable from a batch of noisy inputs to
class indices, with :data:`NON_FINITE` for a draw whose output was not finite.

One of the modules of ``dsrs_core`` that import torch.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

__all__ = ["NON_FINITE", "Classifier", "classes_of_logits"]

#: The "class" a classifier answers for a draw whose output was not finite (NaN or ±Inf
#: logits): it agrees with no label, so such a draw counts against the class being
#: certified (it can only lower the bound on pA, never raise it) and is left out of the
#: selection counts.
NON_FINITE = -1


def classes_of_logits(logits: torch.Tensor) -> torch.Tensor:
    """The argmax of each row of ``(B, num_classes)`` logits, or :data:`NON_FINITE` for a
    row holding a NaN or an infinity (``argmax`` of a NaN row is an arbitrary class)."""
    classes = logits.argmax(dim=1)
    finite = torch.isfinite(logits).all(dim=1)
    return torch.where(finite, classes, torch.full_like(classes, NON_FINITE))


@runtime_checkable
class Classifier(Protocol):
    """A base classifier as the sampler sees it.

    Called with a float batch ``(B, *input_shape)`` on its device, returns the predicted
    class indices ``(B,)`` (int64) on the same device, :data:`NON_FINITE` for a draw whose
    output was not finite. Optional attributes the sampler
    uses when present: ``num_classes`` (int), ``dtype`` (the dtype to draw noise in),
    ``channels_last`` (bool: batches are allocated in that memory format) and ``device``.
    """

    def __call__(self, batch: torch.Tensor) -> torch.Tensor: ...
