"""A women's nomination quota raises women's nominations only as far as contributors comply."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.policies import complied_quota, nominee_women


@pytest.mark.parametrize(("quota", "pool", "compliance", "expected"), [
    (0.4, 0.1, 1.0, 0.4),    # full compliance: the quota itself
    (0.4, 0.1, 0.0, 0.1),    # none: the pool's share
    (0.4, 0.1, 0.5, 0.25),   # half the gap
    (0.05, 0.1, 0.5, 0.05),  # a quota below the pool changes nothing (nominees mirror the pool)
])
def test_complied_quota_closes_part_of_the_gap(quota: float, pool: float, compliance: float,
                                               expected: float) -> None:
    """share = pool + compliance × (quota − pool) when the quota is above the pool."""
    assert complied_quota(pool, quota, compliance) == pytest.approx(expected)


def test_half_compliance_gives_nominees_halfway_between() -> None:
    """100,000 nominees from a 10 %-women pool under a 40 % quota at half compliance: 25 % ± 0.5."""
    rng = np.random.default_rng(3)
    women = nominee_women(100_000, 0.1, complied_quota(0.1, 0.4, 0.5), rng)
    assert abs(women / 100_000 - 0.25) < 0.005
