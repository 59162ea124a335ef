"""Statistics over seeds: summaries with confidence intervals, paired tests, honest verdicts.

For each activation: mean, standard deviation and a Student-t confidence interval over
seeds. Across activations, paired by seed (every activation ran with the same seeds):
the Friedman test (blocks = seeds), then two-sided Wilcoxon signed-rank tests for every
pair with Holm's correction, and a ranking by mean rank. Verdicts say only what the
p-values support, and say so when there are too few seeds for any test to succeed.

Diverged trials (non-finite weights or a non-finite value of the metric) count as the
worst result of their seed (below every finite value); missing trials (failed, not run)
remove their seed from the paired tests. Trials flagged with a NaN loss but finite weights
and a finite metric keep their value and count like every other trial; a note says so.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from actlab.studies.metrics import Metric

ALPHA = 0.05
CONFIDENCE = 0.95


# -- one activation ----------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """Mean, sample standard deviation and t confidence interval of the finite values."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float
    confidence: float = CONFIDENCE
    diverged: int = 0
    missing: int = 0
    flagged: int = 0  # values kept although their trial had a NaN loss

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2


@dataclass(frozen=True)
class Proportion:
    """k successes of n trials, with Wilson's score interval for the success rate."""

    k: int
    n: int
    low: float
    high: float
    confidence: float = CONFIDENCE

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else math.nan


def proportion(k: int, n: int, confidence: float = CONFIDENCE) -> Proportion:
    """k of n with Wilson's score interval (NaN bounds when n = 0).

    Wilson's interval, unlike k/n ± z·√(p(1−p)/n), stays inside [0, 1] and is not empty
    at k = n: 20 of 20 successes give [0.84, 1], not a certainty.
    """
    if n == 0:
        return Proportion(0, 0, math.nan, math.nan, confidence)
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=confidence,
                                                   method="wilson")
    return Proportion(k, n, float(interval.low), float(interval.high), confidence)


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Student-t interval for the mean: mean ± t_{(1+c)/2, n-1} · s/√n (NaN when n < 2)."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2:
        return math.nan, math.nan
    mean = float(x.mean())
    sem = float(x.std(ddof=1)) / math.sqrt(len(x))
    if sem == 0.0:  # every seed gave the same value: the interval is that value
        return mean, mean
    low, high = stats.t.interval(confidence, len(x) - 1, loc=mean, scale=sem)
    return float(low), float(high)


def summarize(values: Sequence[float | None], *, diverged: int = 0,
              confidence: float = CONFIDENCE) -> Summary:
    """Summary of the finite values (None and NaN count as missing)."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    missing = len(values) - len(finite)
    if not finite:
        return Summary(0, math.nan, math.nan, math.nan, math.nan, confidence, diverged, missing)
    x = np.asarray(finite)
    std = float(x.std(ddof=1)) if len(x) > 1 else math.nan
    low, high = t_interval(finite, confidence)
    return Summary(len(x), float(x.mean()), std, low, high, confidence, diverged, missing)


# -- multiple comparisons ----------------------------------------------------------------

def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values: p_(i) ↦ max_{j≤i} min(1, (m − j + 1) p_(j))."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


def wilcoxon_min_p(n: int) -> float:
    """The smallest two-sided p an exact Wilcoxon signed-rank test can give with n pairs: 2/2ⁿ."""
    return 1.0 if n < 1 else min(1.0, 2.0 ** (1 - n))


def friedman_min_p(n: int, k: int) -> float:
    """The smallest p of Friedman's χ² test with n blocks and k treatments (χ² = n(k−1))."""
    if n < 1 or k < 2:
        return 1.0
    return float(stats.chi2.sf(n * (k - 1), k - 1))


def seeds_needed(pairs: int, alpha: float = ALPHA) -> int:
    """The fewest seeds with which one pair out of `pairs` can reach p_holm < alpha."""
    n = 1
    while pairs * wilcoxon_min_p(n) >= alpha:
        n += 1
    return n


# -- paired comparisons ------------------------------------------------------------------

@dataclass(frozen=True)
class Friedman:
    """Friedman's test across k activations over n seeds (blocks)."""

    statistic: float
    p_value: float
    n: int
    k: int

    @property
    def min_p(self) -> float:
        return friedman_min_p(self.n, self.k)


