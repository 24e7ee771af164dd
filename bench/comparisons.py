"""Comparisons within a table, as data: UPI-TRM against its strongest baseline, what each
one-factor change (a mask, a network, a reward, an input) does to a row, and at which budget a
row reaches UPI-TRM's result."""

from __future__ import annotations

from dataclasses import dataclass

from bench.cells import Cells, metric_values
from bench.markdown import table
from bench.intervals import difference
from bench.stats import probability_of_improvement_interval
from bench.tables import Column, Curve, Row, TableSpec
from bench.verdicts import Comparison, compare_gap, number


@dataclass(frozen=True)
class HeadToHeadResult:
    """One of UPI-TRM's rows against the strongest baseline of a column, on one metric."""

    ours: str
    baseline: str
    metric: str
    ours_mean: float
    baseline_mean: float
    gap: tuple[float, float, float]
    """Mean of ours minus mean of the baseline, and its 95% interval (:func:`bench.intervals.difference`)."""
    improvement: tuple[float, float, float]
    """P(ours > baseline) over pairs of seeds, and its 95% bootstrap interval."""
    comparison: Comparison
    strongest: bool = True
    """Whether the baseline is the column's strongest (:func:`strongest_baseline`)."""


def strongest_baseline(spec: TableSpec, column: Column, cells: Cells, split: str) -> Row | None:
    """The baseline row of ``spec.head_to_head`` with the highest mean of its first metric in
    ``column`` (the next metrics break ties), among those with every seed's record."""
    if spec.head_to_head is None:
        return None
    ranked = []
    for row in spec.rows:
        if row.id not in spec.head_to_head.baselines or (row.id, column.id) not in cells:
            continue
        values = [metric_values(cells[(row.id, column.id)], split, m) for m in spec.head_to_head.metrics]
        if all(v is not None for v in values):
            ranked.append((tuple(float(v.mean()) for v in values), row))
    return max(ranked, key=lambda item: item[0])[1] if ranked else None


def head_to_head(spec: TableSpec, column: Column, cells: Cells) -> list[HeadToHeadResult]:
    """Each of UPI-TRM's rows in ``column`` against each baseline of ``spec.head_to_head`` with
    every seed's record there, the strongest first (:func:`strongest_baseline`), on the column's
    claim split (the source's evaluation protocol), one result per metric."""
    split = column.claim_split
    strongest = strongest_baseline(spec, column, cells, split)
    if strongest is None:
        return []
    baselines = [strongest] + [r for r in spec.rows if r.id in spec.head_to_head.baselines and r.id != strongest.id
                               and all(metric_values(cells.get((r.id, column.id)), split, m) is not None
                                       for m in spec.head_to_head.metrics)]
    out = []
    for row in spec.rows:
        if row.id not in spec.head_to_head.ours or (row.id, column.id) not in cells:
            continue
        for baseline in baselines:
            for metric in spec.head_to_head.metrics:
                ours = metric_values(cells[(row.id, column.id)], split, metric)
                theirs = metric_values(cells[(baseline.id, column.id)], split, metric)
                if ours is None:
                    continue
                gap = difference(cells[(row.id, column.id)], cells[(baseline.id, column.id)], split, metric, ours, theirs)
                comparison = compare_gap(gap[1], gap[2], min(len(ours), len(theirs)))
                out.append(
                    HeadToHeadResult(
                        row.label, baseline.label, f"{metric} ({split})", float(ours.mean()), float(theirs.mean()),
                        gap, probability_of_improvement_interval(ours, theirs), comparison, baseline.id == strongest.id,
                    )
                )
    return out


def head_to_head_table(spec: TableSpec, column: Column, cells: Cells) -> list[str]:
    """The markdown of :func:`head_to_head` (nothing without a head-to-head block or records)."""
    results = head_to_head(spec, column, cells)
    if not results:
        return []
    headers = ["row", "baseline", "metric", "row", "baseline", "gap [95% CI]", "P(row > baseline) [95% CI]", "the row is"]
    rows = [
        [
            r.ours, f"**{r.baseline}** (strongest)" if r.strongest else r.baseline, r.metric, number(r.ours_mean), number(r.baseline_mean),
            f"{number(r.gap[0])} [{number(r.gap[1])}, {number(r.gap[2])}]",
            f"{number(r.improvement[0])} [{number(r.improvement[1])}, {number(r.improvement[2])}]",
            r.comparison.value,
        ]
        for r in results
    ]
    intro = (
        "Head to head: each UPI-TRM row against each learned baseline of this column, the strongest first (the "
        f"highest mean {spec.head_to_head.metrics[0]}, ties broken by {', '.join(spec.head_to_head.metrics[1:]) or 'nothing'}); "
        "the gap is the row's mean minus the baseline's, its interval a bootstrap over both groups' seeds (for success, "
        "hulled with Newcombe's interval of their pooled episodes); "
        "P(row > baseline) is the share of seed pairs the row wins (ties count one half): it compares seeds pair by pair, "
        "not means, so a row ahead on the mean can win fewer than half of the pairs, and with 3 seeds a side its interval "
        "spans most of [0, 1]."
    )
    return ["", intro, "", *table(headers, rows)]


@dataclass(frozen=True)
class FactorEffect:
    """What one change (:class:`bench.tables.Change`) does in one place, on one metric."""

    change: str
    where: str
    """The column (a change of rows) or the row (a change of columns) it was measured in."""
    metric: str
    before: float
    after: float
    difference: tuple[float, float, float]
    """Mean after minus mean before, and its 95% interval (:func:`bench.intervals.difference`)."""
    comparison: Comparison


