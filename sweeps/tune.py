"""``bench tune``: one tuning protocol for every learned agent, UPI-TRM included (DESIGN section 4).

A study is keyed by (agent, env id, regime), the regime being the env kwargs ``masking`` and
``rules`` of a table column: ``<agent>__<env id, / as ->__<masking>-<rules>`` (``<agent>+trm``
when the SB3 agent's TRM backbone dims are tuned too). A maze has a masking and no rules: its
regime is the masking alone, ``<masking>`` in names, the env's default where not given
(:func:`sweeps.hyperparams.regime_of`). A setting (env id, regime, budget, trial count) is tuned
for a list of agents, each with the same number of finished trials; the budget is the table
column's own (``bench/specs/*.yaml``, profile ``full``).

Each trial trains the sampled configuration with ``seeds`` seeds (default 2: ``seed``,
``seed + 1``, ...) for ``steps`` env transitions and scores it on the **validation** split
(``episodes`` episodes per seed, never the test split). Its value is::

    value = mean over seeds of [ success + squash((score - floor) / (ceiling - floor)) / (2 * S * E) ]
    squash(x) = min(x, 1) at or above the floor (x >= 0), x / (1 - x) below it

with ``success`` the share of the seed's E episodes solved, ``score`` their mean final checker
score, S the seeds per trial, ``floor`` the mean final score of uniform-random legal play on the
whole validation split under the same masking and rules (:func:`random_floor`, measured once
per study, a study user attribute) and ``ceiling`` the env's best score, what the exact solver
reaches (:func:`best_score`). The score term lies in ``(-1 / (2 S E), 1 / (2 S E)]``, a range
narrower than what one more solved episode adds to the seed mean (``1 / (S E)``): one more solved
episode always outranks any score gain, and where nothing is solved (9x9) the score still ranks
the trials. Below the floor the term keeps ranking them too: an unmasked agent under the suite's
rules, which penalise illegal moves, ends below random legal play in every trial, and a term
clipped at the floor (:data:`CLIPPED_OBJECTIVE`, the formula before) left such a study no signal.
Intermediate values at 25/50/75% of each seed's budget (the mean over the seeds trained so far,
at the trial's cumulative transitions) feed a median pruner.

TPE sampler with 5 random startup trials. Where a table row fixes part of an agent's network, the
study holds those coordinates at the row's values (:data:`MAZE_FIXED`, Optuna's
``PartialFixedSampler`` around the TPE): tuning a size the row overrides would tune nothing, and
the rest of the space is tuned around the network that actually runs.

Studies live in an Optuna storage (SQLite under ``sweeps/`` by default, any RDB URL such as
PostgreSQL for workers on many machines); a study resumes where it stopped and never reruns a
finished trial. Finished trials are the complete, pruned and failed ones (a sampled
configuration the agent rejects fails with its reason); trials cut short by an interruption do
not count and are replaced. A study's result rests on its first ``trials`` finished trials (by
number): parallel workers may finish one or two more, which are left out, so every agent of a
setting has the same count.
"""

from __future__ import annotations

import datetime
import math
import multiprocessing as mp
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import yaml

from agents.registry import make_agent
from bench.runner import RunSpec, evaluate
from envs import facts, family, num_instances
from sweeps.hyperparams import LEGACY_REGIME, Regime, legacy_path, regime_of, tuned_name, tuned_path
from sweeps.noise import trial_spread
from sweeps.spaces import sample, space_name, space_version

