"""``bench tune``: Optuna studies over the SB3 baselines, resumable, on any Optuna storage.

Objective: mean success on the *validation* split (never the test split) after a budget of env
transitions, with the checker score as a tie-breaker; intermediate evaluations at fixed budget
fractions feed a median pruner. TPE sampler with random startup trials, fixed seeds per trial.
The default storage is SQLite under ``sweeps/``; any RDB URL (e.g. PostgreSQL) lets many
workers on many machines share one study.
"""

from __future__ import annotations

import datetime
import multiprocessing as mp
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import yaml

from agents.registry import make_agent
from bench.runner import RunSpec, evaluate
from envs import facts
from sweeps.hyperparams import tuned_path
from sweeps.spaces import SAMPLERS, space_version

SWEEPS_DIR = Path(__file__).parent
EVAL_FRACTIONS = (0.25, 0.5, 0.75)
"""Budget fractions of the intermediate (prunable) evaluations."""
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)


class TuneError(Exception):
    """A user-facing tuning problem (bad storage, mismatched study)."""


@dataclass(frozen=True)
class TuneSpec:
    """One study: an algorithm on an env, its budget, and where the study lives."""

    algo: str
    env_id: str
    trials: int
    steps: int
    seed: int = 0
    episodes: int = 50
    storage: str | None = None
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def study_name(self) -> str:
        """``<algo>__<env id with / as ->`` (plus env kwargs)."""
        extra = "".join(f"__{k}={v}" for k, v in sorted(self.env_kwargs.items()))
        return f"{self.algo}__{self.env_id.replace('/', '-')}{extra}"

    @property
    def storage_url(self) -> str:
        """The storage URL (default: SQLite file under ``sweeps/``)."""
        return self.storage or f"sqlite:///{SWEEPS_DIR / 'studies.db'}"


def validation_value(success: float, score: float, c_max: float) -> float:
    """Objective: success, ties broken by the checker score in units of the env's C_max
    (``envs.facts(env_id).max_score``; too small to outweigh one episode)."""
    return success + 1e-4 * score / c_max


def objective(trial: optuna.Trial, spec: TuneSpec) -> float:
    """Train one sampled configuration and return its validation value (prunable)."""
    try:
        kwargs = SAMPLERS[spec.algo](trial)
        trial.set_user_attr("kwargs", kwargs)
        agent = make_agent(spec.algo, **kwargs)  # the sampled kwargs are the whole config (no tuned file)
        run = RunSpec(spec.algo, spec.env_id, spec.steps, spec.seed, spec.env_kwargs, episodes=spec.episodes)
        c_max = facts(spec.env_id).max_score
        marks = [int(f * spec.steps) for f in EVAL_FRACTIONS]

        def on_progress(steps_done: int) -> None:
            while marks and steps_done >= marks[0]:
                result = evaluate(agent, run, "val")
                trial.report(validation_value(result.success, result.mean_score, c_max), marks.pop(0))
                if trial.should_prune():
                    raise optuna.TrialPruned()

        agent.learn(spec.env_id, spec.env_kwargs, spec.steps, spec.seed, on_progress)
        result = evaluate(agent, run, "val")
        trial.set_user_attr("success", result.success)
        trial.set_user_attr("score", result.mean_score)
        return validation_value(result.success, result.mean_score, c_max)
    except optuna.TrialPruned:
        raise
    except Exception as err:  # the trial fails with its reason; the study goes on
        trial.set_user_attr("fail_reason", f"{type(err).__name__}: {err}")
        raise


def open_study(spec: TuneSpec, worker: int = 0) -> optuna.Study:
    """Create or resume the study; refuse one made with another search space or budget.

    Each worker's sampler gets its own seed, so parallel workers do not propose the same trials.
    """
    try:
        study = optuna.create_study(
            study_name=spec.study_name,
            storage=spec.storage_url,
            load_if_exists=True,
            direction="maximize",
            sampler=optuna.samplers.TPESampler(n_startup_trials=5, seed=spec.seed * 1000 + worker),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
        )
    except Exception as err:
        raise TuneError(f"cannot open Optuna storage {spec.storage_url!r}: {type(err).__name__}: {err}") from err
    attrs = study.user_attrs
    expected = {"space_version": space_version(spec.algo), "steps": spec.steps, "episodes": spec.episodes, "seed": spec.seed}
    for key, value in expected.items():
        if key not in attrs:
            study.set_user_attr(key, value)
        elif attrs[key] != value:
            what = "another search space" if key == "space_version" else f"{key}={attrs[key]!r}"
            raise TuneError(
                f"study {spec.study_name!r} was created with {what} (now {value!r}); "
                "use another --storage or delete the study"
            )
    return study


