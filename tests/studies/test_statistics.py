"""Statistics over seeds, checked against SciPy, closed forms and exhaustive enumeration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from actlab.studies.metrics import METRICS
from actlab.studies.statistics import (
    compare,
    format_p,
    friedman_min_p,
    friedman_test,
    holm,
    mean_ranks,
    seeds_needed,
    summarize,
    t_interval,
    wilcoxon_min_p,
    wilcoxon_pair,
)

ACCURACY = METRICS["test_accuracy"]
LOSS = METRICS["test_loss"]


def exact_wilcoxon_p(differences: np.ndarray) -> float:
    """Two-sided exact p of the signed-rank statistic by enumerating all 2^n sign flips."""
    d = differences[differences != 0]
    ranks = stats.rankdata(np.abs(d))
    observed = ranks[d > 0].sum()
    mean = ranks.sum() / 2
    totals = np.array([sum(r for r, keep in zip(ranks, signs, strict=True) if keep)
                       for signs in itertools.product((0, 1), repeat=len(d))])
    return float(np.mean(np.abs(totals - mean) >= abs(observed - mean) - 1e-12))


# -- one activation ----------------------------------------------------------------------

def test_t_interval_matches_tabulated_critical_value_and_scipy():
    values = np.array([0.9894, 0.9893, 0.9921, 0.9868, 0.9814])
    low, high = t_interval(values)
    t_975_4 = 2.7764451051977987  # Student t, 0.975 quantile, 4 degrees of freedom (tables)
    half = t_975_4 * values.std(ddof=1) / math.sqrt(len(values))
    assert low == pytest.approx(values.mean() - half, rel=1e-12)
    assert high == pytest.approx(values.mean() + half, rel=1e-12)
    expected = stats.t.interval(0.95, 4, loc=values.mean(), scale=stats.sem(values))
    assert (low, high) == pytest.approx(expected, rel=1e-12)


def test_t_interval_of_constant_values_is_the_value_and_undefined_for_one_value():
    assert t_interval([0.5, 0.5, 0.5]) == (0.5, 0.5)
    assert all(math.isnan(v) for v in t_interval([0.5]))


def test_summarize_ignores_missing_and_counts_them():
    summary = summarize([0.1, None, 0.3, math.nan, 0.2], diverged=2)
    assert (summary.n, summary.missing, summary.diverged) == (3, 2, 2)
    assert summary.mean == pytest.approx(0.2)
    assert summary.std == pytest.approx(np.std([0.1, 0.3, 0.2], ddof=1))
    empty = summarize([None, None])
    assert empty.n == 0 and math.isnan(empty.mean)


# -- multiple comparisons ----------------------------------------------------------------

def test_holm_against_a_hand_computation():
    # sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1, but the
    # running maximum keeps 0.06): back in the original order.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([0.2]) == pytest.approx([0.2])


def test_wilcoxon_minimum_p_by_enumeration():
    for n in range(1, 8):
        smallest = min(exact_wilcoxon_p(np.array(signs) * np.arange(1, n + 1))
                       for signs in itertools.product((-1, 1), repeat=n))
        assert wilcoxon_min_p(n) == pytest.approx(smallest)
    assert wilcoxon_min_p(3) == 0.25 and wilcoxon_min_p(5) == 0.0625


def test_wilcoxon_minimum_p_is_what_scipy_gives_when_every_seed_agrees():
    for n in (3, 5, 6):
        p = stats.wilcoxon(np.arange(1, n + 1), np.zeros(n)).pvalue
        assert p == pytest.approx(wilcoxon_min_p(n))


def test_seeds_needed_for_any_holm_significance():
    # 2^(1-n) * pairs < 0.05, by hand: 21 pairs need 2^(n-1) > 420, so n = 10.
    assert seeds_needed(21) == 10
    assert seeds_needed(15) == 10
    assert seeds_needed(3) == 7
    assert seeds_needed(1) == 6


def test_friedman_min_p_is_scipys_p_for_a_perfectly_consistent_ranking():
    for n, k in ((3, 3), (5, 7), (10, 6)):
        blocks = np.tile(np.arange(k, dtype=float), (n, 1))
        assert friedman_min_p(n, k) == pytest.approx(
            stats.friedmanchisquare(*blocks.T).pvalue)


# -- paired tests ------------------------------------------------------------------------

HAND_MADE = np.array([[0.91, 0.88, 0.80],   # seeds x activations, no ties within a seed
                      [0.93, 0.87, 0.82],
                      [0.90, 0.91, 0.79],
                      [0.92, 0.86, 0.85],
                      [0.94, 0.89, 0.81]])


def test_friedman_against_the_closed_form_and_scipy():
    n, k = HAND_MADE.shape
    ranks = np.array([[sorted(row, reverse=True).index(v) + 1 for v in row]
                      for row in HAND_MADE])
    rank_sums = ranks.sum(axis=0)
    chi2 = 12 / (n * k * (k + 1)) * np.sum(rank_sums ** 2) - 3 * n * (k + 1)
    result = friedman_test(HAND_MADE)
    assert result.statistic == pytest.approx(chi2)
    assert result.p_value == pytest.approx(stats.chi2.sf(chi2, k - 1))
    scipy_result = stats.friedmanchisquare(*HAND_MADE.T)
    assert result.statistic == pytest.approx(scipy_result.statistic)
    assert result.p_value == pytest.approx(scipy_result.pvalue)


def test_friedman_needs_three_activations_and_handles_total_ties():
    assert friedman_test(HAND_MADE[:, :2]) is None
    tied = friedman_test(np.full((4, 3), 0.5))
    assert (tied.statistic, tied.p_value) == (0.0, 1.0)


def test_mean_ranks_by_hand_best_is_one_and_direction_follows_the_metric():
    ranks = mean_ranks(HAND_MADE, ACCURACY)
    assert ranks == pytest.approx([(1 + 1 + 2 + 1 + 1) / 5, (2 + 2 + 1 + 2 + 2) / 5, 3.0])
    assert mean_ranks(HAND_MADE, LOSS) == pytest.approx(4 - ranks)


def test_wilcoxon_pair_against_enumeration_and_scipy():
    x, y = HAND_MADE[:, 0], HAND_MADE[:, 1]
    pair = wilcoxon_pair("a", "b", x, y, ACCURACY)
    assert pair.p_value == pytest.approx(exact_wilcoxon_p(x - y))
    assert pair.p_value == pytest.approx(stats.wilcoxon(x, y).pvalue)
    assert (pair.wins_a, pair.wins_b, pair.nonzero) == (4, 1, 5)
    assert pair.mean_difference == pytest.approx(np.mean(x - y))


def test_wilcoxon_pair_drops_exact_ties_and_identical_columns_give_p_one():
    x = np.array([0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    y = np.array([0.5, 0.5, 0.6, 0.7, 0.8, 0.9])  # the first seed is a tie
    pair = wilcoxon_pair("a", "b", x, y, ACCURACY)
    assert pair.nonzero == 5
    assert pair.p_value == pytest.approx(exact_wilcoxon_p(x - y))
    same = wilcoxon_pair("a", "b", x, x, ACCURACY)
    assert same.p_value == 1.0 and same.nonzero == 0


# -- the whole comparison ----------------------------------------------------------------

def _values(matrix: np.ndarray, labels: list[str]) -> dict[str, dict[int, float]]:
    return {label: {seed: float(matrix[seed, j]) for seed in range(matrix.shape[0])}
            for j, label in enumerate(labels)}


def test_compare_holm_corrects_the_pairwise_p_values_of_scipy():
    labels = ["relu", "elu", "sigmoid"]
    comparison = compare(_values(HAND_MADE, labels), ACCURACY, labels=labels,
                         seeds=range(5))
    raw = {(p.a, p.b): p.p_value for p in comparison.pairs}
    for (a, b), p in raw.items():
        ia, ib = labels.index(a), labels.index(b)
        assert p == pytest.approx(stats.wilcoxon(HAND_MADE[:, ia], HAND_MADE[:, ib]).pvalue)
    assert [p.p_holm for p in comparison.pairs] == pytest.approx(holm(list(raw.values())))
    assert comparison.ranking == ("relu", "elu", "sigmoid")
    for label, column in zip(labels, HAND_MADE.T, strict=True):
        summary = comparison.summaries[label]
        assert summary.mean == pytest.approx(column.mean())
        assert (summary.ci_low, summary.ci_high) == pytest.approx(stats.t.interval(
            0.95, 4, loc=column.mean(), scale=stats.sem(column)))


def test_compare_says_when_too_few_seeds_make_significance_impossible():
    labels = ["relu", "elu", "sigmoid"]
    comparison = compare(_values(HAND_MADE[:3], labels), ACCURACY, labels=labels,
                         seeds=range(3))
    first = comparison.verdicts[0]
    assert "With 3 seeds, no pairwise difference can be significant" in first
    assert "cannot give p below 0.25" in first
    assert "At least 7 seeds" in first
    assert any("indistinguishable with 3 seeds" in v for v in comparison.verdicts)
    assert not any(" > " in v for v in comparison.verdicts[1:])


def test_compare_declares_a_winner_only_when_holm_says_so():
    rng = np.random.default_rng(3)
    seeds = 10
    matrix = np.column_stack([0.95 + rng.normal(0, 0.002, seeds),
                              0.90 + rng.normal(0, 0.002, seeds),
                              0.90 + rng.normal(0, 0.002, seeds)])
    labels = ["selu", "relu", "tanh"]
    comparison = compare(_values(matrix, labels), ACCURACY, labels=labels, seeds=range(seeds))
    verdicts = " ".join(comparison.verdicts)
    # selu beats both in all 10 seeds: p = 2/2^10 per pair, times 3 (or 2) by Holm.
    assert "selu > relu in test accuracy (p_holm = 0.0059" in verdicts
    assert "selu > tanh in test accuracy" in verdicts
    # relu and tanh share their mean: SciPy's raw p is large, so Holm cannot make it small.
    assert stats.wilcoxon(matrix[:, 1], matrix[:, 2]).pvalue > 0.05
    assert ("relu and tanh are indistinguishable with 10 seeds" in verdicts
            or "tanh and relu are indistinguishable with 10 seeds" in verdicts)
    assert "The 3 activations differ in test accuracy (Friedman" in verdicts


def test_diverged_trials_rank_worst_and_stay_out_of_the_means():
    labels = ["relu", "elu"]
    values = {"relu": {0: 0.9, 1: 0.8, 2: 0.7}, "elu": {0: 0.95, 1: None, 2: 0.75}}
    comparison = compare(values, ACCURACY, labels=labels, seeds=[0, 1, 2],
                         diverged={"elu": {1}})
    assert comparison.summaries["elu"].n == 2
    assert comparison.summaries["elu"].diverged == 1
    assert comparison.summaries["elu"].mean == pytest.approx(0.85)
    # elu wins seeds 0 and 2, loses the diverged seed 1: mean ranks (1 + 2 + 1)/3, (2 + 1 + 2)/3
    assert comparison.mean_ranks == pytest.approx({"elu": 4 / 3, "relu": 5 / 3})
    assert comparison.paired_seeds == (0, 1, 2)
    assert any("diverged" in note and "worst" in note for note in comparison.notes)
    pair = comparison.pair("elu", "relu")
    assert (pair.wins_a, pair.wins_b) == (2, 1)


def test_missing_trials_remove_their_seed_from_the_paired_tests():
    labels = ["relu", "elu", "gelu"]
    values = {"relu": {0: 0.9, 1: 0.8, 2: 0.7, 3: 0.6}, "elu": {0: 0.8, 1: 0.7, 2: None,
                                                              3: 0.5},
              "gelu": {0: 0.7, 1: 0.6, 2: 0.5, 3: 0.4}}
    comparison = compare(values, ACCURACY, labels=labels, seeds=[0, 1, 2, 3])
    assert comparison.paired_seeds == (0, 1, 3)
    assert any("seed 2 is left out" in note and "elu" in note for note in comparison.notes)
    assert comparison.summaries["elu"].n == 3


def test_expected_ranking_is_checked_step_by_step():
    rng = np.random.default_rng(5)
    seeds = 10
    matrix = np.column_stack([0.90 + rng.normal(0, 0.001, seeds),   # elu: best
                              0.80 + rng.normal(0, 0.001, seeds),   # selu
                              0.70 + rng.normal(0, 0.001, seeds)])  # relu
    labels = ["elu", "selu", "relu"]
    comparison = compare(_values(matrix, labels), ACCURACY, labels=labels, seeds=range(seeds),
                         expected_ranking=["selu", "elu", "relu"])
    expected = comparison.expected
    first, second = expected.steps
    assert (first.better, first.worse, first.observed_direction, first.significant) == \
        ("selu", "elu", False, True)
    assert (second.better, second.worse, second.observed_direction, second.significant) == \
        ("elu", "relu", True, True)
    assert not expected.agrees
    assert expected.kendall_tau == pytest.approx(stats.kendalltau([0, 1, 2], [1, 0, 2])[0])
    assert "The data contradict the expected ranking." in expected.summary


def test_p_values_print_with_two_significant_digits():
    assert format_p(0.0004) == "< 0.001"
    assert format_p(0.0123) == "0.012"
    assert format_p(0.25) == "0.25"
    assert format_p(0.6) == "0.6"
    assert format_p(1.0) == "1"
    assert format_p(math.nan) == "n/a"


def test_direction_follows_the_signed_rank_sums_not_the_win_count():
    x = np.array([0.51, 0.51, 0.51, 0.51, 0.0, 0.0])
    y = np.array([0.50, 0.50, 0.50, 0.50, 1.0, 2.0])
    pair = wilcoxon_pair("a", "b", x, y, ACCURACY)
    # |d| ranks by hand: the four 0.01 share rank 2.5 (sum 10); 1.0 is rank 5, 2.0 rank 6
    assert (pair.wins_a, pair.wins_b) == (4, 2)
    assert (pair.rank_sum_a, pair.rank_sum_b) == pytest.approx((10.0, 11.0))
    assert not pair.a_leads
    assert min(pair.rank_sum_a, pair.rank_sum_b) == pytest.approx(stats.wilcoxon(x, y).statistic)


def test_verdicts_count_ties():
    labels = ["a", "b"]
    values = {"a": {s: 0.5 for s in range(8)}, "b": {s: 0.5 for s in range(8)}}
    values["a"].update({0: 0.6, 1: 0.7})
    comparison = compare(values, ACCURACY, labels=labels, seeds=range(8))
    assert "a better in 2, b in 0, tied in 6)" in comparison.verdicts[-1]