SWEEPS_DIR = Path(__file__).parent
DEFAULT_STORAGE = f"sqlite:///{SWEEPS_DIR / 'studies.db'}"
"""Where studies live unless ``--storage`` says otherwise (committed with the tuned files)."""
EVAL_FRACTIONS = (0.25, 0.5, 0.75)
"""Budget fractions of the intermediate (prunable) evaluations of each seed."""
FLOOR_EPISODES = 1000
"""At least this many random-masked episodes measure a study's floor (every val puzzle alike)."""
OBJECTIVE = (
    "mean over seeds of success + squash((score - floor) / (ceiling - floor)) / (2 * seeds * episodes), "
    "squash(x) = min(x, 1) for x >= 0, x / (1 - x) below the floor"
)
"""The objective's formula, as provenance and the report state it (see the module docstring)."""
CLIPPED_OBJECTIVE = "mean over seeds of success + clip((score - floor) / (ceiling - floor), 0, 1) / (2 * seeds * episodes)"
"""The former objective: every score below the floor counted as the floor's. A study scored with it
moves to :data:`OBJECTIVE` when none of its seeds ended below the floor (:func:`carry_over`)."""
DEFAULT_SEEDS = 2
DEFAULT_TRIALS = {"4x4": 30, "9x9": 20, "maze": 30}
"""Finished trials per study by board: 30 on 4x4, 20 on 9x9 (a 9x9 trial costs more), 30 on the
mazes (measured: a PPO trial about 1 minute, a ppo-trm trial about 2, at 2 x 25k transitions)."""
MAZE_FIXED: dict[str, dict[str, Any]] = {"ppo": {"net_arch": "medium", "activation_fn": "tanh"}}
"""Search-space coordinates held fixed on the maze settings, by agent: the readme-rl-maze table's
PPO (MLP) row runs the README's 128x128 actor (``policy_kwargs: {net_arch: ...}``, SB3's tanh),
which replaces any tuned network, so its study tunes PPO's other hyperparameters around that
network (``medium`` is ``[128, 128]``; a test checks both build the same policy)."""


class TuneError(Exception):
    """A user-facing tuning problem (bad storage, mismatched study, nothing to write)."""


def default_trials(env_id: str) -> int:
    """The default trial count of a setting on ``env_id`` (:data:`DEFAULT_TRIALS`)."""
    if family(env_id) != "sudoku":
        return DEFAULT_TRIALS["maze"]
    return DEFAULT_TRIALS["9x9" if "9x9" in env_id else "4x4"]


def best_score(env_id: str) -> float:
    """The ceiling of the objective: the env's best final score, what the exact solver reaches.
    Sudoku: ``envs.facts(env_id).max_score`` (every cell filled, no violation). Mazes: 0 (at the
    goal, or no break left), their score being minus a count of cells; their ``max_score`` is
    only the scale of that count (``envs.EnvFacts``)."""
    return float(facts(env_id).max_score) if family(env_id) == "sudoku" else 0.0


@dataclass(frozen=True)
class TuneSpec:
    """One study: an agent on an env under a regime, its budget, seeds, and where it lives."""

    agent: str
    env_id: str
    steps: int
    trials: int
    masking: str = "constraint"
    rules: str | None = "suite"
    """None on a maze (no rules)."""
    seeds: int = DEFAULT_SEEDS
    """Training seeds per trial (``seed``, ``seed + 1``, ...)."""
    seed: int = 0
    episodes: int = 50
    """Validation episodes per seed."""
    storage: str | None = None
    backbone: str | None = None
    """SB3 agents: also tune this backbone's dims (``trm``); None: the agent's own network."""

    @property
    def name(self) -> str:
        """The tuned file's name: the agent, ``+<backbone>`` when one is tuned."""
        return tuned_name(self.agent, self.backbone)

    @property
    def env_kwargs(self) -> dict[str, str]:
        """The regime as env kwargs."""
        return self.regime.env_kwargs

    @property
    def regime(self) -> Regime:
        """The study's regime."""
        return Regime(self.masking, self.rules)

    @property
    def fixed(self) -> dict[str, Any]:
        """Search-space coordinates held fixed: :data:`MAZE_FIXED` on a maze (the agent's own
        network only, not a ``--backbone``), none elsewhere."""
        if family(self.env_id) == "sudoku" or self.backbone is not None:
            return {}
        return dict(MAZE_FIXED.get(self.agent, {}))

    def sampler(self, base: optuna.samplers.BaseSampler) -> optuna.samplers.BaseSampler:
        """``base``, holding :attr:`fixed` at its values where there are any."""
        if not self.fixed:
            return base
        with warnings.catch_warnings():  # Optuna marks it experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.PartialFixedSampler(self.fixed, base)

    @property
    def seed_list(self) -> list[int]:
        """The training seeds of every trial."""
        return [self.seed + i for i in range(self.seeds)]

    @property
    def study_name(self) -> str:
        """``<name>__<env id with / as ->__<regime slug>`` (``<masking>-<rules>``, mazes ``<masking>``)."""
        return f"{self.name}__{self.env_id.replace('/', '-')}__{self.regime.slug}"

    @property
    def storage_url(self) -> str:
        """The storage URL (default: SQLite file under ``sweeps/``)."""
        return self.storage or DEFAULT_STORAGE

    def identity(self) -> dict[str, Any]:
        """What a resumed study must share with this spec (its user attributes)."""
        return {
            "agent": self.agent,
            "backbone": self.backbone,
            "env_id": self.env_id,
            "masking": self.masking,
            "rules": self.rules,
            "space": space_name(self.agent, self.backbone),
            "space_version": space_version(self.agent, self.backbone),
            "fixed": self.fixed,
            "steps": self.steps,
            "episodes": self.episodes,
            "seeds": self.seed_list,
            "objective": OBJECTIVE,
        }