def finished(study: optuna.Study) -> int:
    """Trials that are complete, pruned or failed."""
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def run_worker(spec: TuneSpec, worker: int = 0) -> None:
    """Run trials of the study in this process until it has ``spec.trials`` finished ones."""
    import torch

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(spec, worker)
    stop = optuna.study.MaxTrialsCallback(spec.trials, states=FINISHED)
    study.optimize(lambda t: objective(t, spec), callbacks=[stop], catch=(Exception,))


def tune(spec: TuneSpec, jobs: int = 1, progress: bool = True) -> optuna.Study:
    """Run the study until ``spec.trials`` trials have finished (resuming a started study),
    with ``jobs`` worker processes sharing its storage. Each worker checks the count after its
    trial, so parallel workers may finish up to ``jobs - 1`` trials beyond ``spec.trials``."""
    from tqdm.auto import tqdm

    study = open_study(spec)
    bar = tqdm(total=spec.trials, initial=finished(study), desc=spec.study_name, disable=None if progress else True)
    ctx = mp.get_context("spawn")
    offset = len(study.trials)  # a resumed study gets fresh sampler seeds
    workers = [ctx.Process(target=run_worker, args=(spec, offset + i)) for i in range(max(1, jobs))]
    for w in workers:
        w.start()
    try:
        while any(w.is_alive() for w in workers):
            time.sleep(0.5)
            done = finished(study)
            bar.update(done - bar.n)
            if any(t.state == optuna.trial.TrialState.COMPLETE for t in study.get_trials(deepcopy=False)):
                bar.set_postfix(best=f"{study.best_value:.3f}")
    except BaseException:
        for w in workers:
            w.terminate()
        raise
    finally:
        for w in workers:
            w.join()
        bar.close()
    if any(w.exitcode not in (0, None) for w in workers):
        raise TuneError(f"a tuning worker exited with status {[w.exitcode for w in workers]}")
    return study


def write_tuned(study: optuna.Study, spec: TuneSpec, root: Path | None = None) -> Path:
    """Write the best trial's SB3 kwargs to ``sweeps/tuned/<env>/<algo>.yaml`` with provenance."""
    best = study.best_trial
    path = tuned_path(spec.env_id, spec.algo, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "study": spec.study_name,
        "n_trials": finished(study),
        "best_value": float(best.value),
        "best_trial": best.number,
        "steps": spec.steps,
        "date": datetime.date.today().isoformat(),
        "params": best.user_attrs["kwargs"],
    }
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(f"# Tuned by `bench tune` (study {spec.study_name})\n" + yaml.safe_dump(payload, sort_keys=False))
    tmp.replace(path)
    return path


def tuning_report(specs: list[TuneSpec]) -> str:
    """Markdown summary of the studies: best value, trials, best params, fANOVA importances."""
    lines = ["# Tuning", "", "Generated by `bench tune --report` from the Optuna studies; never edited by hand.", ""]
    for spec in specs:
        try:
            study = optuna.load_study(study_name=spec.study_name, storage=spec.storage_url)
        except KeyError:
            lines += [f"## {spec.algo} on {spec.env_id}", "", "missing: no such study", ""]
            continue
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        lines += [f"## {spec.algo} on {spec.env_id}", ""]
        if not complete:
            lines += ["missing: no complete trial", ""]
            continue
        best = study.best_trial
        lines += [
            f"- study `{spec.study_name}`, {finished(study)} finished trials ({len(complete)} complete), "
            f"{study.user_attrs.get('steps')} transitions per trial",
            f"- best value {best.value:.4f} (validation success {best.user_attrs.get('success', float('nan')):.3f}, "
            f"score {best.user_attrs.get('score', float('nan')):.2f}), trial {best.number}",
            f"- best params: `{best.user_attrs.get('kwargs')}`",
        ]
        try:
            importance = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)
            )
            lines.append("- fANOVA importance: " + ", ".join(f"{k} {v:.2f}" for k, v in importance.items()))
        except (RuntimeError, ValueError) as err:  # too few trials, or all scored alike
            lines.append(f"- fANOVA importance: undefined ({err})")
        lines.append("")
    return "\n".join(lines)