@dataclass(frozen=True)
class Pair:
    """Two-sided Wilcoxon signed-rank test of activation a against b over paired seeds."""

    a: str
    b: str
    n: int
    nonzero: int
    wins_a: int
    wins_b: int
    mean_difference: float
    statistic: float
    p_value: float
    p_holm: float = math.nan
    rank_sum_a: float = 0.0  # signed-rank sums of the seeds where a (or b) did better
    rank_sum_b: float = 0.0

    @property
    def min_p(self) -> float:
        return wilcoxon_min_p(self.nonzero)

    @property
    def ties(self) -> int:
        return self.n - self.wins_a - self.wins_b

    @property
    def a_leads(self) -> bool:
        """Whether a is ahead by the signed-rank sums (the direction the test measures)."""
        return self.rank_sum_a >= self.rank_sum_b


@dataclass(frozen=True)
class Comparison:
    """Everything the statistics say about one metric of one study condition."""

    metric: Metric
    labels: tuple[str, ...]
    summaries: dict[str, Summary]
    seeds: tuple[int, ...]
    paired_seeds: tuple[int, ...]
    ranking: tuple[str, ...]
    mean_ranks: dict[str, float]
    friedman: Friedman | None
    pairs: tuple[Pair, ...]
    alpha: float
    notes: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()
    unit: str = "seed"
    expected: ExpectedRanking | None = None

    def pair(self, a: str, b: str) -> Pair | None:
        """The test of a against b (in either order, oriented as asked)."""
        for pair in self.pairs:
            if (pair.a, pair.b) == (a, b):
                return pair
            if (pair.a, pair.b) == (b, a):
                return Pair(a, b, pair.n, pair.nonzero, pair.wins_b, pair.wins_a,
                            -pair.mean_difference, pair.statistic, pair.p_value, pair.p_holm,
                            pair.rank_sum_b, pair.rank_sum_a)
        return None


@dataclass(frozen=True)
class ClaimCheck:
    """One step `a > b` of an expected ranking, against the data."""

    better: str
    worse: str
    observed_direction: bool | None  # True: a did better on average; None: a tie
    significant: bool
    p_holm: float


@dataclass(frozen=True)
class ExpectedRanking:
    """How an expected ranking (seed 002's) fares: each adjacent step and Kendall's τ."""

    order: tuple[str, ...]
    steps: tuple[ClaimCheck, ...]
    kendall_tau: float
    kendall_p: float
    agrees: bool
    summary: str = field(default="")


def paired_matrix(values: Mapping[str, Mapping[Hashable, float | None]],
                  diverged: Mapping[str, set[int]], labels: Sequence[str],
                  seeds: Sequence[Hashable], metric: Metric, unit: str = "seed"
                  ) -> tuple[np.ndarray, tuple[int, ...], list[str]]:
    """Seeds × activations matrix for paired tests, the seeds kept, and notes on what changed.

    A diverged trial gets a value worse than every finite one (so it ranks last in its
    seed, tied with other diverged trials); a seed missing any activation is dropped.
    """
    notes: list[str] = []
    if not labels:
        return np.empty((0, 0)), (), notes
    finite = [v for label in labels for s, v in values.get(label, {}).items()
              if v is not None and math.isfinite(v) and s not in diverged.get(label, set())]
    if finite:
        span = max(finite) - min(finite)
        worst = min(finite) - span - 1.0 if metric.higher_is_better else max(finite) + span + 1.0
    else:
        worst = -1.0 if metric.higher_is_better else 1.0
    rows, kept = [], []
    for seed in seeds:
        row = []
        for label in labels:
            if seed in diverged.get(label, set()):
                row.append(worst)
                continue
            value = values.get(label, {}).get(seed)
            row.append(math.nan if value is None or not math.isfinite(value) else value)
        if any(math.isnan(v) for v in row):
            absent = [label for label, v in zip(labels, row, strict=True) if math.isnan(v)]
            notes.append(f"{unit} {seed} is left out of the paired tests: no {metric.title} "
                         f"for {', '.join(absent)} (failed or not run)")
            continue
        rows.append(row)
        kept.append(seed)
    n_diverged = sum(len(diverged.get(label, set()) & set(kept)) for label in labels)
    if n_diverged:
        notes.append(f"{n_diverged} diverged trial(s) count as the worst result of their seed "
                     f"in the paired tests and ranking")
    matrix = np.asarray(rows, dtype=float).reshape(len(rows), len(labels))
    return matrix, tuple(kept), notes