def normalised_score(score: float, floor: float, ceiling: float) -> float:
    """``x = (score - floor) / (ceiling - floor)`` squashed into ``(-1, 1]``: ``min(x, 1)`` at or
    above the floor, ``x / (1 - x)`` below it (increasing, above -1); 0 when the floor reaches the
    ceiling."""
    if ceiling <= floor:
        return 0.0
    x = (score - floor) / (ceiling - floor)
    return float(min(x, 1.0) if x >= 0 else x / (1.0 - x))


def seed_value(success: float, score: float, floor: float, ceiling: float, seeds: int, episodes: int) -> float:
    """One seed's term of the objective: ``success + normalised score / (2 * seeds * episodes)``."""
    return success + normalised_score(score, floor, ceiling) / (2 * seeds * episodes)


def trial_value(results: Sequence[tuple[float, float]], floor: float, ceiling: float, episodes: int) -> float:
    """The objective of a trial from its per-seed ``(success, mean score)`` results."""
    return float(np.mean([seed_value(s, c, floor, ceiling, len(results), episodes) for s, c in results]))


def random_floor(env_id: str, env_kwargs: dict[str, Any], seed: int = 0) -> float:
    """Mean final checker score of uniform-random legal play on the validation split under
    ``env_kwargs`` (masking, rules): every val puzzle played alike, :data:`FLOOR_EPISODES` at least."""
    from bench.evaluation import random_legal_play

    size = num_instances(env_id, "val")
    indices = np.tile(np.arange(size), math.ceil(FLOOR_EPISODES / size))
    return random_legal_play(env_id, dict(env_kwargs, split="val"), indices, seed).mean_score


def objective(trial: optuna.Trial, spec: TuneSpec, floor: float, ceiling: float) -> float:
    """Train one sampled configuration with every seed of ``spec`` and return its value (prunable);
    the per-seed results are the trial's ``per_seed`` user attribute."""
    try:
        kwargs = sample(spec.agent, trial, spec.backbone)
        trial.set_user_attr("kwargs", kwargs)
        at_fraction: dict[int, list[float]] = {}
        per_seed: list[dict[str, Any]] = []
        for i, seed in enumerate(spec.seed_list):
            per_seed.append(train_seed(trial, spec, kwargs, i, seed, (floor, ceiling), at_fraction))
            trial.set_user_attr("per_seed", per_seed)
        trial.set_user_attr("success", float(np.mean([r["success"] for r in per_seed])))
        trial.set_user_attr("score", float(np.mean([r["score"] for r in per_seed])))
        return trial_value([(r["success"], r["score"]) for r in per_seed], floor, ceiling, spec.episodes)
    except optuna.TrialPruned:
        raise
    except Exception as err:  # the trial fails with its reason; the study goes on
        trial.set_user_attr("fail_reason", f"{type(err).__name__}: {err}")
        raise


