"""bench/plots.py: every figure is a real PNG when there are records, and nothing when there are none.

Records are built by hand in the shape ``bench.runner.run`` (RL runs: ``metrics``, ``curve``,
``drift``) and ``bench.supervised.SupervisedSpec.execute`` (``metrics`` with the trivial
predictors' ``zero_`` / ``const_`` entries) return.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import pytest  # noqa: E402

from bench import plots  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def rl_record(agent, seed, curve, drift=None):
    """A record shaped like ``bench.runner.run``'s; ``curve`` is ``[(steps, success, score), ...]``
    and the last point is also the final test metric."""
    points = [{"steps": s, "success": ok, "score": sc, "delta": sc - 10.0, "episodes": 10} for s, ok, sc in curve]
    final = {k: v for k, v in points[-1].items() if k != "steps"}
    return {
        "key": f"{agent}-{seed}",
        "spec": {"agent": agent, "env_id": "trm/Sudoku4x4-Easy-v0", "steps": curve[-1][0], "seed": seed},
        "label": f"{agent} on trm/Sudoku4x4-Easy-v0 seed {seed}",
        "metrics": {"test": final},
        "curve": points,
        "drift": drift,
        "steps_done": curve[-1][0],
        "checker_calls": 0,
        "params": 0,
        "train_time_s": 0.1,
        "eval_time_s": 0.1,
    }


def learned(seed, shift=0.0):
    return rl_record("upi-trm", seed, [(64, 0.1 + shift, 9.0), (128, 0.3 + shift, 11.0), (192, 0.5 + shift, 12.5), (256, 0.6 + shift, 13.0)])


def reference(agent, seed, success):
    return rl_record(agent, seed, [(0, success, 12.0)])  # references: one curve point, nothing learned


def drift_record(seed, scale=1.0):
    rows = [
        {
            "depth": d,
            "delta_v": scale * 0.01 * d,
            "delta_pi": scale * 0.001 * d,
            "delta_z": 0.1 * d,
            "agreement": 1.0 - 0.01 * d,
            "agreement_low": 0.9 - 0.01 * d,
            "agreement_high": 1.0,
        }
        for d in (4, 8, 16)
    ]
    return rl_record("upi-trm", seed, [(128, 0.2, 10.0)], drift=rows)


def supervised_record(model, seed, exact, per_cell):
    test = {
        "exact_acc": exact,
        "per_cell_acc": per_cell,
        "zero_exact_acc": 0.0,
        "zero_per_cell_acc": 0.7,
        "const_exact_acc": 0.02,
        "const_per_cell_acc": 0.72,
    }
    return {
        "key": f"{model}-{seed}",
        "kind": "supervised",
        "spec": {"model": model, "size": 8, "seed": seed},
        "label": f"{model} on 8x8 mazes (corrected) seed {seed}",
        "metrics": {"test": test, "train": dict(test)},
        "params": 1000,
        "epochs": 1,
        "train_time_s": 0.1,
    }


def assert_real_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 2000
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 200
    rgb = image[..., :3]
    saturated = (rgb.max(axis=2) - rgb.min(axis=2)) > 0.25  # lines and bars; axes and text are grey
    assert saturated.sum() > 100, "no data drawn: only grey axes and text"


def test_learning_curves_draw_curves_and_reference_levels(tmp_path):
    rows = [
        ("UPI-TRM", [learned(0), learned(1, 0.1), None]),  # a missing seed is skipped
        ("random (masked)", [reference("random-masked", 0, 0.4), reference("random-masked", 1, 0.5)]),
    ]
    path = tmp_path / "figures" / "nested" / "curves.png"  # folders are created
    assert plots.learning_curves(rows, "success", "4x4 Easy", path) is True
    assert_real_png(path)
    only_levels = tmp_path / "levels.png"
    assert plots.learning_curves(rows[1:], "success", "references only", only_levels) is True
    assert_real_png(only_levels)
    assert only_levels.read_bytes() != path.read_bytes()


def test_figures_are_reproducible_and_follow_the_data(tmp_path):
    rows = [("UPI-TRM", [learned(0), learned(1, 0.1)]), ("solver", [reference("solver", 0, 1.0)])]
    a, b, c = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    plots.learning_curves(rows, "success", "t", a)
    plots.learning_curves(rows, "success", "t", b)
    assert a.read_bytes() == b.read_bytes()  # seeded bands, no timestamp: committed figures do not churn
    changed = [("UPI-TRM", [learned(0, 0.3), learned(1, 0.35)]), rows[1]]
    plots.learning_curves(changed, "success", "t", c)
    assert c.read_bytes() != a.read_bytes()


def test_drift_curves_draw_both_panels(tmp_path):
    rows = [("TRM n=2", [drift_record(0), drift_record(1, 1.5)]), ("TRM L_z=0.5", [drift_record(0, 0.2), None])]
    path = tmp_path / "drift.png"
    assert plots.drift_curves(rows, "depth drift", path) is True
    assert_real_png(path)
    image = mpimg.imread(path)
    assert image.shape[1] > image.shape[0]  # two panels side by side


def test_accuracy_bars_draw_model_and_trivial_predictors(tmp_path):
    rows = [
        ("CNN", [supervised_record("cnn", 0, 0.3, 0.9), supervised_record("cnn", 1, 0.35, 0.92)]),
        ("TRM", [supervised_record("trm", 0, 0.5, 0.95), None]),
    ]
    trivial = {"zero": "all-zero predictor", "const": "constant predictor"}
    path = tmp_path / "bars.png"
    assert plots.accuracy_bars(rows, ["per_cell_acc", "exact_acc"], trivial, "8x8 mazes", path) is True
    assert_real_png(path)


MISSING = [("UPI-TRM", [None, None]), ("random (masked)", [None])]


@pytest.mark.parametrize("rows", [MISSING, []], ids=["all-missing", "no-rows"])
def test_nothing_to_draw_returns_false_and_writes_nothing(tmp_path, rows):
    trivial = {"zero": "all-zero predictor", "const": "constant predictor"}
    calls = {
        "curves": lambda p: plots.learning_curves(rows, "success", "t", p),
        "drift": lambda p: plots.drift_curves(rows, "t", p),
        "bars": lambda p: plots.accuracy_bars(rows, ["exact_acc"], trivial, "t", p),
    }
    for name, draw in calls.items():
        path = tmp_path / "figures" / f"{name}.png"
        assert draw(path) is False, name
        assert not path.exists(), name
    assert not (tmp_path / "figures").exists()


def test_drift_without_probe_results_draws_nothing(tmp_path):
    """Runs without ``probe_depths`` store ``drift: None``: there is nothing to plot."""
    rows = [("UPI-TRM", [learned(0), learned(1)])]
    path = tmp_path / "drift.png"
    assert plots.drift_curves(rows, "t", path) is False
    assert not path.exists()
