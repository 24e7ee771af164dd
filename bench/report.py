"""One markdown page per table, from run records only (DESIGN section 6).

Every measured cell is mean +- std over seeds with a 95% stratified bootstrap interval; each
claim of the source stands beside the measured value with a verdict from that interval, and
beside the trivial reference measured in the same setting, so a reader sees when a claimed number
cannot be told apart from doing nothing. A run without a record shows as "missing", never as 0.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from bench.runner import REPO_ROOT
from bench.stats import iqm, ratio_interval, stratified_bootstrap_ci, wilson_interval
from bench.store import ResultStore
from bench.tables import Column, Row, TableSpec

MISSING = "missing"
TOP_LEVEL = ("params", "actor_params")
"""Metrics a record holds at its top level (parameter counts), not per split."""
TRIVIAL_PREDICTORS = {"zero": "all-zero predictor", "const": "constant predictor (the most frequent training target)"}
"""Trivial references stored in every supervised record (see agents.supervised.train)."""
RELATIVE_TOLERANCE = 0.10
"""A parameter count marked ``approx`` (the source wrote "~") holds within this relative distance."""
APPROX_TOLERANCE = 0.01
"""A measured claim marked ``approx`` allows this relative distance ("~100%": 99% to 101%)."""


Cells = dict[tuple[str, str], list[dict[str, Any] | None]]
"""The records of a table: (row id, column id) -> one record per seed (None where missing)."""


def collect(spec: TableSpec, profile: str, store: ResultStore) -> Cells:
    """Records of every cell, one per seed of ``profile`` (None where a run has no record)."""
    out = {}
    for row, column in spec.cells():
        out[(row.id, column.id)] = [store.get(spec.run_spec(row, column, s, profile).key()) for s in spec.seeds(profile)]
    return out


def metric_values(records: list[dict[str, Any] | None], split: str, metric: str) -> np.ndarray | None:
    """Per-seed values of ``split/metric``, or None if any is missing. ``params`` is top level;
    ``<name>@<depth>`` reads the depth-drift probe (``delta_v@16``)."""
    if not records or any(r is None for r in records):
        return None
    if metric in TOP_LEVEL:
        if any(metric not in r for r in records):
            return None
        return np.array([r[metric] for r in records], dtype=float)
    if "@" in metric:
        name, depth = metric.split("@")
        points = [{p["depth"]: p for p in r.get("drift") or []}.get(int(depth)) for r in records]
        if any(p is None or name not in p for p in points):
            return None
        return np.array([p[name] for p in points], dtype=float)
    if any(split not in r["metrics"] or metric not in r["metrics"][split] for r in records):
        return None
    return np.array([r["metrics"][split][metric] for r in records], dtype=float)


def fmt(value: float) -> str:
    """A number as a table shows it: large integers with separators, small values with three
    significant digits, else three decimals."""
    if float(value).is_integer() and abs(value) >= 100:
        return f"{int(value):,}"
    if 0 < abs(value) < 0.01:
        return f"{value:.3g}"
    return f"{value:.3f}"


def count(values: np.ndarray | None) -> str:
    """A per-seed count (parameters) as one integer, or ``missing``."""
    return MISSING if values is None else f"{int(values.mean()):,}"


IQM_MIN_SEEDS = 5
"""From this many seeds on, the interquartile mean is shown too (rliable's recommendation)."""


def summary_cell(values: np.ndarray | None) -> str:
    """``mean +- std [low, high]`` (95% bootstrap over seeds; with at least
    :data:`IQM_MIN_SEEDS` seeds also the IQM and its interval), or ``missing``."""
    if values is None:
        return MISSING
    low, high = stratified_bootstrap_ci(values)
    cell = f"{fmt(values.mean())} +- {fmt(values.std(ddof=0))} [{fmt(low)}, {fmt(high)}]"
    if len(values) >= IQM_MIN_SEEDS:
        iqm_low, iqm_high = stratified_bootstrap_ci(values, iqm)
        cell += f"; IQM {fmt(iqm(values))} [{fmt(iqm_low)}, {fmt(iqm_high)}]"
    return cell


def claim_band(claimed: float, n: int | None, approx: bool) -> tuple[float, float]:
    """The values the claim allows: its 95% Wilson interval when the source says how many
    episodes it rests on (``n``), +-1% when it wrote "~", else the point itself."""
    if n:
        return wilson_interval(round(claimed * n), n)
    if approx:
        return claimed - APPROX_TOLERANCE * abs(claimed), claimed + APPROX_TOLERANCE * abs(claimed)
    return claimed, claimed


def verdict(claimed: float, values: np.ndarray | None, approx: bool, exact: bool = False, n: int | None = None) -> str:
    """``holds`` / ``does not hold`` / ``inconclusive`` for one claim against per-seed values.

    Exact quantities (parameter counts) must match (within 10% if the source wrote "~").
    Measured ones are judged by comparing the 95% interval over seeds with the claim's band
    (:func:`claim_band`): no overlap -> does not hold; the measured mean inside the band, or a
    point claim inside the interval -> holds; otherwise (the interval straddles the band's edge)
    inconclusive. One seed is always inconclusive unless it misses the band.
    """
    if values is None:
        return f"inconclusive ({MISSING})"
    measured = float(values.mean())
    if exact:
        ok = abs(measured - claimed) <= (RELATIVE_TOLERANCE * abs(claimed) if approx else 0)
        return "holds" if ok else f"does not hold ({fmt(measured)} as built)"
    band_low, band_high = claim_band(claimed, n, approx)
    low, high = stratified_bootstrap_ci(values)
    if high < band_low or low > band_high:
        return f"does not hold (measured {'higher' if measured > claimed else 'lower'})"
    if len(values) < 2:
        return "inconclusive (1 seed)"
    if band_low <= measured <= band_high or (band_low == band_high and low <= claimed <= high):
        return "holds"
    return "inconclusive (the interval straddles the claim's range)"


def trivial_note(claimed: float, n: int | None, trivial: dict[str, float]) -> str:
    """Whether a claimed value can be told apart from the trivial references' values.

    With ``n`` (the episodes behind the claim), the claim's 95% Wilson interval is used;
    otherwise a trivial reference within 0.005 of the claim (or above it) is indistinguishable.
    """
    notes = []
    for name, value in trivial.items():
        if n:
            low, high = claim_band(claimed, n, False)
            interval = f"the claim's 95% interval over its {n} episodes is [{fmt(low)}, {fmt(high)}]"
            if value > high:
                notes.append(f"**below** the {name} ({fmt(value)}; {interval})")
            elif value >= low:
                notes.append(f"**cannot be told apart** from the {name} ({fmt(value)}; {interval})")
        elif value >= claimed - 0.005:
            notes.append(f"**cannot be told apart** from the {name} ({fmt(value)}, as high as the claim)")
    return "; ".join(notes) or "above the trivial references"


def _split_metrics(spec: TableSpec, column: Column) -> list[tuple[str, str]]:
    if spec.kind == "supervised":
        return [("test", m) for m in spec.metrics]
    splits = list(column.splits) + [f"{s}-sampled" for s in column.splits if column.sampled_eval]
    return [(split, m) for m in spec.metrics for split in splits]


def _trivial_values(spec: TableSpec, column: Column, row: Row, cells: dict, metric: str, split: str) -> dict[str, float]:
    """Mean values of the trivial references of ``column``: the trivial predictors stored in the
    row's own records (supervised), or the rows marked ``trivial`` (RL)."""
    if spec.kind == "supervised":
        sources = [(name, cells[(row.id, column.id)], f"{key}_{metric}") for key, name in TRIVIAL_PREDICTORS.items()]
    else:
        sources = [(o.label.lower(), cells[(o.id, column.id)], metric) for o in spec.rows if o.trivial and (o.id, column.id) in cells]
    out = {}
    for name, records, key in sources:
        values = metric_values(records, split, key)
        if values is not None:
            out[name] = float(values.mean())
    return out


def claim_rows(spec: TableSpec, column: Column, cells: dict) -> list[dict[str, str]]:
    """Each claim of the source in ``column``: the claimed and measured values, the verdict and
    (for measured quantities) the comparison with the trivial references of the same setting."""
    out = []
    for row in spec.rows:
        if (row.id, column.id) not in cells:
            continue
        records = cells[(row.id, column.id)]
        claim = row.claimed.get(column.id) or {}
        for metric, claimed in sorted(claim.items()):
            if metric in ("n", "approx", "split"):
                continue
            split = claim.get("split", column.claim_split if spec.kind == "rl" else "test")
            values = metric_values(records, split, metric)
            is_params = metric in TOP_LEVEL
            trivial = ""
            if not is_params and spec.kind != "drift":
                trivial = trivial_note(claimed, claim.get("n"), _trivial_values(spec, column, row, cells, metric, split))
            out.append(
                {
                    "row": row.label,
                    "metric": metric if is_params or spec.kind == "drift" else f"{metric} ({split})",
                    "claimed": f"{'~' if claim.get('approx') else ''}{fmt(claimed)}",
                    "measured": count(values) if is_params else summary_cell(values),
                    "verdict": verdict(claimed, values, claim.get("approx", False), is_params, claim.get("n")),
                    "trivial": trivial,
                }
            )
    return out


def claims_table(spec: TableSpec, column: Column, cells: dict) -> list[str]:
    """The markdown of :func:`claim_rows` (nothing when the column has no claim)."""
    claims = claim_rows(spec, column, cells)
    if not claims:
        return []
    lines = ["", "Claimed by the source, beside what was measured here:", ""]
    lines += ["| row | metric | claimed | measured | verdict | vs the trivial reference |", "|---|---|---|---|---|---|"]
    keys = ("row", "metric", "claimed", "measured", "verdict", "trivial")
    return lines + ["| " + " | ".join(c[k] for k in keys) + " |" for c in claims]


def drift_section(spec: TableSpec, column: Column, cells: dict) -> list[str]:
    """Depth-drift probe of each row at each probed depth, and the ratio of the first row's
    drift to the second's (the contraction's gain)."""
    lines = [f"## {column.label}", "", "| row | depth | " + " | ".join(spec.metrics) + " |", "|" + "---|" * (2 + len(spec.metrics))]
    for row in spec.rows:
        records = cells[(row.id, column.id)]
        for depth in row.probe_depths:
            cells_out = [summary_cell(metric_values(records, "", f"{m}@{depth}")) for m in spec.metrics]
            lines.append("| " + " | ".join([row.label, str(depth), *cells_out]) + " |")
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
                    + [MISSING if v is None else fmt(v) for v in values]
                )
    return lines + folded_seeds(["row", "seed", "depth", *spec.metrics], seeds_rows) + [""]


