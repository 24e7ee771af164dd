"""User mistakes on the real ``bench`` command line: each prints exactly one line on stderr
(``bench: error: ...``), exits with status 2, never a traceback, and is caught before any
training (so nothing is written and nothing computed is lost)."""

import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import yaml

import envs  # noqa: F401
from bench.cli import UsageError, check_results_folder, main
from bench.tables import SpecError, load_spec

EASY = "trm/Sudoku4x4-Easy-v0"
ROOT = Path(__file__).resolve().parent.parent


def one_error_line(argv, capsys):
    """Run ``bench argv`` in-process; assert status 2 and one error line; return the line."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse errors exit from inside parse_args
        status = exc.code
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert status == 2, captured.err
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("bench: error: ") and "Traceback" not in captured.err
    return lines[0]


def run_argv(tmp_path, *extra):
    return ["run", "--agent", "ppo", "--env", EASY, "--steps", "64", "--episodes", "2", "--results", str(tmp_path / "res"), *extra]


# B, C: agent kwargs whose values (or names) do not fit, caught by the up-front make_agent check


@pytest.mark.parametrize(
    "agent,kwargs,message",
    [
        ("ppo", ["n_steps=abc"], "ppo: n_steps must be an int, got 'abc'"),
        ("ppo", ["learning_rate=fast"], "ppo: learning_rate must be a number or a schedule (callable), got 'fast'"),
        ("ppo", ["n_envs=0"], "ppo: n_envs must be a positive int, got 0"),
        ("a2c", ["use_rms_prop=maybe"], "a2c: use_rms_prop must be true or false, got 'maybe'"),
        ("dqn", ["buffer_size=1.5"], "dqn: buffer_size must be an int, got 1.5"),
        ("ppo", ["gamma=2"], "ppo: gamma must lie in [0, 1], got 2"),
        ("ppo", ["policy_kwargs={activation_fn: rleu}"], "did you mean 'relu'?"),
        ("ppo", ["policy_kwargs={net_arc: [8]}"], "ppo does not take 'net_arc' in policy_kwargs; did you mean 'net_arch'?"),
        ("ppo-trm", ["n_steps=abc"], "ppo: n_steps must be an int, got 'abc'"),
        ("upi-trm", ["alpah=0.3"], "upi-trm does not take 'alpah'; did you mean 'alpha'?"),
    ],
)
def test_bad_agent_kwargs(agent, kwargs, message, capsys, tmp_path):
    argv = run_argv(tmp_path, "--agent-kwargs", *kwargs)
    argv[argv.index("ppo")] = agent
    line = one_error_line(argv, capsys)
    assert message in line
    assert not (tmp_path / "res").exists()


def test_upi_config_refuses_an_unknown_name_with_the_closest_one():
    from agents.upi_trm.upi import UPIConfig

    with pytest.raises(TypeError, match="upi-trm does not take 'alpah'; did you mean 'alpha'"):
        UPIConfig(alpah=0.3)
    with pytest.raises(TypeError, match="upi-trm does not take 'zzz' \\(it takes contraction, depth"):
        UPIConfig(zzz=1)
    assert UPIConfig(alpha=0.3).alpha == 0.3


# D: --results that cannot hold records


def test_results_is_an_existing_file(capsys, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    line = one_error_line(run_argv(tmp_path)[:-1] + [str(afile)], capsys)
    assert line == f"bench: error: --results {str(afile)!r} is a file, not a folder"
    assert afile.read_text() == "mine"
    argv = ["supervised", "--model", "cnn", "--epochs", "1", "--results", str(afile)]
    assert one_error_line(argv, capsys) == line


@pytest.mark.parametrize("where", ["proc", "under-file", "read-only"])
def test_results_cannot_be_written(where, capsys, tmp_path):
    if where == "proc":
        results = "/proc/x"
    elif where == "under-file":
        (tmp_path / "afile").write_text("")
        results = str(tmp_path / "afile" / "sub")
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        results = str(locked / "res")
    argv = run_argv(tmp_path)[:-1] + [results]
    line = one_error_line(argv, capsys)
    assert line.startswith(f"bench: error: --results {results!r} cannot be")
    argv = ["supervised", "--model", "cnn", "--epochs", "1", "--results", results]
    assert one_error_line(argv, capsys) == line


def test_check_results_folder_leaves_nothing_behind(tmp_path):
    check_results_folder(str(tmp_path / "new" / "deeper"))  # creatable: fine, and not created
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "runs").write_text("")
    with pytest.raises(UsageError, match="holds a file 'runs'"):
        check_results_folder(str(tmp_path / "res"))
    check_results_folder(str(tmp_path))


# E: puzzles= (and split=) with bench run


def test_run_refuses_own_puzzles_before_training(capsys, tmp_path):
    env = gym.make(EASY)
    good = tmp_path / "good.npy"
    np.save(good, env.unwrapped.options.puzzles[:5])
    gym.make(EASY, puzzles=str(good)).close()  # a valid file for direct env use
    line = one_error_line(run_argv(tmp_path, "--env-kwargs", f"puzzles={good}"), capsys)
    assert line == (
        "bench: error: --env-kwargs puzzles= cannot be used with bench run: runs evaluate on the env's "
        "own splits (puzzles= is for direct env use: gym.make)"
    )
    assert not (tmp_path / "res").exists()
    line = one_error_line(run_argv(tmp_path, "--env-kwargs", "split=test"), capsys)
    assert "split= cannot be used with bench run" in line


# F: argparse mistakes are one line, no usage block


@pytest.mark.parametrize(
    "argv,message",
    [
        (["run", "--agent", "ppo", "--env", "trm/Nope-v0", "--steps", "10"], "argument --env: unknown env id 'trm/Nope-v0' (known: "),
        (["run", "--agent", "ppo", "--env", "trm/Sudoku4x4-Eazy-v0", "--steps", "10"], "did you mean 'trm/Sudoku4x4-Easy-v0'?"),
        (["run", "--agent", "ppo"], "the following arguments are required: --env, --steps"),
        (["run", "--agent", "ppo", "--env", EASY, "--steps", "lots"], "argument --steps: expected an integer >= 1, got 'lots'"),
        (["table", "--profile", "huge"], "argument --profile: invalid choice: 'huge'"),
        (["fly"], "invalid choice: 'fly'"),
        (["run", "--agent", "ppo", "--env", EASY, "--steps", "10", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_argparse_mistakes_are_one_line(argv, message, capsys):
    line = one_error_line(argv, capsys)
    assert message in line and "usage:" not in line


def test_console_script_prints_one_line_for_an_unknown_env(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench.cli", "run", "--agent", "ppo", "--env", "trm/Nope-v0", "--steps", "10"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("bench: error: argument --env: unknown env id")


# G: table specs with values of the wrong type or range

SPEC = {
    "name": "tiny",
    "title": "tiny",
    "kind": "rl",
    "source": "test",
    "profiles": {"full": {"steps": 64, "seeds": [0], "episodes": 2}, "quick": {"steps": 64, "seeds": [0], "episodes": 2}},
    "columns": [{"id": "easy", "label": "easy", "env": EASY, "env_kwargs": {"masking": "cell"}}],
    "rows": [{"id": "floor", "label": "floor", "agent": "random-masked"}],
    "metrics": ["success"],
}


def write_spec(tmp_path, change):
    data = yaml.safe_load(yaml.safe_dump(SPEC))
    change(data)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_tiny_spec_is_valid(tmp_path):
    assert load_spec(str(write_spec(tmp_path, lambda d: None))).name == "tiny"


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(data):
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    "change,message",
    [
        (_set("profiles", "quick", "steps", "lots"), "profile 'quick': steps must be a positive int, got 'lots'"),
        (_set("profiles", "quick", "steps", -256), "profile 'quick': steps must be a positive int, got -256"),
        (_set("profiles", "full", "steps", True), "profile 'full': steps must be a positive int, got True"),
        (_set("profiles", "quick", "seeds", ["a"]), "profile 'quick': each seed must be an int >= 0, got 'a'"),
        (_set("profiles", "quick", "seeds", [0, -1]), "profile 'quick': each seed must be an int >= 0, got -1"),
        (_set("profiles", "quick", "seeds", []), "profile 'quick': seeds must be a non-empty list"),
        (_set("profiles", "quick", "seeds", 3), "profile 'quick': seeds must be a non-empty list"),
        (_set("profiles", "quick", "episodes", 0), "profile 'quick': episodes must be a positive int, got 0"),
        (_set("columns", 0, "steps", {"quick": 0}), "column 'easy': steps 'quick' must be a positive int, got 0"),
        (_set("columns", 0, "steps", {"quick": "many"}), "column 'easy': steps 'quick' must be a positive int, got 'many'"),
        (_set("columns", 0, "steps", 500), "column 'easy': steps must map profiles"),
        (_set("columns", 0, "steps", {"fast": 10}), "column 'easy': steps names unknown profile 'fast'"),
        (_set("columns", 0, "splits", ["tset"]), "column 'easy': splits must be a non-empty list of"),
        (_set("columns", 0, "env_kwargs", {"split": "test"}), "column 'easy': env_kwargs 'split' cannot be used"),
        (_set("rows", 0, "probe_depths", [0]), "row 'floor': probe_depths must be a positive int, got 0"),
    ],
)
def test_bad_table_spec_values(change, message, capsys, tmp_path):
    path = write_spec(tmp_path, change)
    results, out = tmp_path / "res", tmp_path / "out"
    line = one_error_line(["table", str(path), "--profile", "quick", "--results", str(results), "--out", str(out)], capsys)
    assert line.startswith(f"bench: error: {path}: ") and message in line
    assert not results.exists() and not out.exists()
    with pytest.raises(SpecError):
        load_spec(str(path))


def test_bad_sb3_agent_config_in_a_table(capsys, tmp_path):
    def change(data):
        data["rows"][0].update(agent="ppo", agent_config={"n_steps": "abc"})

    path = write_spec(tmp_path, change)
    argv = ["table", str(path), "--profile", "quick", "--results", str(tmp_path / "res"), "--out", str(tmp_path / "out")]
    line = one_error_line(argv, capsys)
    assert line == f"bench: error: {path}: row 'floor': ppo: n_steps must be an int, got 'abc'"