EFFECT_WORDS = {
    Comparison.AHEAD: "raises it",
    Comparison.BEHIND: "lowers it",
    Comparison.NOT_TOLD_APART: "no measurable change",
    Comparison.ONE_SEED: "one seed: no interval",
}
"""How a page reads a :class:`FactorEffect`'s comparison."""


def _splits(column: Column) -> list[str]:
    """The claim split of ``column``, and its sampled twin where the column evaluates sampled."""
    sampled = f"{column.claim_split}-sampled" if column.sampled_eval and not column.claim_split.endswith("-sampled") else None
    return [column.claim_split] + ([sampled] if sampled else [])


def factor_effects(spec: TableSpec, cells: Cells) -> list[FactorEffect]:
    """Every change of ``spec.factors`` wherever both sides have every seed's record: a change of
    rows in each column both run, a change of columns for each row in both."""
    if spec.factors is None:
        return []
    columns = {c.id: c for c in spec.columns}
    out = []
    for change in spec.factors.changes:
        if change.kind == "rows":
            places = [(c.label, (change.before, c.id), (change.after, c.id), _splits(c)) for c in spec.columns]
        else:
            places = [(r.label, (r.id, change.before), (r.id, change.after), _splits(columns[change.before])) for r in spec.rows]
        for where, before_key, after_key, splits in places:
            if before_key not in cells or after_key not in cells:
                continue
            for split in splits:
                for metric in spec.factors.metrics:
                    before = metric_values(cells[before_key], split, metric)
                    after = metric_values(cells[after_key], split, metric)
                    if before is None or after is None:
                        continue
                    change_interval = difference(cells[after_key], cells[before_key], split, metric, after, before)
                    out.append(
                        FactorEffect(
                            change.name, where, f"{metric} ({split})", float(before.mean()), float(after.mean()),
                            change_interval, compare_gap(change_interval[1], change_interval[2], min(len(before), len(after))),
                        )
                    )
    return out


def factors_section(spec: TableSpec, cells: Cells) -> list[str]:
    """The markdown of :func:`factor_effects` (nothing without a factors block or records)."""
    effects = factor_effects(spec, cells)
    if not effects:
        return []
    headers = ["change", "in", "metric", "before", "after", "after - before [95% CI]", "the change"]
    body = [
        [e.change, e.where, e.metric, number(e.before), number(e.after),
         f"{number(e.difference[0])} [{number(e.difference[1])}, {number(e.difference[2])}]", EFFECT_WORDS[e.comparison]]
        for e in effects
    ]
    intro = (
        "Each change alters one thing: a change of rows keeps the column (env, rules, masking, budget) "
        "and alters the agent; a change of columns keeps the row and alters the env's reward or inputs. "
        "The interval is a bootstrap over both sides' seeds (for success, hulled with Newcombe's interval of their pooled episodes); a change \"raises\" or \"lowers\" a metric "
        "only when the interval excludes 0."
    )
    return ["## What each change does", "", intro, "", *table(headers, body), ""]


@dataclass(frozen=True)
class BudgetReach:
    """Where one row's budget curve reaches the level ``ours`` sets at the curve's reference budget."""

    curve: str
    row: str
    metric: str
    target: float
    """``ours``' mean at the reference budget."""
    target_budget: int
    reached_at: int | None
    """The smallest budget whose runs are not behind the target (its interval over seeds does not
    lie below it), or None within the curve."""
    value_there: float | None
    largest_budget: int
    """The largest budget of the curve that the row runs (a row may stop before the curve does)."""
    one_seed: bool = False
    """Every budget compared had a single seed on a side: no interval, no answer."""


def curve_columns(spec: TableSpec, curve: Curve, profile: str) -> list[tuple[int, Column]]:
    """The curve's columns with their budgets under ``profile``, smallest budget first."""
    columns = {c.id: c for c in spec.columns}
    return sorted((spec.steps(columns[c], profile), columns[c]) for c in curve.columns)


def budget_reach(spec: TableSpec, cells: Cells, profile: str) -> list[BudgetReach]:
    """For each curve, metric and learned row but ``ours`` (trivial rows left out), the budget
    at which the row reaches ``ours``' result at the reference budget (on each column's claim
    split; budgets without every seed's record are skipped)."""
    if spec.curves is None:
        return []
    out = []
    run = {(row.id, column.id) for row, column in spec.cells(profile)}
    for curve in spec.curves.curves:
        budgets = curve_columns(spec, curve, profile)
        reference_budget, reference = next((steps, c) for steps, c in budgets if c.id == curve.reference)
        for metric in spec.curves.metrics:
            target_records = cells.get((spec.curves.ours, reference.id))
            target = metric_values(target_records, reference.claim_split, metric)
            if target is None:
                continue
            for row in spec.rows:
                if row.id == spec.curves.ours or row.trivial:
                    continue
                reached, value, compared = None, None, []
                for steps, column in budgets:
                    records = cells.get((row.id, column.id))
                    values = metric_values(records, column.claim_split, metric)
                    if values is None:
                        continue
                    _, low, high = difference(records, target_records, column.claim_split, metric, values, target)
                    compared.append(compare_gap(low, high, min(len(values), len(target))))
                    if compared[-1] in (Comparison.AHEAD, Comparison.NOT_TOLD_APART):
                        reached, value = steps, float(values.mean())
                        break
                if not compared:
                    continue  # the row has no run on this curve
                largest = max(steps for steps, column in budgets if (row.id, column.id) in run)  # the row's own last
                out.append(
                    BudgetReach(curve.name, row.label, f"{metric} ({reference.claim_split})", float(target.mean()),
                                reference_budget, reached, value, largest,
                                one_seed=all(c is Comparison.ONE_SEED for c in compared))
                )
    return out
