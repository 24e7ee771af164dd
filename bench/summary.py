"""Plain-text summary of run records (``bench run``'s output): mean +- std over seeds."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bench.markdown import table


def records_frame(records: list[dict[str, Any]], splits: list[str]) -> pd.DataFrame:
    """One row per record: agent, env, env kwargs, seed, params, and each split's metrics."""
    rows = []
    for r in records:
        spec = r["spec"]
        row = {
            "agent": spec["agent"],
            "env": spec["env_id"],
            "env_kwargs": " ".join(f"{k}={v}" for k, v in sorted(spec["env_kwargs"].items())) or "-",
            "seed": spec["seed"],
            "steps": r["steps_done"],
            "params": r["params"],
        }
        for split in splits:
            for metric in ("success", "score", "delta"):
                row[f"{split}/{metric}"] = r["metrics"][split][metric]
        rows.append(row)
    return pd.DataFrame(rows)


def summary_table(records: list[dict[str, Any]], splits: list[str]) -> str:
    """Markdown-style table: per (agent, env, kwargs), metrics as mean +- std over seeds."""
    return mean_std_table(records_frame(records, splits), ["agent", "env", "env_kwargs"])


def mean_std_table(frame: pd.DataFrame, group: list[str]) -> str:
    """Markdown-style table: one row per ``group`` value, its seed count and parameters, and
    every ``split/metric`` column of ``frame`` as mean +- std over the group's rows."""
    metrics = [c for c in frame.columns if "/" in c]
    rows = []
    for keys, part in frame.groupby(group, sort=False):
        cells = [str(k) for k in keys] + [str(len(part)), str(int(part["params"].iloc[0]))]
        rows.append(cells + [f"{part[m].mean():.3f} +- {part[m].std(ddof=0):.3f}" for m in metrics])
    return "\n".join(table(group + ["seeds", "params"] + metrics, rows))


def drift_table(records: list[dict[str, Any]]) -> str:
    """Depth-drift probe, mean over seeds per (agent, env, kwargs, agent config, depth); the
    argmax agreement pooled over the seeds' states (``agreement_count`` of ``states``), with its
    95% Wilson interval (records without counts: the mean, no interval)."""
    from bench.stats import wilson_interval

    rows = []
    for r in records:
        for point in r.get("drift") or []:
            config = " ".join(f"{k}={v}" for k, v in sorted(r["spec"]["agent_config"].items())) or "-"
            rows.append({"agent": r["spec"]["agent"], "env": r["spec"]["env_id"], "config": config, **point})
    if not rows:
        return "(no depth-drift probe in these records)"
    out = []
    for (agent, env, config, depth), part in pd.DataFrame(rows).groupby(["agent", "env", "config", "depth"], sort=False):
        row = part.mean(numeric_only=True)
        agreement = f"{row.agreement:.1%}"
        if {"agreement_count", "states"} <= set(part.columns) and part[["agreement_count", "states"]].notna().all(None):
            agreed, states = int(part["agreement_count"].sum()), int(part["states"].sum())
            low, high = wilson_interval(agreed, states)
            agreement = f"{agreed / states:.1%} [{low:.1%}, {high:.1%}] ({agreed}/{states})"
        out.append([agent, env, config, depth, f"{row.delta_v:.4f}", f"{row.delta_pi:.5f}", f"{row.delta_z:.4f}", agreement])
    headers = ["agent", "env", "config", "depth", "delta_v", "delta_pi", "delta_z", "argmax agreement [95% Wilson]"]
    return "\n".join(table(headers, out))


def supervised_table(records: list[dict[str, Any]]) -> str:
    """Markdown-style table of supervised records: per (model, size, data), params and test /
    train accuracies (model, all-zero, constant) as mean +- std over seeds."""
    rows = []
    for r in records:
        spec = r["spec"]
        row = {
            "model": spec["model"],
            "size": f"{spec['size']}x{spec['size']}",
            "data": "legacy" if spec["legacy"] else "corrected",
            "params": r["params"],
        }
        for split in ("test", "train"):
            for metric in ("per_cell_acc", "exact_acc", "zero_per_cell_acc", "zero_exact_acc", "const_exact_acc"):
                row[f"{split}/{metric}"] = r["metrics"][split][metric]
        rows.append(row)
    return mean_std_table(pd.DataFrame(rows), ["model", "size", "data"])
