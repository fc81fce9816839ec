"""Fast paths give the same bits as the code they replaced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import metrics
from sim.model.missions import Schedule


@pytest.mark.parametrize("size", [1, 7, 121, 130, 1000, 9000])
def test_mean_and_sum_have_the_bits_of_pandas(size: int) -> None:
    """``_mean``/``_sum`` equal ``Series.mean``/``Series.sum`` bit for bit, NaN or not."""
    rng = np.random.default_rng(size)
    floats = rng.normal(1e3, 1e3, size)
    floats[rng.random(size) < 0.2] = np.nan
    ints = rng.integers(0, 10**6, size)
    for values in (floats, ints, np.full(size, np.nan)):
        expected_mean = pd.Series(values).mean()
        got = metrics._mean(values)
        assert (np.isnan(got) and np.isnan(expected_mean)) or got == expected_mean
        if values.dtype.kind == "f":
            assert metrics._sum(values) == pd.Series(values).sum()


def test_schedule_step_cache_matches_a_fresh_lookup() -> None:
    """Cached step lookups, in any order of days, equal those of a new schedule."""
    from datetime import date

    steps = {date(2025, 1, 1): 10, date(2025, 6, 1): 20, date(2026, 1, 1): 5}
    cached = Schedule(steps, date(2025, 1, 1), (3.0, 600.0))
    days = np.random.default_rng(1).uniform(-50, 700, 500)
    for day in [*days, 3.0, 151.0, 365.0, 600.0, 0.0, -1.0]:
        fresh = Schedule(steps, date(2025, 1, 1), (3.0, 600.0))
        assert cached.at(float(day)) == fresh.at(float(day)), day


def test_schedule_step_cache_keeps_the_warmup_cap_and_scaling() -> None:
    """With a warm-up cap, and after a cut scales the steps, cached lookups equal fresh ones."""
    from datetime import date

    steps = {date(2025, 1, 1): 10, date(2025, 6, 1): 20}
    cached = Schedule(steps, date(2025, 1, 1), (0.0, 600.0), warmup_cap=4.0)
    assert [cached.at(d) for d in (-30.0, 0.0, 10.0, -1.0, 200.0)] == [4.0, 10.0, 10.0, 4.0, 20.0]
    cached.scale(100.0, 300.0, 0.5, known=50.0)
    fresh = Schedule(steps, date(2025, 1, 1), (0.0, 600.0), warmup_cap=4.0)
    fresh.scale(100.0, 300.0, 0.5, known=50.0)
    for day in (-5.0, 0.0, 99.0, 100.0, 150.0, 200.0, 299.0, 300.0, 599.0, 600.0):
        assert cached.at(day) == fresh.at(day), day
    assert cached.at(200.0) == 10.0  # 20 halved


def test_block_draws_equal_one_at_a_time_draws() -> None:
    """Uniform, gamma (× scale) and exponential (× scale) blocks give numpy's scalar draws."""
    from sim.model.streams import Streams, draw_delay, gamma_delay, replication_seed

    one, blocks = Streams(replication_seed(5, 0)), Streams(replication_seed(5, 0))
    for i in range(600):  # more than two blocks; the factor changes the scale, not the shape
        factor = 0.5 + (i % 7) / 10
        assert gamma_delay(blocks, "travel.delay", "A", 45.0, 0.5, factor) == draw_delay(
            one.get("travel.delay", "A"), 45.0, 0.5, factor)
        scale = 365.25 / (0.02 + i / 10_000)
        assert blocks.standard_exponential("tour", "M")() * scale == float(
            one.get("tour", "M").exponential(scale))
        assert blocks.uniform("pass", "A")() == one.get("pass", "A").random()


def test_a_stream_is_drawn_in_one_kind_of_block_only() -> None:
    """Asking for a stream's blocks as another kind or shape is refused (it would shift draws)."""
    from sim.model.streams import Streams, replication_seed

    streams = Streams(replication_seed(5, 0))
    streams.standard_gamma("delay", "A", 4.0)
    with pytest.raises(ValueError, match="delay/A"):
        streams.standard_gamma("delay", "A", 2.0)
    with pytest.raises(ValueError, match="delay/A"):
        streams.uniform("delay", "A")