def mean_ranks(matrix: np.ndarray, metric: Metric) -> np.ndarray:
    """Average rank of each column over the rows; 1 = best, ties share the average rank."""
    if matrix.shape[0] == 0:
        return np.full(matrix.shape[1], math.nan)
    oriented = -matrix if metric.higher_is_better else matrix
    return stats.rankdata(oriented, axis=1).mean(axis=0)


def friedman_test(matrix: np.ndarray) -> Friedman | None:
    """Friedman's χ² over the columns (None with fewer than 3 columns or 2 rows, or no spread)."""
    n, k = matrix.shape
    if k < 3 or n < 2:
        return None
    if np.all(matrix == matrix[:, :1]):  # every seed tied all activations: nothing to rank
        return Friedman(0.0, 1.0, n, k)
    result = stats.friedmanchisquare(*matrix.T)
    return Friedman(float(result.statistic), float(result.pvalue), n, k)


def wilcoxon_pair(a: str, b: str, x: np.ndarray, y: np.ndarray, metric: Metric) -> Pair:
    """Two-sided Wilcoxon signed-rank test of x against y; zero differences are dropped."""
    difference = x - y
    signed = difference if metric.higher_is_better else -difference
    nonzero = int(np.count_nonzero(difference))
    wins_a, wins_b = int(np.sum(signed > 0)), int(np.sum(signed < 0))
    mean_difference = float(difference.mean()) if len(difference) else math.nan
    if nonzero == 0:
        return Pair(a, b, len(x), 0, 0, 0, mean_difference, math.nan, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the normal approximation at tiny n
        result = stats.wilcoxon(x, y, zero_method="wilcox", alternative="two-sided")
    kept = signed[signed != 0]
    ranks = stats.rankdata(np.abs(kept))
    return Pair(a, b, len(x), nonzero, wins_a, wins_b, mean_difference,
                float(result.statistic), float(result.pvalue), math.nan,
                float(ranks[kept > 0].sum()), float(ranks[kept < 0].sum()))


def compare(values: Mapping[str, Mapping[int, float | None]], metric: Metric, *,
            labels: Sequence[str], seeds: Sequence[Hashable],
            diverged: Mapping[str, set[Hashable]] | None = None, alpha: float = ALPHA,
            expected_ranking: Sequence[str] = (), unit: str = "seed",
            flagged: Mapping[str, set[Hashable]] | None = None) -> Comparison:
    """Summaries, Friedman, pairwise Wilcoxon + Holm, ranking and verdicts for one metric.

    `values[label][seed]` is the metric of that trial (None when missing); `diverged`
    lists, per label, the seeds whose trial diverged; `flagged`, those whose trial had a
    NaN loss with finite weights and keeps its value (they count normally; a note says so).
    """
    diverged = {label: set(diverged.get(label, set())) if diverged else set()
                for label in labels}
    flagged = {label: (set(flagged.get(label, set())) if flagged else set()) - diverged[label]
               for label in labels}
    summaries = {}
    for label in labels:
        by_seed = values.get(label, {})
        ok = [by_seed.get(s) for s in seeds if s not in diverged[label]]
        kept = {s for s in flagged[label] & set(seeds) if by_seed.get(s) is not None}
        summaries[label] = summarize(ok, diverged=len(diverged[label] & set(seeds)))
        summaries[label] = dataclasses.replace(summaries[label], flagged=len(kept))
    # An activation without a single result (every trial failed) cannot be ranked; leaving
    # it in would remove every seed from the paired tests of the others.
    ranked = [label for label in labels if summaries[label].n or summaries[label].diverged]
    unranked = [label for label in labels if label not in ranked]
    matrix, kept, notes = paired_matrix(values, diverged, ranked, seeds, metric, unit)
    if unranked:
        notes.insert(0, f"{', '.join(unranked)}: no {metric.title} in any seed (failed or "
                        f"not run), so not ranked or tested")
    n_flagged = sum(summaries[label].flagged for label in labels)
    if n_flagged:
        by_label = ", ".join(f"{label} {summaries[label].flagged}" for label in labels
                             if summaries[label].flagged)
        notes.append(f"{n_flagged} trial(s) had a NaN loss but finite weights and a finite "
                     f"{metric.title} ({by_label}): a NaN loss is not divergence, so they "
                     f"keep their {metric.title} and count normally in the means, ranking "
                     f"and tests")
    ranks = np.full(len(labels), math.nan)
    ranks[[labels.index(label) for label in ranked]] = mean_ranks(matrix, metric)
    means = [summaries[label].mean for label in labels]
    order = sorted(range(len(labels)), key=lambda i: (
        ranks[i] if math.isfinite(ranks[i]) else math.inf,
        -(means[i] if metric.higher_is_better else -means[i])
        if math.isfinite(means[i]) else math.inf))
    ranking = tuple(labels[i] for i in order)
    friedman = friedman_test(matrix)
    pairs = []
    if matrix.shape[0] > 0:
        tested = [label for label in ranking if label in ranked]
        for i, a in enumerate(tested):
            for b in tested[i + 1:]:
                ia, ib = ranked.index(a), ranked.index(b)
                pairs.append(wilcoxon_pair(a, b, matrix[:, ia], matrix[:, ib], metric))
    adjusted = holm([p.p_value for p in pairs]) if pairs else []
    pairs = [dataclasses.replace(p, p_holm=q) for p, q in zip(pairs, adjusted, strict=True)]
    rank_of = {label: float(r) for label, r in zip(labels, ranks, strict=True)}
    comparison = Comparison(metric, tuple(labels), summaries, tuple(seeds), kept, ranking,
                            rank_of, friedman, tuple(pairs), alpha, tuple(notes), unit=unit)
    expected = (check_expected_ranking(comparison, expected_ranking)
                if len(expected_ranking) >= 2 else None)
    return Comparison(**{**comparison.__dict__, "verdicts": tuple(verdicts(comparison)),
                         "expected": expected})


# -- words -------------------------------------------------------------------------------

def format_p(p: float) -> str:
    """A p-value as a report prints it: two significant digits, `< 0.001` below that."""
    if not math.isfinite(p):
        return "n/a"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.2g}" if p < 0.1 else f"{p:.2f}".rstrip("0").rstrip(".") if p < 1 else "1"


