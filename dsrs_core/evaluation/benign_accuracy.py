"""Benign (clean) accuracy of the smoothed classifier: the R = 0 column of the paper.

Certified accuracy at R = 0 counts inputs whose certificate holds (the P lower bound is
above 1/2 and the class is right). Benign accuracy asks only whether the smoothed
classifier's *prediction* is right, with no confidence bound; the DSRS paper reports it in
its R = 0 column (computed by the original's ``benign_sampler.py``: the top class of 100
noisy draws). It differs from certified accuracy at 0 by the inputs whose prediction is
right but not confident enough to certify.

Which draws decide the smoothed prediction (:func:`smoothed_prediction_correct`):

* predict mode: the class chosen by the ``n_selection`` draws under P (the top class of
  those draws, stored as the counted label), as the original's benign sampler;
* evaluate mode (only agreement with the true label is counted): the label wins when it
  takes a strict majority of the ``N`` draws under P (``2·count > N``). A label with a
  plurality below one half may still be the top class, which these counts cannot tell, so
  this errs low.
"""

from __future__ import annotations

from typing import Literal, TypeVar

import numpy as np

__all__ = ["smoothed_prediction_correct"]

T = TypeVar("T", int, np.ndarray)


def smoothed_prediction_correct(
    mode: Literal["predict", "evaluate"], label: T, counted_label: T, p_count: T, p_n: T
) -> bool | np.ndarray:
    """Whether the smoothed classifier predicts ``label`` (scalars, or numpy arrays
    elementwise).

    Parameters
    ----------
    mode : "predict" or "evaluate"
        The job's mode.
    label : int or array
        True label of each input (only labelled inputs may be passed).
    counted_label : int or array
        The class whose agreement was counted (predict mode: the selection's top class).
    p_count, p_n : int or array
        Draws under P agreeing with the counted class, and all draws under P.
    """
    if mode == "predict":
        result = np.asarray(counted_label) == np.asarray(label)
    else:
        result = 2 * np.asarray(p_count) > np.asarray(p_n)
    return bool(result) if result.ndim == 0 else result
