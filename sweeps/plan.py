"""What ``make tune`` tunes: every setting whose tuned files the tables' learned rows read.

A setting is an env id, a regime (:func:`sweeps.hyperparams.regime_of` of a run's env kwargs:
``masking`` and ``rules``, so a column's variant kwargs such as ``reward`` or ``observation``
read their regime's file) and a backbone (``maskable-ppo`` on UPI-TRM's network is its own
study), with the agents that some table row runs there. The plan is derived from the table specs
(``bench/specs/*.yaml``), never listed by hand: a row added to a table is tuned, and no study is
run that no table reads. A row with a ``preset`` runs the preset as it is and an agent without a
search space (a reference) has nothing to tune; both are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sweeps.hyperparams import Regime, regime_of

PLAN_PROFILES = ("full", "thorough")
"""The profiles whose tables the plan serves, in the order it serves them: what ``make bench``
runs first, then what only ``make bench-thorough`` adds."""


@dataclass(frozen=True)
class Setting:
    """The agents to tune on ``env_id`` under ``regime`` (on ``backbone``, when one), and
    ``profile``, the first profile of :data:`PLAN_PROFILES` whose tables run them there."""

    env_id: str
    regime: Regime
    backbone: str | None
    agents: tuple[str, ...]
    profile: str

    def arguments(self) -> list[str]:
        """The setting as ``bench tune`` arguments (``--agents ... --env ... --env-kwargs ...``)."""
        backbone = ["--backbone", self.backbone] if self.backbone else []
        kwargs = [f"{key}={value}" for key, value in self.regime.env_kwargs.items()]
        return ["--agents", *self.agents, *backbone, "--env", self.env_id, "--env-kwargs", *kwargs]


def tuning_plan(profiles: tuple[str, ...] = PLAN_PROFILES) -> list[Setting]:
    """The settings the tables of ``profiles`` need tuned: those of the first profile first (in
    table and row order), then each later profile's, with the agents no earlier setting has; one
    setting per (env id, regime, backbone) and profile, its agents in row order."""
    from bench.tables import available, load_spec
    from sweeps.spaces import SAMPLERS

    specs = [load_spec(name) for name in available()]
    planned: set[tuple[str, Regime, str | None, str]] = set()
    settings: list[Setting] = []
    for profile in profiles:
        found: dict[tuple[str, Regime, str | None], list[str]] = {}
        for spec in specs:
            if spec.kind == "supervised" or profile not in spec.profiles:
                continue
            for run in spec.run_specs(profile):
                if run.agent not in SAMPLERS or run.agent_config.get("preset") is not None:
                    continue
                key = (run.env_id, regime_of(run.env_id, run.env_kwargs), run.agent_config.get("backbone"))
                if (*key, run.agent) not in planned:
                    planned.add((*key, run.agent))
                    found.setdefault(key, []).append(run.agent)
        settings += [Setting(env_id, regime, backbone, tuple(agents), profile) for (env_id, regime, backbone), agents in found.items()]
    return settings


@dataclass(frozen=True)
class StudyProgress:
    """Where one agent's study of a setting stands."""

    done: int
    """Finished trials among the counted ones."""
    target: int
    """The trial count the study was created with (the setting's default before it exists)."""
    seconds_left: float | None
    """Trial time of the trials still to run, for one worker (None: nothing times them yet)."""

    def __str__(self) -> str:
        if self.done >= self.target:
            return f"{self.done}/{self.target}"
        left = "time unknown" if self.seconds_left is None else f"about {self.seconds_left / 3600:.1f} h"
        return f"{self.done}/{self.target} ({left})"


TimingKey = tuple[str, str | None, str]
"""(agent, backbone, env id): studies whose trials take about as long as each other (a setting's
budget is its env's table budget, the same under every regime)."""


@dataclass(frozen=True)
class StudyFacts:
    """What the plan reads of one study in the storage (each study loaded once)."""

    finished: int
    """Finished trials among the counted ones (:func:`sweeps.tune.counts`)."""
    target: int
    """The trial count it was created with (its env's default when it does not say)."""
    seconds: float
    """Seconds its trained trials (complete or pruned) ran."""
    trained: int
    """How many trials those seconds are of."""
    timing: TimingKey
    """Its agent, backbone and env."""


def study_facts(storage: str, names: set[str]) -> dict[str, StudyFacts]:
    """Study name -> :class:`StudyFacts`, for every study of ``names`` (the storage's studies)
    keyed by regime: one from before the regime key ran another budget and seeds, and no setting
    names it."""
    import optuna

    from sweeps.tune import counts, default_trials, trained_trial_seconds

    out = {}
    for name in names:
        study = optuna.load_study(study_name=name, storage=storage)
        a = study.user_attrs
        if "masking" not in a:  # from before the regime key
            continue
        target = a.get("target_trials", default_trials(a["env_id"]))
        ran = trained_trial_seconds(study)
        out[name] = StudyFacts(counts(study, target)["finished"], target, sum(ran), len(ran),
                               (a["agent"], a.get("backbone"), a["env_id"]))
    return out


def progress(setting: Setting, facts: dict[str, StudyFacts]) -> dict[str, StudyProgress]:
    """Agent -> :class:`StudyProgress` of its study (``facts``: :func:`study_facts` of the
    storage): the target is the trial count the study was created with (``bench tune
    --trials``), the setting's default for a study not yet in the storage. The time left is the
    trials still to run times the mean time of the study's own trained trials, else of the
    trials of the same agent and backbone at the same env and budget under other regimes."""
    from sweeps.tune import TuneSpec, default_trials

    default = default_trials(setting.env_id)
    out = {}
    for agent in setting.agents:
        name = TuneSpec(agent, setting.env_id, 0, default, setting.regime.masking, setting.regime.rules,
                        backbone=setting.backbone).study_name
        own = facts.get(name)
        done, target = (own.finished, own.target) if own else (0, default)
        alike = [f for n, f in facts.items() if n != name and f.timing == (agent, setting.backbone, setting.env_id)]
        seconds, count = (own.seconds, own.trained) if own and own.trained else (sum(f.seconds for f in alike), sum(f.trained for f in alike))
        left = max(target - done, 0)
        out[agent] = StudyProgress(done, target, None if left and not count else left * seconds / max(count, 1))
    return out


def time_left_line(seconds_left: list[float | None], jobs: int) -> str:
    """The plan's last line: the trial time of the studies still to run (each entry one study;
    None: not timed yet) and the wall time it takes ``jobs`` workers."""
    if not seconds_left:
        return "every study of the plan has its trials"
    known = [s for s in seconds_left if s is not None]
    if not known:
        return f"{len(seconds_left)} studies to run: time unknown (no trial of their agents on their envs yet)"
    hours = sum(known) / 3600
    line = f"{len(seconds_left)} studies to run: about {hours:.1f} h of trial time, {hours / max(jobs, 1):.1f} h with --jobs {jobs}"
    unknown = len(seconds_left) - len(known)
    return line + (f", plus {unknown} not yet timed (no trial of their agent on their env)" if unknown else "")