def _p_text(name: str, p: float) -> str:
    text = format_p(p)
    return f"{name} {text}" if text.startswith("<") else f"{name} = {text}"


def _seeds(n: int, unit: str = "seed") -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


def verdicts(c: Comparison) -> list[str]:
    """Plain-language findings, each claiming no more than its p-value supports."""
    out: list[str] = []
    n = len(c.paired_seeds)
    k = sum(1 for label in c.labels if math.isfinite(c.mean_ranks[label]))
    if len(c.labels) < 2:
        return ["only one activation: there is nothing to compare"]
    if n == 0:
        return ["no seed has a result for every activation, so no paired test could run"]
    if k < 2:
        return ["only one activation has results: there is nothing to compare it with"]
    m = len(c.pairs)
    smallest = wilcoxon_min_p(n)
    if m * smallest >= c.alpha:
        text = (f"With {_seeds(n, c.unit)}, no pairwise difference can be significant: a two-sided "
                f"Wilcoxon signed-rank test cannot give p below {format_p(smallest)}")
        if m > 1:
            text += f", and Holm's correction over {m} pairs multiplies the smallest p by {m}"
        out.append(text + f". At least {seeds_needed(m, c.alpha)} {c.unit}s are needed for any "
                          f"pair to reach p_holm < {c.alpha:g}.")
    if c.friedman is not None:
        f = c.friedman
        if f.p_value < c.alpha:
            out.append(f"The {k} activations differ in {c.metric.title} (Friedman χ² = "
                       f"{f.statistic:.2f}, {_p_text('p', f.p_value)}, {_seeds(n, c.unit)}).")
        elif f.min_p >= c.alpha:
            out.append(f"The Friedman test cannot reach p < {c.alpha:g} with "
                       f"{_seeds(n, c.unit)} and {k} activations (its smallest possible p "
                       f"is {format_p(f.min_p)}); "
                       f"observed {_p_text('p', f.p_value)}.")
        else:
            out.append(f"No difference in {c.metric.title} among the {k} activations could be "
                       f"shown with {_seeds(n, c.unit)} (Friedman {_p_text('p', f.p_value)}).")
    for pair in c.pairs:
        out.append(pair_verdict(pair, c.metric, c.alpha, c.unit))
    return out


