"""Supervised path predictors: shapes, parameter counts, a short real run, determinism."""

import pytest
import torch

from agents.supervised.models import PREDICTORS, count_params
from agents.supervised.train import SupervisedConfig, train_and_evaluate


@pytest.mark.parametrize("size", [8, 10])
def test_models_map_inputs_to_a_logit_per_cell(size):
    counts = {}
    for name, factory in PREDICTORS.items():
        model = factory(size)
        counts[name] = count_params(model)
        assert model(torch.zeros(2, 3, size, size)).shape == (2, size, size)
        assert all(step.shape == (2, size, size) for step in model.step_logits(torch.zeros(2, 3, size, size)))
    assert all(n > 0 for n in counts.values())
    assert len(set(counts.values())) == len(counts)
    assert counts["trm"] < counts["cnn"] < counts["transformer"]


def test_trm_gives_one_output_per_supervision_step():
    model = PREDICTORS["trm"](8)
    assert len(model.step_logits(torch.zeros(1, 3, 8, 8))) == model.sup_steps > 1


def test_short_run_beats_the_all_zero_predictor():
    result = train_and_evaluate(SupervisedConfig(model="cnn", size=8, epochs=40))
    assert result["train/zero_exact_acc"] == 0.0  # corrected data: no empty target
    assert result["train/exact_acc"] > result["train/zero_exact_acc"]
    assert result["train/per_cell_acc"] > result["train/zero_per_cell_acc"]
    assert result["test/per_cell_acc"] > result["test/zero_per_cell_acc"]


def test_same_config_same_metrics():
    config = SupervisedConfig(model="trm", size=8, epochs=2, seed=5)
    first, second = train_and_evaluate(config), train_and_evaluate(config)
    first.pop("train_seconds"), second.pop("train_seconds")
    assert first == second


def test_bad_config():
    with pytest.raises(ValueError, match="cnn"):
        SupervisedConfig(model="mlp")
    with pytest.raises(ValueError, match="8, 10"):
        SupervisedConfig(size=12)


def test_bench_supervised_stores_records_and_shows_the_trivial_predictors(tmp_path, capsys):
    from bench.cli import main
    from bench.store import ResultStore

    argv = ["supervised", "--model", "cnn", "--size", "10", "--epochs", "1", "--results", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    records = {r["spec"]["legacy"]: r for r in ResultStore(tmp_path).all()}
    assert set(records) == {True, False} and "| cnn | 10x10 | legacy |" in out
    legacy = records[True]["metrics"]["test"]
    assert legacy["zero_exact_acc"] == 1.0  # the README's 10x10 targets are all empty
    assert records[False]["metrics"]["test"]["zero_exact_acc"] == 0.0
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*.json")}
    assert main(argv) == 0  # cached: same records, nothing recomputed
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*.json")} == stamps


def test_legacy_8x8_targets_are_one_constant_path():
    result = train_and_evaluate(SupervisedConfig(model="cnn", size=8, legacy=True, epochs=1))
    assert result["test/const_exact_acc"] == 1.0 and result["test/zero_exact_acc"] == 0.0
