"""Progress in logs: off a terminal, ``bench run`` / ``bench supervised`` print one plain line
per finished run (count, duration, time left) and no tqdm bar; on a terminal, bars."""

import re
import subprocess
import sys

import pytest

from bench.executors import Progress, duration

TQDM_BAR = re.compile(r"\d+%\||it/s|s/it|step/s|run/s")


def bench(*args: str, timeout: float = 300) -> str:
    """Run the real ``bench`` CLI with stdout and stderr to one pipe (not a terminal); its output."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    return done.stdout


def assert_plain(out: str) -> None:
    assert "\r" not in out, "a carriage return: a progress bar was drawn into the log"
    assert not TQDM_BAR.search(out), out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_bench_run_prints_one_line_per_finished_run_into_a_log(tmp_path, jobs):
    out = bench(
        "run", "--agent", "random-masked", "--env", "trm/Sudoku4x4-Easy-v0", "--steps", "16",
        "--seeds", "0", "1", "--episodes", "2", "--results", str(tmp_path), "--jobs", jobs,
    )
    assert_plain(out)
    lines = out.splitlines()
    done = [line for line in lines if line.startswith("[")]
    label = r"random-masked on trm/Sudoku4x4-Easy-v0 seed [01]"
    assert len(done) == 2
    assert re.fullmatch(rf"\[1/2\] done {label} \([\d.]+ (s|min|h)\); about [\d.]+ (s|min|h) left", done[0]), done
    assert re.fullmatch(rf"\[2/2\] done {label} \([\d.]+ (s|min|h)\)", done[1]), done
    assert {d.split(" seed ")[1][0] for d in done} == {"0", "1"}
    assert f"running 2 of 2 runs, {jobs} at a time" in lines
    assert "| random-masked |" in out  # the summary still follows

    again = bench(  # one more seed: the stored runs are counted as done
        "run", "--agent", "random-masked", "--env", "trm/Sudoku4x4-Easy-v0", "--steps", "16",
        "--seeds", "0", "1", "2", "--episodes", "2", "--results", str(tmp_path),
    )
    assert_plain(again)
    assert "running 1 of 3 runs (2 already stored), 1 at a time" in again.splitlines()
    assert [line for line in again.splitlines() if line.startswith("[")][0].startswith("[3/3] done random-masked")


def test_bench_supervised_prints_no_epoch_bars_into_a_log(tmp_path):
    out = bench(
        "supervised", "--model", "cnn", "--size", "8", "--data", "corrected", "--seeds", "0",
        "--epochs", "1", "--results", str(tmp_path),
    )
    assert_plain(out)
    assert re.search(r"^\[1/1\] done cnn on 8x8 mazes \(corrected\) seed 0 \([\d.]+ (s|min|h)\)$", out, re.M), out


def test_time_left_is_the_estimate_given_when_there_is_one(capsys):
    progress = Progress(total=3, done=0, jobs=1, terminal=False)
    progress.update("big", 100.0, seconds_left=750.0)
    progress.update("small", 10.0)  # no estimate: the mean duration (55 s) times the one run left
    progress.close()
    err = capsys.readouterr().err.splitlines()
    assert err[1:] == ["[1/3] done big (1.7 min); about 12.5 min left", "[2/3] done small (10 s); about 55 s left"]


def test_time_left_is_the_mean_duration_times_the_runs_left_over_the_jobs(capsys):
    progress = Progress(total=5, done=1, jobs=2, terminal=False)
    progress.update("a", 10.0)  # mean 10 s, 3 left on 2 jobs
    progress.update("b", 30.0)  # mean 20 s, 2 left on 2 jobs
    progress.update("c", 20.0)  # mean 20 s, 1 left: one job
    progress.update("d", 600.0)
    progress.close()
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "running 4 of 5 runs (1 already stored), 2 at a time",
        "[2/5] done a (10 s); about 15 s left",
        "[3/5] done b (30 s); about 20 s left",
        "[4/5] done c (20 s); about 20 s left",
        "[5/5] done d (10.0 min)",
    ]


def test_duration_reads_naturally():
    assert [duration(s) for s in (0.42, 41, 750, 2.3 * 3600)] == ["0.4 s", "41 s", "12.5 min", "2.3 h"]


def test_a_terminal_gets_a_bar_and_no_lines(capsys):
    progress = Progress(total=2, done=0, jobs=1, terminal=True)
    progress.update("a", 1.0)
    progress.close()
    err = capsys.readouterr().err
    assert "[1/2]" not in err and "runs" in err  # tqdm's bar, labelled "runs"
