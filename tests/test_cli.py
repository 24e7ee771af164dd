"""The ``bench`` command line: real subcommands, clear errors for user mistakes."""

import pytest

from bench.cli import main


def test_bench_data_prints_a_card_with_every_regime(capsys):
    assert main(["data", "--env", "trm/Sudoku4x4-Hard-v0", "--episodes-per-puzzle", "1"]) == 0
    out = capsys.readouterr().out
    assert "## trm/Sudoku4x4-Hard-v0" in out and "Clue-count histogram" in out
    for masking in ("constraint", "cell", "none"):
        assert f"| {masking} | 50 |" in out


def test_bench_perf_envs_prints_rates(capsys):
    argv = ["perf", "envs", "--env", "trm/Sudoku4x4-Easy-v0", "trm/MazePath8x8-v0", "--num-envs", "8", "--seconds", "0.05"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "| trm/Sudoku4x4-Easy-v0 | constraint |" in out and "vector x8" in out
    assert "| trm/MazePath8x8-v0 | cells |" in out and "| trm/MazePath8x8-v0 | none |" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["data", "--env", "trm/Sudoku4x4-Eazy-v0"], "did you mean 'trm/Sudoku4x4-Easy-v0'"),
        (["perf", "envs", "--num-envs", "0"], "expected an integer >= 1"),
        (["perf", "envs", "--seconds", "abc"], "expected a positive finite number"),
        (["fly"], "invalid choice"),
        (["data", "--seed", "-1"], "expected an integer >= 0"),
        (["perf", "envs", "--seconds", "inf"], "expected a positive finite number"),
    ],
)
def test_user_mistakes_exit_2_with_one_clear_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.startswith("bench: error: ") and err.count("\n") == 1 and "usage:" not in err  # one line


def test_help_still_prints_the_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--help"])
    assert exc.value.code == 0 and "usage: bench run" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--agent", "ppo2"], "unknown agent 'ppo2'; did you mean 'ppo'?"),
        (["--agent", "ppo", "--env-kwargs", "masking=cels"], "masking must be one of"),
        (["--agent", "ppo", "--env-kwargs", "maskingcell"], "must be written key=value"),
        (["--agent", "ppo", "--agent-kwargs", "n_stepz=3"], "n_stepz"),
    ],
)
def test_bench_run_user_mistakes(extra, message, capsys, tmp_path):
    argv = ["run", "--env", "trm/Sudoku4x4-Easy-v0", "--steps", "10", "--results", str(tmp_path)] + extra
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bench_perf_train_prints_rates_and_overhead(capsys):
    argv = ["perf", "train", "--agents", "ppo", "--env", "trm/Sudoku4x4-Easy-v0", "--steps", "64"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "| trm/Sudoku4x4-Easy-v0 | ppo |" in out and "runner overhead s" in out
    assert main(["perf", "train", "--agents", "nope"]) == 2


def test_bench_tune_user_mistakes(capsys, tmp_path):
    assert main(["tune", "--algo", "sac", "--env", "trm/Sudoku4x4-Easy-v0"]) == 2
    assert "no search space for ['sac']" in capsys.readouterr().err
    bad = f"sqlite:///{tmp_path / 'missing' / 'dir' / 's.db'}"
    assert main(["tune", "--algo", "ppo", "--env", "trm/Sudoku4x4-Easy-v0", "--storage", bad]) == 2
    assert "cannot open Optuna storage" in capsys.readouterr().err


def test_key_values_read_exponent_numbers_as_floats():
    from bench.cli import key_values

    parsed = key_values(["learning_rate=1e-3", "gamma=0.99", "n=16", "flag=true", "name=1e-3x"], "--agent-kwargs")
    assert parsed == {"learning_rate": 0.001, "gamma": 0.99, "n": 16, "flag": True, "name": "1e-3x"}