def train_seed(
    trial: optuna.Trial,
    spec: TuneSpec,
    kwargs: dict[str, Any],
    index: int,
    seed: int,
    bounds: tuple[float, float],
    at_fraction: dict[int, list[float]],
) -> dict[str, Any]:
    """Train a fresh agent with ``kwargs`` and ``seed`` (the trial's ``index``-th seed) and
    return its validation result. At each budget fraction ``k`` its value joins
    ``at_fraction[k]`` and the mean over the seeds so far is reported at the trial's cumulative
    transitions, for the pruner.

    :param bounds: the study's ``(floor, ceiling)``.
    :raises optuna.TrialPruned: when the pruner stops the trial.
    """
    floor, ceiling = bounds
    agent = make_agent(spec.agent, **kwargs)  # the sampled kwargs are the whole config (no tuned file)
    run = RunSpec(spec.agent, spec.env_id, spec.steps, seed, spec.env_kwargs, episodes=spec.episodes)
    marks = [(k, int(f * spec.steps)) for k, f in enumerate(EVAL_FRACTIONS)]

    def on_progress(steps_done: int) -> None:
        while marks and steps_done >= marks[0][1]:
            k, mark = marks.pop(0)
            result = evaluate(agent, run, "val")
            at_fraction.setdefault(k, []).append(seed_value(result.success, result.mean_score, floor, ceiling, spec.seeds, spec.episodes))
            trial.report(float(np.mean(at_fraction[k])), index * spec.steps + mark)
            if trial.should_prune():
                raise optuna.TrialPruned()

    agent.learn(spec.env_id, spec.env_kwargs, spec.steps, seed, on_progress)
    result = evaluate(agent, run, "val")
    return {
        "seed": seed,
        "success": result.success,
        "score": result.mean_score,
        "value": seed_value(result.success, result.mean_score, floor, ceiling, spec.seeds, spec.episodes),
        "steps_done": int(agent.steps_done()) if hasattr(agent, "steps_done") else spec.steps,
    }


def check_agent(spec: TuneSpec) -> None:
    """Build the agent from one sampled configuration, so an agent that rejects its space (e.g. a
    ``backbone`` it does not take yet) or cannot play the env stops ``bench tune`` before any trial.

    :raises TuneError: naming the agent and the reason, in one line.
    """
    from agents.registry import mask_problem, supports

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study(sampler=spec.sampler(optuna.samplers.RandomSampler(seed=0))).ask()
    try:
        agent = make_agent(spec.agent, **sample(spec.agent, trial, spec.backbone))
    except (TypeError, ValueError) as err:
        raise TuneError(f"{spec.agent} rejects its search space: {err}") from err
    if not supports(agent, spec.env_id):
        raise TuneError(f"{spec.agent} cannot play {spec.env_id}")
    problem = mask_problem(agent, spec.agent, spec.env_id, spec.env_kwargs)
    if problem:
        raise TuneError(problem)


def open_study(spec: TuneSpec, worker: int = 0) -> optuna.Study:
    """Create or resume the study; refuse one made with another search space, budget, seeds or
    objective. The first opening measures the random floor and stores it (with the ceiling).

    Each worker's sampler gets its own seed, so parallel workers do not propose the same trials.
    """
    try:
        study = optuna.create_study(
            study_name=spec.study_name,
            storage=spec.storage_url,
            load_if_exists=True,
            direction="maximize",
            sampler=spec.sampler(optuna.samplers.TPESampler(n_startup_trials=5, seed=spec.seed * 1000 + worker)),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5),
        )
    except Exception as err:
        raise TuneError(f"cannot open Optuna storage {spec.storage_url!r}: {type(err).__name__}: {' '.join(str(err).split())}") from err
    attrs = study.user_attrs
    clipped = attrs.get("objective") == CLIPPED_OBJECTIVE
    for key, value in spec.identity().items():
        if key == "objective" and clipped:
            continue  # carried over below, once the rest of the identity is known to match
        if key not in attrs:
            study.set_user_attr(key, value)
        elif attrs[key] != value:
            what = "another version of the search space" if key == "space_version" else f"{key}={attrs[key]!r}"
            raise TuneError(
                f"study {spec.study_name!r} was created with {what} (now {value!r}); use another --storage or delete the study"
            )
    if clipped:
        carry_over(study, spec.storage_url)
    if attrs.get("target_trials") != spec.trials:
        study.set_user_attr("target_trials", spec.trials)
    if "floor" not in attrs:
        study.set_user_attr("floor", random_floor(spec.env_id, spec.env_kwargs))
        study.set_user_attr("ceiling", best_score(spec.env_id))
    return study


