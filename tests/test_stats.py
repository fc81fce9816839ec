"""Statistics over replications against known answers (fixed seeds, stated tolerances)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.outputs import stats

TRIALS = 1000
# With 1,000 trials the coverage estimate of a true 95% interval has sd ≈ 0.007; ±0.03 is > 4 sd,
# so a correct interval fails this test with probability < 1e-4, and a normal (z) interval at
# n = 5 (true coverage ≈ 0.88) or a missing √n fails it for sure.
COVERAGE_TOLERANCE = 0.03


def _stacked_normal(seed: int, n: int, mean: float, sd: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.normal(mean, sd, size=(TRIALS, n))
    return pd.DataFrame({"trial": np.repeat(np.arange(TRIALS), n), "value": values.ravel()})


@pytest.mark.parametrize("n", [5, 30])
def test_mean_ci_coverage_on_known_mean(n: int) -> None:
    """The t interval covers a known mean in 95% ± 3% of 1,000 seeded trials."""
    df = _stacked_normal(seed=20250101 + n, n=n, mean=3.0, sd=2.0)
    s = stats.summarize(df, ["trial"])
    covered = ((s["ci_low"] <= 3.0) & (s["ci_high"] >= 3.0)).mean()
    assert abs(covered - 0.95) <= COVERAGE_TOLERANCE, covered
    assert (s["n"] == n).all()


def test_summarize_matches_mean_ci() -> None:
    """The vectorized summary and the scalar helper agree to rounding."""
    df = _stacked_normal(seed=1, n=8, mean=0.0, sd=1.0).query("trial < 5")
    s = stats.summarize(df, ["trial"])
    for trial, group in df.groupby("trial"):
        n, mean, low, high = stats.mean_ci(group["value"])
        row = s[s["trial"] == trial].iloc[0]
        assert (row["n"], row["mean"]) == (n, pytest.approx(mean))
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_mean_ci_ignores_nan_and_needs_two_values() -> None:
    """NaN values are left out; one value gives a mean but no interval."""
    n, mean, low, high = stats.mean_ci([1.0, np.nan, 3.0])
    assert (n, mean) == (2, 2.0)
    assert low < 2.0 < high
    n, mean, low, high = stats.mean_ci([4.0, np.nan])
    assert (n, mean) == (1, 4.0) and np.isnan(low) and np.isnan(high)


def test_constant_sample_has_a_zero_width_interval() -> None:
    """A quantity that never varies has ci_low == ci_high == mean (not NaN)."""
    s = stats.summarize(pd.DataFrame({"k": ["a"] * 4, "value": [2.5] * 4}), ["k"])
    assert s[["mean", "ci_low", "ci_high"]].iloc[0].tolist() == [2.5, 2.5, 2.5]


def test_paired_difference_coverage_with_common_random_numbers() -> None:
    """Paired CIs of variant − base cover the true shift 95% ± 3% and are much narrower.

    Base and variant share a large common noise (sd 5) plus a small own noise (sd 0.5); the
    variant is shifted by +0.5. Unpaired, the shift would be invisible at n = 10.
    """
    rng = np.random.default_rng(99)
    n = 10
    common = rng.normal(0, 5, size=(TRIALS, n))
    base = common + rng.normal(0, 0.5, size=(TRIALS, n))
    variant = common + 0.5 + rng.normal(0, 0.5, size=(TRIALS, n))
    rows = []
    for name, values in (("base", base), ("v", variant)):
        rows.append(pd.DataFrame({
            "variant": name, "trial": np.repeat(np.arange(TRIALS), n),
            "replication": np.tile(np.arange(n), TRIALS), "value": values.ravel()}))
    df = pd.concat(rows, ignore_index=True)
    d = stats.paired_differences(df, ["trial"])
    v = d[d["variant"] == "v"]
    covered = ((v["diff_ci_low"] <= 0.5) & (v["diff_ci_high"] >= 0.5)).mean()
    assert abs(covered - 0.95) <= COVERAGE_TOLERANCE, covered
    assert stats.halfwidth(v).median() < 0.6  # unpaired half-width would be ≈ 3.6
    b = d[d["variant"] == "base"]
    assert (b[["diff_mean", "diff_ci_low", "diff_ci_high"]] == 0).all().all()


def test_paired_differences_need_the_base() -> None:
    """Without base rows there is nothing to pair with: a clear error."""
    df = pd.DataFrame({"variant": ["v"], "k": [1], "replication": [0], "value": [1.0]})
    with pytest.raises(ValueError, match="no rows for the base"):
        stats.paired_differences(df, ["k"])


def test_percentile_bands_known_answer() -> None:
    """Percentiles of 0..100 are the percentile numbers themselves; NaN rows are left out."""
    values = np.arange(101, dtype=float)
    df = pd.DataFrame({"g": "x", "a": values, "b": np.append(values[:-1], np.nan)})
    out = stats.percentile_bands(df, ["g"], ["a", "b"])
    a = out[out["metric"] == "a"].iloc[0]
    assert [a["p5"], a["p25"], a["p50"], a["p75"], a["p95"], a["mean"]] == [
        5, 25, 50, 75, 95, 50]
    b = out[out["metric"] == "b"].iloc[0]
    assert b["p50"] == pytest.approx(49.5) and b["mean"] == pytest.approx(49.5)



@pytest.mark.parametrize("replications", [1, 2, 3, 7, 160])
def test_percentile_bands_sorted_path_is_pandas_to_the_bit(replications: int) -> None:
    """Equal-sized groups take the one-sort path; it gives pandas' grouped bits exactly.

    Seeded data: integers with ties, floats with NaN (one group all NaN), groups whose rows
    interleave as replications of a table do; compared with the pandas path bit for bit.
    """
    rng = np.random.default_rng(replications)
    groups = 37
    g = np.tile(np.arange(groups), replications)
    df = pd.DataFrame({"g": pd.Categorical(g.astype(str)), "h": g % 3,
                       "ints": rng.integers(0, 5, g.size),
                       "floats": rng.normal(size=g.size) * 1e3})
    df.loc[rng.random(g.size) < 0.3, "floats"] = np.nan
    df.loc[df["g"] == "4", "floats"] = np.nan
    fast = stats.percentile_bands(df, ["g", "h"], ["ints", "floats"])
    slow = stats._grouped_bands(df, ["g", "h"], ["ints", "floats"], stats.PERCENTILES)
    pd.testing.assert_frame_equal(summaries_plain(fast), summaries_plain(slow), check_exact=True)
    numbers = [f"p{p}" for p in stats.PERCENTILES] + ["mean"]
    assert fast[numbers].to_numpy().tobytes() == slow[numbers].to_numpy().tobytes()


def test_percentile_bands_unequal_groups_take_the_pandas_path() -> None:
    """Groups of different sizes (no common replication count) still get their bands."""
    df = pd.DataFrame({"g": ["a", "a", "a", "b"], "v": [1.0, 2.0, 4.0, 8.0]})
    out = stats.percentile_bands(df, ["g"], ["v"])
    assert out["p50"].tolist() == [2.0, 8.0] and out["mean"].tolist() == [7 / 3, 8.0]


def summaries_plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with categoricals as text (the two paths may keep different categories)."""
    return frame.astype({c: str for c in frame.columns
                         if isinstance(frame[c].dtype, pd.CategoricalDtype)})

