"""Time shares of parts solved side by side (``tasks.solve.time_shares``)."""

from __future__ import annotations

import pytest

from matchcore.tasks.solve import time_shares


def test_parts_with_a_core_each_get_the_whole_time() -> None:
    assert time_shares([457_007, 345_386, 2], 2)[:2] == [1.0, pytest.approx(1.0, abs=1e-4)]
    assert time_shares([10, 20], 2) == [1.0, 1.0]
    assert time_shares([5], 2) == [1.0]


def test_crowded_cores_share_by_size() -> None:
    assert time_shares([10, 10, 10, 10], 2) == [0.5, 0.5, 0.5, 0.5]
    # The largest has a core of its own; the rest share the other one.
    shares = time_shares([100, 10, 10, 20], 2)
    assert shares[0] == 1.0
    assert shares[1:] == pytest.approx([0.25, 0.25, 0.5])


def test_no_share_above_one_and_no_work_no_error() -> None:
    shares = time_shares([0, 0, 3], 4)
    assert all(0.0 <= s <= 1.0 for s in shares)
    assert time_shares([], 2) == []