def carry_over(study: optuna.Study, storage_url: str) -> None:
    """Move a study scored with :data:`CLIPPED_OBJECTIVE` to :data:`OBJECTIVE` (the study user
    attribute ``objective_carried_from`` says so) when no seed of its trials ended below the
    floor: there the two formulas give every trial the same value. The median pruner's earlier
    decisions used the clipped intermediate values.

    :raises TuneError: some seed ended below the floor, where the formulas differ (the study must
        be deleted and tuned again).
    """
    below = seeds_below_floor(study)
    if below:
        raise TuneError(
            f"study {study.study_name!r} was scored with the objective clipped at the floor and {below} of its seeds ended "
            f"below the floor, where the current objective ranks them; delete it to tune it again "
            f"(optuna delete-study --study-name {study.study_name} --storage {storage_url})"
        )
    study.set_user_attr("objective", OBJECTIVE)
    if study.get_trials(deepcopy=False):  # a study with no trial yet has nothing to carry
        study.set_user_attr("objective_carried_from", CLIPPED_OBJECTIVE)


def seeds_below_floor(study: optuna.Study) -> int:
    """How many seeds of the study's trials ended below its floor: where :data:`CLIPPED_OBJECTIVE`
    and :data:`OBJECTIVE` differ (none when the floor reaches the ceiling: both give 0 there)."""
    floor, ceiling = study.user_attrs.get("floor"), study.user_attrs.get("ceiling")
    if floor is None or ceiling is None or ceiling <= floor:
        return 0
    return sum(r["score"] < floor for t in study.get_trials(deepcopy=False) for r in t.user_attrs.get("per_seed") or [])


def outcome(trial: optuna.trial.FrozenTrial) -> str:
    """``complete``, ``pruned``, ``failed`` (a configuration the agent rejected, with its reason)
    or ``unfinished`` (running, or cut short by an interruption: it does not count, another
    trial replaces it)."""
    states = optuna.trial.TrialState
    if trial.state == states.FAIL:
        return "failed" if "fail_reason" in trial.user_attrs else "unfinished"
    return {states.COMPLETE: "complete", states.PRUNED: "pruned"}.get(trial.state, "unfinished")


def counted(study: optuna.Study, target: int | None = None) -> list[optuna.trial.FrozenTrial]:
    """The finished trials a study's result rests on: the first ``target`` by number (all when
    None). Parallel workers may finish a trial or two beyond the setting's count; leaving those
    out gives every agent of a setting the same number of trials."""
    done = sorted((t for t in study.get_trials(deepcopy=False) if outcome(t) != "unfinished"), key=lambda t: t.number)
    return done if target is None else done[:target]


def counts(study: optuna.Study, target: int | None = None) -> dict[str, int]:
    """Trials by :func:`outcome` among the :func:`counted` ones, their total (``finished``), and
    the finished trials left out beyond ``target`` (``beyond``)."""
    trials = study.get_trials(deepcopy=False)
    kept = counted(study, target)
    out = {k: sum(outcome(t) == k for t in kept) for k in ("complete", "pruned", "failed")}
    done = sum(outcome(t) != "unfinished" for t in trials)
    return out | {"unfinished": len(trials) - done, "finished": len(kept), "beyond": done - len(kept)}


def best_trial(study: optuna.Study, target: int | None = None) -> optuna.trial.FrozenTrial | None:
    """The complete trial of highest value among the :func:`counted` ones (None: none complete)."""
    complete = [t for t in counted(study, target) if outcome(t) == "complete"]
    return max(complete, key=lambda t: (t.value, -t.number)) if complete else None


def _seconds(trial: optuna.trial.FrozenTrial) -> float | None:
    """How long ``trial`` ran (None: not started or not ended)."""
    if trial.datetime_start and trial.datetime_complete:
        return (trial.datetime_complete - trial.datetime_start).total_seconds()
    return None


def trial_hours(study: optuna.Study) -> float:
    """The hours its trials ran, summed over every trial that has a start and an end (the
    wall time of one worker that ran them all; ``--jobs N`` takes about an N-th of it)."""
    return sum(s for t in study.get_trials(deepcopy=False) if (s := _seconds(t)) is not None) / 3600


def trained_trial_seconds(study: optuna.Study) -> list[float]:
    """How long each complete or pruned trial of the study ran: what a trial still to run takes
    (a failed one, a configuration the agent rejected, ends before training)."""
    return [s for t in study.get_trials(deepcopy=False)
            if outcome(t) in ("complete", "pruned") and (s := _seconds(t)) is not None]