def folded_seeds(head: list[str], rows: list[list[str]]) -> list[str]:
    """Per-seed values in a folded ``<details>`` section (nothing without rows)."""
    if not rows:
        return []
    lines = ["", "<details><summary>Per-seed values</summary>", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows] + ["", "</details>"]


def gain_lines(spec: TableSpec, column: Column, cells: dict) -> list[str]:
    """Drift of the first row over the second at each depth with a 95% bootstrap interval of
    the ratio, whether it exceeds 1 at every depth, and the source's claimed gains."""
    first, second = spec.rows
    drifts = [m for m in spec.metrics if m.startswith("delta")]
    lines = ["", f"Gain: drift of {first.label} / drift of {second.label} [95% bootstrap interval]:", ""]
    lines += ["| depth | " + " | ".join(drifts) + " |", "|" + "---|" * (1 + len(drifts))]
    lower_everywhere: bool | None = True
    for depth in first.probe_depths:
        cells_out = []
        for metric in drifts:
            a = metric_values(cells[(first.id, column.id)], "", f"{metric}@{depth}")
            b = metric_values(cells[(second.id, column.id)], "", f"{metric}@{depth}")
            if a is None or b is None:
                cells_out.append(MISSING)
                lower_everywhere = None
                continue
            point, low, high = ratio_interval(a, b)
            if lower_everywhere is not None:
                lower_everywhere &= point > 1
            cells_out.append(f"{point:.1f}x [{low:.1f}, {high:.1f}]")
        lines.append(f"| {depth} | " + " | ".join(cells_out) + " |")
    answer = MISSING if lower_everywhere is None else "yes" if lower_everywhere else "no"
    lines += ["", f"{second.label} lowers every drift at every depth: **{answer}**."]
    claims = gain_claims(spec, column, cells)
    if claims:
        lines += ["", "| claimed gain | claimed | measured [95% interval] | verdict |", "|---|---|---|---|"]
        lines += [f"| {c['metric']} | {c['claimed']}x | {c['measured']} | {c['verdict']} |" for c in claims]
    return lines


