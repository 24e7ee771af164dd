"""One markdown page per table, from run records only (DESIGN section 6).

Every measured cell is mean +- std over seeds with a 95% interval (:mod:`bench.intervals`); each
claim of the source stands beside the measured value with a verdict from that interval, and
beside the trivial reference measured in the same setting, so a reader sees when a claimed number
cannot be told apart from doing nothing. A run without a record shows as "missing", never as 0.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.registry import REPO_ROOT
from bench.markdown import table
from bench.cells import MISSING, TOP_LEVEL, Cells, metric_values
from bench.comparisons import budget_reach, curve_columns, factors_section, head_to_head_table
from bench.intervals import EPISODE_METRICS, against, interval
from bench.stats import iqm, ratio_interval, stratified_bootstrap_ci
from bench.tables import CLAIM_SETTINGS, UNJUDGED, Column, Row, TableSpec
from bench.verdicts import Judgement, Standing, Verdict, compare_gap, judge_claim, judge_count, judge_gain, number, versus_references

TRIVIAL_PREDICTORS = {"zero": "all-zero predictor", "const": "constant predictor (the most frequent training target)"}
"""Trivial references stored in every supervised record (see agents.supervised.train)."""

COMPONENT_NAMES = {"protocol": "protocol code", "env": "env code", "agent": "agent code", "tuned": "tuned-hyperparameter"}
"""How provenance names each component of a record (:meth:`bench.runner.RunSpec.components`)."""


def count(values: np.ndarray | None, absent: str = MISSING) -> str:
    """A per-seed count (parameters) as one integer, or ``absent``."""
    return absent if values is None else f"{int(values.mean()):,}"


IQM_MIN_SEEDS = 5
"""From this many seeds on, the interquartile mean is shown too (rliable's recommendation)."""


def summary_cell(values: np.ndarray | None, absent: str = MISSING, bounds: tuple[float, float] | None = None) -> str:
    """``mean +- std [low, high]`` (``bounds``, else the 95% bootstrap over seeds; with at least
    :data:`IQM_MIN_SEEDS` seeds also the IQM and its bootstrap interval), or ``absent``."""
    if values is None:
        return absent
    low, high = bounds if bounds is not None else stratified_bootstrap_ci(values)
    cell = f"{number(values.mean())} +- {number(values.std(ddof=0))} [{number(low)}, {number(high)}]"
    if len(values) >= IQM_MIN_SEEDS:
        iqm_low, iqm_high = stratified_bootstrap_ci(values, iqm)
        cell += f"; IQM {number(iqm(values))} [{number(iqm_low)}, {number(iqm_high)}]"
    return cell


def metric_cell(records: list, split: str, metric: str, absent: str = MISSING) -> str:
    """:func:`summary_cell` of ``split/metric`` in ``records`` with its metric's interval
    (:func:`bench.intervals.interval`)."""
    values = metric_values(records, split, metric)
    return summary_cell(values, absent, None if values is None else interval(records, split, metric, values))


def _split_metrics(spec: TableSpec, column: Column) -> list[tuple[str, str]]:
    if spec.kind == "supervised":
        return [("test", m) for m in spec.metrics]
    splits = list(column.splits) + [f"{s}-sampled" for s in column.splits if column.sampled_eval]
    return [(split, m) for m in spec.metrics for split in splits]


def _standings(spec: TableSpec, column: Column, row: Row, cells: Cells, metric: str, split: str,
               values: np.ndarray) -> list[Standing]:
    """Where ``values`` (the row's ``split/metric``) stand against the references of ``column``:
    the trivial predictors stored in the row's own records (supervised), the rows marked
    ``trivial`` or ``reference`` (RL), each compared by the interval of the difference with its
    noise counted too (:func:`bench.intervals.against`), and, for a score or a delta, the start
    board (:data:`START_BOARD`: the row's delta against 0)."""
    records = cells[(row.id, column.id)]
    if spec.kind == "supervised":
        sources = [(name, records, f"{key}_{metric}") for key, name in TRIVIAL_PREDICTORS.items()]
    else:
        sources = [(o.label.lower(), cells[(o.id, column.id)], metric) for o in spec.rows
                   if (o.trivial or o.reference) and (o.id, column.id) in cells]
    out = []
    for name, reference, key in sources:
        reference_values = metric_values(reference, split, key)
        if reference_values is not None:
            comparison = against(records, reference, split, key, values, reference_values)
            out.append(Standing(name, float(reference_values.mean()), comparison, float(values.mean() - reference_values.mean())))
    delta = metric_values(records, split, "delta") if spec.kind == "rl" and metric in ("score", "delta") else None
    if delta is not None:
        start = 0.0 if metric == "delta" else float((metric_values(records, split, "score") - delta).mean())
        comparison = compare_gap(*stratified_bootstrap_ci(delta), len(delta))
        out.append(Standing(START_BOARD, start, comparison, float(delta.mean())))
    return out


START_BOARD = "start board (no edit)"
"""The reference of an agent that changes nothing: its delta is 0 and its score the start's."""


@dataclass(frozen=True)
class Claim:
    """One claim of the source beside what was measured: the judgement is data, the other
    fields are the page's text."""

    row: str
    metric: str
    claimed: str
    measured: str
    judgement: Judgement
    versus: str = ""


def claim_rows(spec: TableSpec, column: Column, cells: Cells) -> list[Claim]:
    """Each claim of the source in ``column``: the claimed and measured values, the judgement
    and (for measured quantities) the measured values against the trivial references of the
    same setting."""
    out = []
    for row in spec.rows:
        key = (row.id, column.id)
        if key not in cells:
            continue
        records = cells[key]
        claim = row.claimed.get(column.id) or {}
        for metric, claimed in sorted(claim.items()):
            if metric in CLAIM_SETTINGS:
                continue
            split = claim.get("split", column.claim_split if spec.kind == "rl" else "test")
            values = metric_values(records, split, metric)
            is_count = metric in TOP_LEVEL
            bounds = None if values is None or is_count else interval(records, split, metric, values)
            if values is None:
                judgement = Judgement(Verdict.INCONCLUSIVE, cells.absent(key))
            elif metric in claim.get(UNJUDGED, {}):
                judgement = Judgement(Verdict.INCONCLUSIVE, f"not testable here: {claim[UNJUDGED][metric]}")
            elif is_count:
                judgement = judge_count(claimed, values, claim.get("approx", False))
            else:
                episodes = claim.get("n") if metric in EPISODE_METRICS else None  # n counts episodes, not scores
                judgement = judge_claim(claimed, values, claim.get("approx", False), episodes, bounds)
            versus = ""
            if not is_count and spec.kind != "drift" and values is not None:
                versus = versus_references(_standings(spec, column, row, cells, metric, split, values))
            out.append(
                Claim(
                    row=row.label,
                    metric=metric if is_count or spec.kind == "drift" else f"{metric} ({split})",
                    claimed=f"{'~' if claim.get('approx') else ''}{number(claimed)}",
                    measured=count(values, cells.absent(key)) if is_count else summary_cell(values, cells.absent(key), bounds),
                    judgement=judgement,
                    versus=versus,
                )
            )
    return out


def claims_table(spec: TableSpec, column: Column, cells: Cells) -> list[str]:
    """The markdown of :func:`claim_rows` (nothing when the column has no claim)."""
    claims = claim_rows(spec, column, cells)
    if not claims:
        return []
    headers = ["row", "metric", "claimed", "measured", "verdict", "measured vs the references"]
    rows = [[c.row, c.metric, c.claimed, c.measured, str(c.judgement), c.versus] for c in claims]
    return ["", "Claimed by the source, beside what was measured here:", "", *table(headers, rows)]


def drift_section(spec: TableSpec, column: Column, cells: Cells, heading: str) -> list[str]:
    """Depth-drift probe of each row at each probed depth, and the ratio of the first row's
    drift to the second's (the contraction's gain)."""
    rows = []
    for row in spec.rows:
        records = cells[(row.id, column.id)]
        for depth in row.probe_depths:
            absent = cells.absent((row.id, column.id))
            rows.append([row.label, depth, *(summary_cell(metric_values(records, "", f"{m}@{depth}"), absent) for m in spec.metrics)])
    lines = [heading, "", *table(["row", "depth", *spec.metrics], rows)]
    if len(spec.rows) == 2:
        lines += gain_lines(spec, column, cells)
    lines += claims_table(spec, column, cells)
    seeds_rows = []
    for row in spec.rows:
        for record in cells[(row.id, column.id)]:
            for point in (record or {}).get("drift") or []:
                values = [point.get(m) for m in spec.metrics]
                seeds_rows.append(
                    [row.label, str(record["spec"]["seed"]), str(point["depth"])]
                    + [MISSING if v is None else number(v) for v in values]
                )
    return lines + folded_seeds(["row", "seed", "depth", *spec.metrics], seeds_rows) + [""]


def folded_seeds(head: list[str], rows: list[list[str]]) -> list[str]:
    """Per-seed values in a folded ``<details>`` section (nothing without rows)."""
    if not rows:
        return []
    return ["", "<details><summary>Per-seed values</summary>", "", *table(head, rows), "", "</details>"]


@dataclass(frozen=True)
class Gain:
    """A drift ratio (first row over second) at one metric, with its claim if any."""

    metric: str
    claimed: float | None
    measured: str
    judgement: Judgement | None
    bounds: tuple[float, float] | None = None
    """The ratio's 95% interval (None: missing)."""
    seeds: int = 0
    joint: tuple[float, float] | None = None
    """The ratio's interval at 1 - 0.05 / k when it is one of k ratios judged together
    (Bonferroni; None: judged alone, ``bounds``)."""


def gains(spec: TableSpec, column: Column, cells: Cells, metrics: list[str], family: int = 1) -> list[Gain]:
    """The drift ratio of the first row over the second for each of ``metrics``
    (``delta_v@16``), with a 95% bootstrap interval and, where the source claims one, a
    judgement: holds when the claim lies in the interval. ``family``: how many ratios are
    judged together (each gets its :attr:`Gain.joint` interval when more than one)."""
    claims = spec.gains.get(column.id, {})
    if not metrics:
        return []
    first, second = spec.rows
    out = []
    for metric in metrics:
        claimed = claims.get(metric)
        a = metric_values(cells[(first.id, column.id)], "", metric)
        b = metric_values(cells[(second.id, column.id)], "", metric)
        if a is None or b is None:
            absent = cells.absent((first.id if a is None else second.id, column.id))
            judgement = None if claimed is None else Judgement(Verdict.INCONCLUSIVE, absent)
            out.append(Gain(metric, claimed, absent, judgement))
            continue
        point, low, high = ratio_interval(a, b)
        joint = ratio_interval(a, b, confidence=1 - 0.05 / family)[1:] if family > 1 else None
        seeds = min(len(a), len(b))
        judgement = None if claimed is None else judge_gain(claimed, point, low, high, seeds)
        out.append(Gain(metric, claimed, f"{point:.1f}x [{low:.1f}, {high:.1f}]", judgement, (low, high), seeds, joint))
    return out


def depth_gains(spec: TableSpec, column: Column, cells: Cells) -> list[tuple[int, list[Gain]]]:
    """The drift ratios of every drift metric at each probed depth of ``column``."""
    drifts = [m for m in spec.metrics if m.startswith("delta")]
    depths = spec.rows[0].probe_depths
    family = len(drifts) * len(depths)
    return [(depth, gains(spec, column, cells, [f"{m}@{depth}" for m in drifts], family)) for depth in depths]


def lowers_everywhere(measured: list[Gain]) -> Judgement:
    """Whether the second row lowers every drift at every depth (``measured``: the ratios first
    over second): holds when every ratio's 95% interval lies above 1 (an intersection-union
    test: "every ratio above 1" at 95% needs each ratio above 1 at 95%, no correction); does not
    hold when one ratio's joint interval (Bonferroni over the ratios, :attr:`Gain.joint`) lies
    below 1, since "some ratio rises" picks one of many; else inconclusive (a missing ratio, one
    seed, or an interval that reaches 1)."""
    missing = [g.metric for g in measured if g.bounds is None]
    if missing:
        return Judgement(Verdict.INCONCLUSIVE, f"{', '.join(missing)} not measured")
    if any(g.seeds < 2 for g in measured):
        return Judgement(Verdict.INCONCLUSIVE, "1 seed")
    below = [g.metric for g in measured if (g.joint or g.bounds)[1] < 1]
    if below:
        corrected = f", its interval corrected for the {len(measured)} ratios below 1" if len(measured) > 1 else ""
        return Judgement(Verdict.DOES_NOT_HOLD, f"the drift rises at {', '.join(below)}{corrected}")
    reaching = [g.metric for g in measured if g.bounds[0] <= 1]
    if reaching:
        return Judgement(Verdict.INCONCLUSIVE, f"the interval reaches 1 at {', '.join(reaching)}")
    return Judgement(Verdict.HOLDS, "every ratio's 95% interval lies above 1")


def gain_claims(spec: TableSpec, column: Column, cells: Cells) -> list[Gain]:
    """The source's claimed drift gains of ``column`` (see :func:`gains`)."""
    return gains(spec, column, cells, sorted(spec.gains.get(column.id, {})))


def everywhere_claim(spec: TableSpec, column: Column, cells: Cells) -> Judgement | None:
    """The source's claim that the second row lowers drift at every tested depth, judged where
    it claims gains (``spec.gains``: the column its numbers are set beside); None elsewhere."""
    if column.id not in spec.gains:
        return None
    return lowers_everywhere([g for _, measured in depth_gains(spec, column, cells) for g in measured])


def gain_lines(spec: TableSpec, column: Column, cells: Cells) -> list[str]:
    """Drift of the first row over the second at each depth with a 95% bootstrap interval of
    the ratio, whether it exceeds 1 at every depth, and the source's claimed gains."""
    first, second = spec.rows
    drifts = [m for m in spec.metrics if m.startswith("delta")]
    by_depth = depth_gains(spec, column, cells)
    rows = [[depth, *(g.measured for g in measured)] for depth, measured in by_depth]
    lines = ["", f"Gain: drift of {first.label} / drift of {second.label} [95% bootstrap interval]:", ""]
    lines += table(["depth", *drifts], rows)
    claimed = everywhere_claim(spec, column, cells)
    if claimed:
        lines += ["", f"The source's claim that {second.label} lowers drift at every tested depth: **{claimed}**."]
    else:
        measured = lowers_everywhere([g for _, gs in by_depth for g in gs])
        answer = {Verdict.HOLDS: "yes", Verdict.DOES_NOT_HOLD: "no"}.get(measured.verdict, "cannot tell")
        lines += ["", f"{second.label} lowers every drift at every depth: **{answer}** ({measured.reason})."]
    claims = gain_claims(spec, column, cells)
    if claims:
        rows = [[c.metric, f"{c.claimed}x", c.measured, str(c.judgement)] for c in claims]
        lines += ["", *table(["claimed gain", "claimed", "measured [95% interval]", "verdict"], rows)]
    return lines


def judgements(spec: TableSpec, column: Column, cells: Cells) -> list[Judgement]:
    """Every judgement of ``column``: its claims, its claimed drift gains, and the claim that
    drift falls at every depth."""
    everywhere = everywhere_claim(spec, column, cells)
    return ([c.judgement for c in claim_rows(spec, column, cells)] + [g.judgement for g in gain_claims(spec, column, cells) if g.judgement]
            + ([everywhere] if everywhere else []))


def column_section(spec: TableSpec, column: Column, cells: Cells, profile: str) -> list[str]:
    """The heading (with the budget and seeds of ``profile``), the measured table, the claims
    table and the per-seed values of one column."""
    heading = f"## {column.label} ({spec.budget(column, profile)})"
    if column.source_budget is not None:
        heading += f"\n\nThe source's budget for this setting (its config, claimed): {column.source_budget.describe()}."
    if spec.kind == "drift":
        return drift_section(spec, column, cells, heading)
    pairs = _split_metrics(spec, column)
    counts = ["params", "actor_params"] if spec.kind == "rl" else ["params"]
    headers = ["row", *counts] + [f"{m} ({s})" if s != "test" else m for s, m in pairs]
    if spec.kind == "supervised":
        headers += [f"{TRIVIAL_PREDICTORS[k].split(' (')[0]} {m}" for k in TRIVIAL_PREDICTORS for m in spec.metrics]
    rows, seeds_rows = [], []
    for row in spec.rows:
        key = (row.id, column.id)
        if key not in cells:
            continue
        records, absent = cells[key], cells.absent(key)
        line = [row.label] + [count(metric_values(records, "", c), absent) for c in counts]
        line += [metric_cell(records, s, m, absent) for s, m in pairs]
        if spec.kind == "supervised":
            for predictor in TRIVIAL_PREDICTORS:
                for m in spec.metrics:
                    values = metric_values(records, "test", f"{predictor}_{m}")
                    line.append(absent if values is None else number(values.mean()))
        rows.append(line)
        for seed_record in records:
            if seed_record is not None:
                values = [seed_record["metrics"].get(s, {}).get(m) for s, m in pairs]
                seeds_rows.append(
                    [row.label, str(seed_record["spec"]["seed"])] + [MISSING if v is None else number(v) for v in values]
                )
    lines = [heading, "", *table(headers, rows)]
    lines += claims_table(spec, column, cells)
    lines += head_to_head_table(spec, column, cells)
    lines += folded_seeds(["row", "seed"] + [f"{m} ({s})" for s, m in pairs], seeds_rows)
    return lines + [""]


def provenance(spec: TableSpec, profile: str, cells: Cells) -> list[str]:
    """Spec file, commit, code versions, packages, machine and compute time of the records shown."""
    records = [r for rs in cells.values() for r in rs if r is not None]
    total = sum(r.get("train_time_s", 0.0) + r.get("eval_time_s", 0.0) for r in records)
    try:
        git = ["git", "-C", str(REPO_ROOT)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        code_dirs = ["bench", "envs", "agents", "sweeps"]
        dirty = subprocess.run([*git, "status", "--porcelain", "--", *code_dirs], capture_output=True, text=True, check=True).stdout
        commit += " (with uncommitted changes)" if dirty.strip() else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    source = spec.path.resolve() if spec.path else None
    where = f"`{source.relative_to(REPO_ROOT)}`" if source and source.is_relative_to(REPO_ROOT) else f"`{source}`"
    lines = ["## Provenance", "", f"- spec: {where}; profile `{profile}`, seeds {spec.seeds(profile)}"]
    lines.append(
        f"- runs: {cells.count('fresh')} with current records, {cells.count('stale')} stale, {cells.count('missing')} missing; "
        f"compute {total:.0f} s (training + evaluation, summed over runs)"
    )
    lines.append(f"- report written at commit `{commit}`")
    for component in COMPONENT_NAMES:
        found = sorted({r["components"][component] for r in records if component in r.get("components", {})})
        if found:
            lines.append(f"- {COMPONENT_NAMES[component]} versions of the records: {', '.join(found)}")
    if records:
        versions = records[0]["versions"]
        lines.append("- packages: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
        machines = sorted({f"{r['machine']['platform']}, {r['machine']['cpus']} CPUs, CPU capability {r['machine'].get('cpu_capability', 'unrecorded')}" for r in records})
        lines.append(f"- machine: {'; '.join(machines)}; {records[0]['machine']['torch_threads']} torch thread(s) per run")
    return lines


def figure(spec: TableSpec, column: Column, cells: Cells, figures: Path | None) -> list[str]:
    """Draw the column's figure into ``figures`` (learning curves, or drift against depth) and
    return the markdown that shows it (nothing when there is no folder or nothing to draw)."""
    if figures is None:
        return []
    from bench import plots

    rows = [(r.label, cells[(r.id, column.id)]) for r in spec.rows if (r.id, column.id) in cells]
    path = figures / f"{spec.name}-{column.id}.png"
    if spec.kind == "supervised":
        names = {key: name.split(" (")[0] for key, name in TRIVIAL_PREDICTORS.items()}
        drawn = plots.accuracy_bars(rows, list(spec.metrics), names, column.label, path)
    elif spec.kind == "drift":
        drawn = plots.drift_curves(rows, column.label, path)
    else:
        drawn = plots.learning_curves(rows, spec.metrics[0], column.label, path)
    return [f"![{column.id}]({figures.name}/{path.name})", ""] if drawn else []


def curves_section(spec: TableSpec, cells: Cells, profile: str, figures: Path | None) -> list[str]:
    """The budget curves of ``spec`` (figures drawn into ``figures``) and, per curve, the budget
    at which each row reaches ``ours``' result at the reference budget."""
    if spec.curves is None:
        return []
    from bench import plots

    reach = budget_reach(spec, cells, profile)
    lines = [
        "## Budget curves", "",
        "Each row trained at each budget (its own runs, not checkpoints of one run), on the claim split of "
        "its column. A row reaches the level when its interval over seeds at that budget does not lie "
        "below the mean of the reference row at the reference budget.", "",
    ]
    ours = next(r for r in spec.rows if r.id == spec.curves.ours)
    for index, curve in enumerate(spec.curves.curves):
        lines += [f"### {curve.name}", ""]
        budgets = curve_columns(spec, curve, profile)
        for metric in spec.curves.metrics:
            points = [
                {"row": row.label, "transitions": steps, metric: record["metrics"][column.claim_split][metric]}
                for row in spec.rows for steps, column in budgets
                for record in cells.get((row.id, column.id)) or [] if record is not None and column.claim_split in record["metrics"]
            ]
            levels = [(f"{ours.label} at {r.target_budget:,}", r.target) for r in reach if r.curve == curve.name and r.metric.startswith(f"{metric} ")][:1]
            path = None if figures is None else figures / f"{spec.name}-curve{index}-{metric}.png"
            if path is not None and plots.budget_curves(points, metric, levels, f"{curve.name}: {metric}", path):
                lines += [f"![{curve.name} {metric}]({figures.name}/{path.name})", ""]
        rows = [
            [r.row, r.metric, f"{number(r.target)} at {r.target_budget:,}",
             f"{r.reached_at:,} ({number(r.value_there)})" if r.reached_at is not None
             else "one seed: no interval" if r.one_seed else f"not within {r.largest_budget:,}"]
            for r in reach if r.curve == curve.name
        ]
        if rows:
            lines += table(["row", "metric", f"{ours.label}", "reached at (its value there)"], rows) + [""]
    return lines


def _quoted(labels: Iterable[str]) -> str:
    """Labels in double quotes, comma-separated."""
    return ", ".join(f'"{label}"' for label in labels)


def not_run_here(spec: TableSpec, profile: str) -> list[str]:
    """A line naming the columns and rows of ``spec`` (which its note may describe) that
    ``profile`` does not run, and the profiles that do; nothing when it runs them all."""
    run = spec.cells(profile)
    columns = [c for c in spec.columns if all(c.id != col.id for _, col in run)]
    rows = [r for r in spec.rows if all(r.id != row.id for row, _ in run)]
    if not columns and not rows:
        return []
    missing = {(r.id, c.id) for r, c in spec.cells() if (r, c) not in run}
    others = [p for p in spec.profiles if p not in (profile, "quick") and any((r.id, c.id) in missing for r, c in spec.cells(p))]
    named = [f"the columns {_quoted(c.label for c in columns)}" if columns else "",
             f"the rows {_quoted(r.label for r in rows)}" if rows else ""]
    where = f"; the `{'` / `'.join(others)}` profile runs them" if others else ""
    return [f"Not run under the `{profile}` profile, so not on this page: {' and '.join(n for n in named if n)}{where}.", ""]


def render(spec: TableSpec, profile: str, cells: Cells, figures: Path | None = None) -> str:
    """The markdown page of ``spec`` under ``profile`` from its records ``cells``
    (:func:`collect`); with ``figures`` (a folder beside the page) its plots are drawn there and
    shown."""
    lines = [f"# {spec.title}", "", f"Source of the claims: {spec.source}.", "", spec.note, ""]
    lines += not_run_here(spec, profile)
    lines.append(
        "Measured values are mean +- std over seeds (population std) [95% interval: for a success rate, the "
        "hull of the Wilson interval of all seeds' episodes pooled (a greedy evaluation counting each distinct "
        "puzzle once) and the stratified bootstrap over seeds; for other metrics, the stratified bootstrap over "
        "seeds, which with 3 seeds is the range of the seeds and covers less than 95%; from 5 seeds on, the IQM "
        "and its bootstrap over seeds too]. Each measured value stands beside the references of its setting, "
        "compared by the interval of their difference (both sides' noise counted). A cell whose records were "
        "computed by code that has changed since shows as stale, naming what changed."
    )
    lines.append("")
    for column in spec.columns:
        if not any(key[1] == column.id for key in cells):
            continue  # not run under this profile
        section = column_section(spec, column, cells, profile)
        lines += section[:1] + [""] + figure(spec, column, cells, figures) + section[2:]
    lines += factors_section(spec, cells)
    lines += curves_section(spec, cells, profile, figures)
    return "\n".join(lines + provenance(spec, profile, cells)) + "\n"