def finished(study: optuna.Study) -> int:
    """Trials that are complete, pruned or failed with a reason (never rerun)."""
    return len(counted(study))


def run_worker(spec: TuneSpec, worker: int = 0) -> None:
    """Run trials of the study in this process until it has ``spec.trials`` finished ones."""
    import torch

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(spec, worker)
    if finished(study) >= spec.trials:
        return
    floor, ceiling = study.user_attrs["floor"], study.user_attrs["ceiling"]

    def stop(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if finished(study) >= spec.trials:
            study.stop()

    study.optimize(lambda t: objective(t, spec, floor, ceiling), callbacks=[stop], catch=(Exception,))


def tune(spec: TuneSpec, jobs: int = 1, progress: bool = True) -> optuna.Study:
    """Run the study until ``spec.trials`` trials have finished (resuming a started study, none
    started when it has them), with ``jobs`` worker processes sharing its storage. Each worker
    checks the count after its trial, so parallel workers may finish up to ``jobs - 1`` trials
    beyond ``spec.trials``."""
    from tqdm.auto import tqdm

    from bench.executors import duration

    study = open_study(spec)
    if finished(study) >= spec.trials:
        return study
    bar = tqdm(total=spec.trials, initial=finished(study), desc=spec.study_name, disable=None if progress else True)
    log_lines = progress and bar.disable  # no terminal (a log file): one line per finished trial instead
    start, reported = time.monotonic(), finished(study)
    ctx = mp.get_context("spawn")
    offset = len(study.trials)  # a resumed study gets fresh sampler seeds
    workers = [ctx.Process(target=run_worker, args=(spec, offset + i)) for i in range(max(1, jobs))]
    for w in workers:
        w.start()

    def show() -> None:
        nonlocal reported
        done, best = finished(study), best_trial(study)
        if log_lines and done > reported:
            reported = done
            best_text = "none complete" if best is None else f"{best.value:.4f} (trial {best.number})"
            elapsed = time.monotonic() - start
            ran, left = trained_trial_seconds(study), ""
            if ran and done < spec.trials:  # the study's mean trial, pruned ones included, in rounds of its workers
                left = f", about {duration(sum(ran) / len(ran) * math.ceil((spec.trials - done) / len(workers)))} left"
            print(f"{spec.study_name}: {done}/{spec.trials} trials finished, best {best_text}, {elapsed:.0f} s{left}",
                  file=sys.stderr, flush=True)
        bar.update(done - bar.n)
        if best is not None:
            bar.set_postfix(best=f"{best.value:.4f}")

    try:
        while any(w.is_alive() for w in workers):
            time.sleep(0.5)
            show()
        show()
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


def git_commit() -> str:
    """The repository's commit (``-dirty`` with uncommitted changes), or ``unknown``."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=40"], cwd=SWEEPS_DIR, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def _tuning_stamp(path: Path, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The date and commit of the tuned file at ``path`` when it holds the same result as
    ``payload`` (study, trial counts, best trial and value, params): those of the tuning, which a
    later rerun that found the study finished keeps. None: no such file, or another result (a
    rerun that ran more trials is a later tuning, even with the same best trial)."""
    try:
        old = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    result = ("study", "trials", "best_trial", "best_value", "params")
    round_trip = yaml.safe_load(yaml.safe_dump(payload, sort_keys=False, width=200))
    if not isinstance(old, dict) or any(old.get(k) != round_trip[k] for k in result):
        return None
    return {k: old[k] for k in ("date", "commit") if k in old}


def write_tuned(study: optuna.Study, spec: TuneSpec, root: Path | None = None) -> Path:
    """Write the best trial's kwargs to ``sweeps/tuned/<env id>/<regime slug>/<name>.yaml`` with
    the study's provenance (:mod:`sweeps.hyperparams` checks it when the file is read). A file
    that already holds the study's result keeps its date and commit, those of the tuning, not of
    a later rerun that found the study finished (which may still update its other fields, such as
    the objective of a carried-over study). A file from before the regime key that served this
    regime (:func:`sweeps.hyperparams.legacy_path`) can never be read again once the regime has
    its own: it is removed."""
    done = counts(study, spec.trials)
    best = best_trial(study, spec.trials)
    if best is None:
        raise TuneError(f"study {spec.study_name!r} has no complete trial: nothing to write")
    path = tuned_path(spec.env_id, spec.name, spec.env_kwargs, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    attrs = study.user_attrs
    payload = {
        "study": spec.study_name,
        **{k: attrs[k] for k in ("agent", "backbone", "env_id", "masking", "rules", "space", "space_version")},
        "fixed": attrs.get("fixed", {}),
        "budget": attrs["steps"],
        "seeds": attrs["seeds"],
        "episodes": attrs["episodes"],
        "trials": {k: done[k] for k in ("finished", "complete", "pruned", "failed", "beyond")},
        "objective": attrs["objective"],
        "floor": attrs["floor"],
        "ceiling": attrs["ceiling"],
        "best_trial": best.number,
        "best_value": float(best.value),
        "best_per_seed": best.user_attrs.get("per_seed"),
        "date": datetime.date.today().isoformat(),
        "commit": git_commit(),
        "params": best.user_attrs["kwargs"],
    }
    payload |= _tuning_stamp(path, payload) or {}
    text = f"# Tuned by `bench tune` (study {spec.study_name})\n" + yaml.safe_dump(payload, sort_keys=False, width=200)
    if not (path.exists() and path.read_text() == text):
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    if spec.regime == LEGACY_REGIME:
        legacy_path(spec.env_id, spec.name, root).unlink(missing_ok=True)
    return path


def table_budgets(env_id: str, regime: Regime) -> dict[int, list[str]]:
    """Budget (profile ``full``) -> the table columns (``table:column``) that run ``env_id``
    under ``regime``: where a setting's tuning budget comes from."""
    from bench.tables import available, load_spec

    found: dict[int, list[str]] = {}
    for name in available():
        spec = load_spec(name)
        if spec.kind == "supervised" or spec.runs_table is not None or "full" not in spec.profiles:
            continue
        for column in spec.columns:
            if column.env == env_id and regime_of(env_id, column.env_kwargs) == regime:
                steps = int(column.steps.get("full", spec.profiles["full"]["steps"]))
                found.setdefault(steps, []).append(f"{spec.name}:{column.id}")
    return found


def study_names(storage_url: str) -> list[str]:
    """The names of the studies in the storage, sorted.

    :raises TuneError: a storage that cannot be opened (one line).
    """
    try:
        return sorted(s.study_name for s in optuna.get_all_study_summaries(storage_url, include_best_trial=False))
    except Exception as err:
        raise TuneError(f"cannot open Optuna storage {storage_url!r}: {type(err).__name__}: {' '.join(str(err).split())}") from err


def tuning_report(storage_url: str) -> str:
    """Markdown summary of every study in the storage, by setting: regime, objective, floor,
    trials (equal per agent?), best value and params, fANOVA importances, and whether the trials
    differ beyond seed noise (:func:`sweeps.noise.trial_spread`)."""
    studies = [optuna.load_study(study_name=n, storage=storage_url) for n in study_names(storage_url)]
    settings: dict[tuple, list[optuna.Study]] = {}
    for study in studies:
        a = study.user_attrs
        legacy = "masking" not in a
        env_id = a.get("env_id") or "trm/" + study.study_name.split("__")[1].removeprefix("trm-")
        key = (env_id, "constraint" if legacy else a["masking"], "suite" if legacy else a["rules"], a.get("steps"), legacy)
        settings.setdefault(key, []).append(study)
    lines = [
        "# Tuning",
        "",
        "Generated by `bench tune --report` from the Optuna studies; never edited by hand. One protocol for every learned agent:",
        "the validation split, the table's budget, the same number of trials per agent of a setting, several seeds per trial.",
        "",
        f"Objective: `{OBJECTIVE}`, floor = mean final score of uniform-random legal play on the validation split under the",
        "study's masking and rules, ceiling = the env's best score (the solver's): one more solved episode outranks any score gain.",
        "",
    ]
    for (env_id, masking, rules, steps, legacy), group in sorted(settings.items(), key=lambda kv: (kv[0][4], kv[0][:3])):
        lines += [f"## {env_id}, {Regime(masking, rules).label}, {steps} transitions per seed" + (" (legacy)" if legacy else ""), ""]
        if legacy:
            lines += [
                "Studies from before the regime key (tuned under the env defaults of the time, masking=constraint and",
                "today's suite rules): objective success + 1e-4 * score / C_max, one training seed per trial.",
                "",
            ]
        finished_counts = {s.study_name: counts(s, s.user_attrs.get("target_trials"))["finished"] for s in group}
        same = len(set(finished_counts.values())) == 1
        listed = ", ".join(f"{k} {v}" for k, v in finished_counts.items())
        hours = sum(trial_hours(s) for s in group)
        lines += [f"Finished trials per agent: {'the same' if same else 'NOT the same'} ({listed}); {hours:.2f} h of trial time in all.", ""]
        for study in group:
            lines += _study_lines(study, legacy)
    return "\n".join(lines)


def _study_lines(study: optuna.Study, legacy: bool) -> list[str]:
    """The report's paragraph on one study."""
    a = study.user_attrs
    c = counts(study, a.get("target_trials"))
    agent = a.get("agent") or study.study_name.split("__")[0]
    lines = [f"### {agent}{' + ' + a['backbone'] + ' backbone' if a.get('backbone') else ''}", ""]
    trials = f"{c['finished']} finished trials ({c['complete']} complete, {c['pruned']} pruned, {c['failed']} failed"
    trials += f"; {c['beyond']} more finished beyond the setting's count, left out" if c["beyond"] else ""
    trials += f"; {c['unfinished']} running or interrupted)" if c["unfinished"] else ")"
    trials += f", {trial_hours(study):.2f} h of trial time"
    if legacy:
        lines.append(f"- study `{study.study_name}` (space {a.get('space_version')}), {trials}, seed {a.get('seed')}")
    else:
        lines.append(
            f"- study `{study.study_name}` (space {a['space']} {a['space_version']}), {trials}, seeds {a['seeds']}, "
            f"{a['episodes']} validation episodes per seed; floor {a.get('floor', float('nan')):.3f}, ceiling {a.get('ceiling')}"
        )
        if a.get("fixed"):
            lines.append(f"- held fixed (the table row's network): `{a['fixed']}`")
        if a.get("objective") == CLIPPED_OBJECTIVE:
            below = seeds_below_floor(study)
            lines.append(
                f"- scored with the former objective, `{CLIPPED_OBJECTIVE}`: "
                + (f"{below} of its seeds ended below the floor and count as the floor's (delete the study and tune it again)"
                   if below else "no seed ended below the floor, so it carries over when next opened")
            )
        elif a.get("objective_carried_from") and study.get_trials(deepcopy=False):
            lines.append("- scored first with the objective clipped at the floor; no seed ended below the floor, so every value is the same under the current one")
    best = best_trial(study, a.get("target_trials"))
    if best is None:
        return lines + ["- no complete trial", ""]
    lines += [
        f"- best value {best.value:.6f} (validation success {best.user_attrs.get('success', float('nan')):.3f}, "
        f"score {best.user_attrs.get('score', float('nan')):.2f}), trial {best.number}",
        f"- best params: `{best.user_attrs.get('kwargs')}`",
    ]
    if not legacy:
        path = tuned_path(a["env_id"], tuned_name(agent, a.get("backbone")), Regime(a["masking"], a["rules"]).env_kwargs).resolve()
        shown = path.relative_to(SWEEPS_DIR.parent) if path.is_relative_to(SWEEPS_DIR.parent) else path
        lines.append(f"- tuned file: `{shown}`" if path.exists() else "- tuned file: not written")
    if best.user_attrs.get("per_seed"):
        per_seed = ", ".join(f"seed {r['seed']}: {r['success']:.3f} / {r['score']:.2f}" for r in best.user_attrs["per_seed"])
        lines.append(f"- best trial per seed (success / score): {per_seed}")
    spread = trial_spread(counted(study, a.get("target_trials")))
    if spread is not None:
        lines.append(spread.line())
    try:
        importance = optuna.importance.get_param_importances(study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
        lines.append("- fANOVA importance: " + ", ".join(f"{k} {v:.2f}" for k, v in importance.items()))
    except (RuntimeError, ValueError) as err:  # too few trials, or all scored alike
        lines.append(f"- fANOVA importance: undefined ({err})")
    return lines + [""]
