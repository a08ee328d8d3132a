"""Candidate rows of timed pairs: only the windows that may fit are expanded, and
what fits is exactly what fits when every window of the volunteer is tried."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray

from matchcore.synth.generate import generate
from matchcore.tasks.arrays import TaskArrays, csr_rows, task_arrays
from matchcore.tasks.candidates import _window_rows

I64 = NDArray[np.int64]


def _fitting(
    arr: TaskArrays, req: I64, vol: I64, travel: I64, rows: I64, win: I64
) -> tuple[I64, I64]:
    """The rows (and their windows) where a start fits, as ``_fit_rows`` tests it."""
    rr, tt = req[rows], travel[rows]
    lo = np.maximum(arr.r_lo[rr], arr.av_lo[win] + tt)
    hi = np.minimum(arr.r_hi[rr], arr.av_hi[win] - arr.duration[rr] - tt)
    fit = lo <= hi
    return rows[fit], win[fit]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_window_rows_keep_every_fitting_row_in_order(seed: int) -> None:
    problem = generate(40, 60, region="zorgnetwerken", seed=seed)
    vols = list(problem.volunteers)
    vols[0] = dataclasses.replace(vols[0], availability=None)  # one unbounded window
    vols[1] = dataclasses.replace(vols[1], availability=())  # never available
    arr = task_arrays(dataclasses.replace(problem, volunteers=tuple(vols)))
    rng = np.random.default_rng(seed)
    req = np.repeat(np.arange(arr.n_r, dtype=np.int64), arr.n_v)
    vol = np.tile(np.arange(arr.n_v, dtype=np.int64), arr.n_r)
    travel = rng.integers(0, 90, size=req.size).astype(np.int64)
    t_idx = np.flatnonzero(arr.timed[req])
    rows, win = _window_rows(arr, t_idx, req, vol, travel)
    every = np.repeat(t_idx, np.diff(arr.av_ptr)[vol[t_idx]])
    every_win = csr_rows(arr.av_ptr, vol[t_idx])
    assert rows.size < every.size  # fewer rows expanded
    got, want = (
        _fitting(arr, req, vol, travel, rows, win),
        _fitting(arr, req, vol, travel, every, every_win),
    )
    assert got[0].size > 0
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