def test_wilson_interval_known_values() -> None:
    """Wilson 95% intervals match published values (0/10 → [0, 0.2775]; 5/10 → [0.2366, …])."""
    low, high = stats.wilson_interval(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert low[0] == 0 and high[0] == pytest.approx(0.2775, abs=1e-4)
    assert (low[1], high[1]) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert low[2] == pytest.approx(0.7225, abs=1e-4) and high[2] == pytest.approx(1)
    low, high = stats.wilson_interval(0, 0)
    assert np.isnan(low) and np.isnan(high)


def test_wilson_coverage_on_known_probability() -> None:
    """Wilson intervals for p = 0.3, n = 40 cover p in 95% ± 3% of 1,000 seeded trials."""
    rng = np.random.default_rng(7)
    k = rng.binomial(40, 0.3, size=TRIALS)
    low, high = stats.wilson_interval(k, np.full(TRIALS, 40))
    covered = ((low <= 0.3) & (high >= 0.3)).mean()
    assert abs(covered - 0.95) <= COVERAGE_TOLERANCE, covered


def test_target_probabilities_counts_replications() -> None:
    """Probability is the share of replications meeting the target on its date."""
    t = pd.DataFrame({
        "variant": "base", "mission": "M", "category": "ipo",
        "target_date": pd.Timestamp("2026-01-01"), "target_share": 0.3,
        "share_on_date": [0.31, 0.2, 0.3, 0.4], "met_on_date": [True, False, True, True]})
    out = stats.target_probabilities(t)
    row = out.iloc[0]
    assert (row["n"], row["met"], row["probability"]) == (4, 3, 0.75)
    assert row["mean_share"] == pytest.approx(0.3025)
    assert row["ci_low"] < 0.75 < row["ci_high"]


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
def test_quantiles_are_scipy_stats_to_the_bit(level: float) -> None:
    """t and normal quantiles from scipy.special equal scipy.stats' t.ppf and norm.ppf exactly."""
    from scipy import stats as scipy_stats

    n = np.array([0, 1, 2, 3, 5, 10, 30, 100, 1_000, 100_000])
    df = np.where(n >= 2, n - 1, np.nan)
    expected = scipy_stats.t.ppf((1 + level) / 2, df)
    assert np.array_equal(stats.t_quantile(n, level), expected, equal_nan=True)
    low, high = stats.wilson_interval(np.array([3]), np.array([10]), level)
    z = scipy_stats.norm.ppf((1 + level) / 2)
    centre, half = (0.3 + z * z / 20) / (1 + z * z / 10), \
        z * np.sqrt(0.3 * 0.7 / 10 + z * z / 400) / (1 + z * z / 10)
    assert (low[0], high[0]) == (centre - half, centre + half)