def pair_verdict(pair: Pair, metric: Metric, alpha: float = ALPHA, unit: str = "seed") -> str:
    """`SELU > sigmoid (p_holm = 0.01; better in 5 of 5 seeds)` or `… are indistinguishable …`."""
    if pair.nonzero == 0:
        return (f"{pair.a} and {pair.b} gave identical {metric.title} in all "
                f"{_seeds(pair.n, unit)}.")
    tied = f", tied in {pair.ties}" if pair.ties else ""
    if pair.p_holm < alpha:
        better, worse = (pair.a, pair.b) if pair.a_leads else (pair.b, pair.a)
        wins, losses = ((pair.wins_a, pair.wins_b) if pair.a_leads
                        else (pair.wins_b, pair.wins_a))
        return (f"{better} > {worse} in {metric.title} ({_p_text('p_holm', pair.p_holm)}; "
                f"better in {wins}, worse in {losses}{tied} of {_seeds(pair.n, unit)}).")
    return (f"{pair.a} and {pair.b} are indistinguishable with {_seeds(pair.n, unit)} "
            f"({_p_text('p_holm', pair.p_holm)}, raw {_p_text('p', pair.p_value)}; "
            f"{pair.a} better in {pair.wins_a}, {pair.b} in {pair.wins_b}{tied}).")


def check_expected_ranking(c: Comparison, order: Sequence[str]) -> ExpectedRanking:
    """Each adjacent step of the expected order against the data, and Kendall's τ."""
    steps = []
    for better, worse in itertools.pairwise(order):
        pair = c.pair(better, worse)
        if pair is None:
            steps.append(ClaimCheck(better, worse, None, False, math.nan))
            continue
        rank_better, rank_worse = c.mean_ranks[better], c.mean_ranks[worse]
        direction = None if rank_better == rank_worse else bool(rank_better < rank_worse)
        steps.append(ClaimCheck(better, worse, direction, pair.p_holm < c.alpha, pair.p_holm))
    observed = [c.ranking.index(label) for label in order]
    if len(set(observed)) > 1:
        tau, p = stats.kendalltau(range(len(order)), observed)
    else:
        tau, p = math.nan, math.nan
    contradicted = [s for s in steps if s.significant and s.observed_direction is False]
    confirmed = [s for s in steps if s.significant and s.observed_direction]
    agrees = observed == sorted(observed)
    shown = " > ".join(label for label in c.ranking if label in order)
    words = [f"Expected {' > '.join(order)}; observed {shown}"
             + (f" (Kendall τ = {tau:.2f}, {_p_text('p', p)})." if math.isfinite(tau) else ".")]
    words.append(f"{sum(1 for s in steps if s.observed_direction)} of {len(steps)} steps go the "
                 f"expected way on average; {len(confirmed)} of them significantly, and "
                 f"{len(contradicted)} step(s) are significantly reversed"
                 + (": " + ", ".join(f"{s.worse} > {s.better} ({_p_text('p_holm', s.p_holm)})"
                                     for s in contradicted) if contradicted else "") + ".")
    if agrees and len(confirmed) == len(steps):
        words.append("The data support the expected ranking.")
    elif agrees:
        words.append("The observed order matches, but not every step is significant.")
    elif contradicted:
        words.append("The data contradict the expected ranking.")
    else:
        words.append("The observed order differs, but the differences are not significant.")
    return ExpectedRanking(tuple(order), tuple(steps), float(tau), float(p), agrees,
                           " ".join(words))