def gain_claims(spec: TableSpec, column: Column, cells: dict) -> list[dict[str, str]]:
    """The source's claimed drift gains of ``column`` (first row over second), each with the
    measured ratio, its 95% bootstrap interval and a verdict: holds when the claim lies in the
    interval."""
    claims = spec.gains.get(column.id, {})
    if not claims:
        return []
    first, second = spec.rows
    rows = []
    for metric, claimed in sorted(claims.items()):
        a = metric_values(cells[(first.id, column.id)], "", metric)
        b = metric_values(cells[(second.id, column.id)], "", metric)
        if a is None or b is None:
            rows.append({"metric": metric, "claimed": claimed, "measured": MISSING, "verdict": f"inconclusive ({MISSING})"})
            continue
        point, low, high = ratio_interval(a, b)
        if len(a) < 2:
            word = "inconclusive (1 seed)"
        elif low <= claimed <= high:
            word = "holds"
        else:
            word = f"does not hold (measured {'higher' if point > claimed else 'lower'})"
        rows.append({"metric": metric, "claimed": claimed, "measured": f"{point:.1f}x [{low:.1f}, {high:.1f}]", "verdict": word})
    return rows


def column_section(spec: TableSpec, column: Column, cells: dict) -> list[str]:
    """The measured table, the claims table and the per-seed values of one column."""
    if spec.kind == "drift":
        return drift_section(spec, column, cells)
    pairs = _split_metrics(spec, column)
    counts = ["params", "actor_params"] if spec.kind == "rl" else ["params"]
    headers = ["row", *counts] + [f"{m} ({s})" if s != "test" else m for s, m in pairs]
    if spec.kind == "supervised":
        headers += [f"{TRIVIAL_PREDICTORS[k].split(' (')[0]} {m}" for k in TRIVIAL_PREDICTORS for m in spec.metrics]
    lines = [f"## {column.label}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    seeds_rows = []
    for row in spec.rows:
        if (row.id, column.id) not in cells:
            continue
        records = cells[(row.id, column.id)]
        line = [row.label] + [count(metric_values(records, "", c)) for c in counts]
        line += [summary_cell(metric_values(records, s, m)) for s, m in pairs]
        if spec.kind == "supervised":
            for key in TRIVIAL_PREDICTORS:
                for m in spec.metrics:
                    values = metric_values(records, "test", f"{key}_{m}")
                    line.append(MISSING if values is None else fmt(values.mean()))
        lines.append("| " + " | ".join(line) + " |")
        for seed_record in records:
            if seed_record is not None:
                values = [seed_record["metrics"].get(s, {}).get(m) for s, m in pairs]
                seeds_rows.append(
                    [row.label, str(seed_record["spec"]["seed"])] + [MISSING if v is None else fmt(v) for v in values]
                )
    lines += claims_table(spec, column, cells)
    lines += folded_seeds(["row", "seed"] + [f"{m} ({s})" for s, m in pairs], seeds_rows)
    return lines + [""]


def provenance(spec: TableSpec, profile: str, cells: dict) -> list[str]:
    """Commit, code versions, packages, machine and compute time of the records shown."""
    records = [r for rs in cells.values() for r in rs if r is not None]
    total = sum(r.get("train_time_s", 0.0) + r.get("eval_time_s", 0.0) for r in records)
    missing = sum(r is None for rs in cells.values() for r in rs)
    try:
        git = ["git", "-C", str(REPO_ROOT)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        code_dirs = ["bench", "envs", "agents", "sweeps"]
        dirty = subprocess.run([*git, "status", "--porcelain", "--", *code_dirs], capture_output=True, text=True, check=True).stdout
        commit += " (with uncommitted changes)" if dirty.strip() else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    lines = ["## Provenance", "", f"- profile: `{profile}`, seeds {spec.seeds(profile)}, budgets as in `bench/specs/{spec.name}.yaml`"]
    lines.append(f"- runs: {len(records)} with records, {missing} missing; compute {total:.0f} s (training + evaluation, summed over runs)")
    lines.append(f"- report written at commit `{commit}`; records' code versions: {', '.join(sorted({r['code_version'] for r in records})) or '-'}")
    if records:
        versions = records[0]["versions"]
        lines.append("- packages: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
        machine = records[0]["machine"]
        lines.append(f"- machine: {machine['platform']}, {machine['cpus']} CPUs, {machine['torch_threads']} torch thread(s) per run")
    return lines


def figure(spec: TableSpec, column: Column, cells: dict, figures: Path | None) -> list[str]:
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


def render(spec: TableSpec, profile: str, store: ResultStore, figures: Path | None = None) -> str:
    """The markdown page of ``spec`` under ``profile`` from the records in ``store``; with
    ``figures`` (a folder beside the page) its plots are drawn there and shown."""
    cells = collect(spec, profile, store)
    lines = [f"# {spec.title}", "", f"Source of the claims: {spec.source}.", "", spec.note, ""]
    lines.append(
        "Measured values are mean +- std over seeds [95% stratified bootstrap interval over seeds; "
        "with 3 seeds it is close to the range of the seeds]."
    )
    lines.append("")
    for column in spec.columns:
        section = column_section(spec, column, cells)
        lines += section[:1] + [""] + figure(spec, column, cells, figures) + section[2:]
    return "\n".join(lines + provenance(spec, profile, cells)) + "\n"
