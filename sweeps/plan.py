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


def progress(setting: Setting, storage: str, names: set[str]) -> dict[str, str]:
    """Agent -> ``finished/target`` trials of its study in ``storage``: ``target`` is the trial
    count the study was created with (``bench tune --trials``), the setting's default for a study
    not yet among ``names``, the storage's studies (then ``0/target``)."""
    import optuna

    from sweeps.tune import TuneSpec, counts, default_trials

    default = default_trials(setting.env_id)
    out = {}
    for agent in setting.agents:
        spec = TuneSpec(agent, setting.env_id, 0, default, setting.regime.masking, setting.regime.rules, backbone=setting.backbone)
        done, target = 0, default
        if spec.study_name in names:
            study = optuna.load_study(study_name=spec.study_name, storage=storage)
            target = study.user_attrs.get("target_trials", default)
            done = counts(study, target)["finished"]
        out[agent] = f"{done}/{target}"
    return out
