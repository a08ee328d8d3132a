"""params: every constant in one frozen place, and the one Deadline of a solve."""

from __future__ import annotations

import dataclasses
import pickle
import time

import pytest

from matchcore.engines.cpsat import CpSatSettings
from matchcore.params import DEFAULT_PARAMS, CpSatParams, Deadline, LnsParams, SolveParams


def test_params_are_frozen_and_replaced_not_mutated() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_PARAMS.lns.start_size = 3  # type: ignore[misc]
    custom = dataclasses.replace(DEFAULT_PARAMS, lns=LnsParams(start_size=3))
    assert custom.lns.start_size == 3
    assert DEFAULT_PARAMS.lns.start_size == LnsParams().start_size != 3
    assert custom.candidates == DEFAULT_PARAMS.candidates


def test_every_constant_is_documented() -> None:
    """A constant without a docstring cannot be tuned by anyone but its author."""
    import inspect

    import matchcore.params as module

    source = inspect.getsource(module)
    for group in dataclasses.fields(SolveParams):
        for f in dataclasses.fields(getattr(module, str(group.type))):
            after = source.split(f"    {f.name}:", 1)[1].split("\n", 2)[1]
            assert after.strip().startswith('"""'), f"{group.name}.{f.name} has no docstring"


def test_workers_zero_means_the_documented_default() -> None:
    deadline = Deadline.after(1)
    assert CpSatSettings(deadline).num_workers == DEFAULT_PARAMS.cpsat.default_workers == 8
    assert CpSatSettings(deadline, workers=3).num_workers == 3
    params = dataclasses.replace(DEFAULT_PARAMS, cpsat=CpSatParams(default_workers=2))
    assert CpSatSettings(deadline, params=params).num_workers == 2


def test_deadline_counts_down_and_expires() -> None:
    deadline = Deadline.after(0.2)
    assert 0 < deadline.remaining() <= 0.2
    assert not deadline.expired()
    time.sleep(0.25)
    assert deadline.expired() and deadline.remaining() == 0.0
    assert Deadline.after(-1).remaining() == 0.0


def test_shares_and_caps_never_pass_the_deadline() -> None:
    deadline = Deadline.after(10)
    half = deadline.share(0.5)
    assert 4.5 < half.remaining() <= 5.0
    assert deadline.share(2.0).wall_time <= deadline.wall_time + 1e-3
    assert deadline.share(-1).expired()
    assert deadline.cap(1).remaining() <= 1.0
    assert deadline.cap(100).wall_time <= deadline.wall_time + 1e-3
    assert deadline.cap(-5).expired()


def test_a_deadline_travels_to_another_process_as_absolute_wall_time() -> None:
    deadline = Deadline.after(30)
    copy = pickle.loads(pickle.dumps(deadline))
    assert abs(copy.wall_time - deadline.wall_time) < 0.05
    assert abs(copy.remaining() - deadline.remaining()) < 0.05
    late = pickle.dumps(Deadline.after(0.05))
    time.sleep(0.1)
    assert pickle.loads(late).expired(), "time spent in a queue counts"
