"""Table specs and report pages: specs load and expand into runs, claims get verdicts and are
compared with the trivial references, missing runs show as missing, reports regenerate from
records alone."""

import numpy as np
import pytest
import yaml

from bench.cli import main
from bench.cells import collect
from bench.report import render
from bench.store import ResultStore
from bench.tables import SpecError, available, load_spec


def test_every_spec_loads_and_expands_into_runs():
    assert {"readme-rl-maze", "readme-supervised-maze"} <= set(available())
    for name in available():
        spec = load_spec(name)
        for profile in spec.profiles:
            runs = spec.run_specs(profile)
            assert runs and len(runs) == len(spec.cells(profile)) * len(spec.seeds(profile))
            assert len({run.key() for run in runs}) == len(runs)
        assert len(spec.cells("quick")) == len(spec.cells())  # the smoke run touches every cell
    rl = load_spec("readme-rl-maze")
    runs = {(r.agent, r.env_id) for r in rl.run_specs("full")}
    assert ("upi-trm", "trm/MazePath8x8-v0") in runs and ("upi-trm", "trm/Maze8x8-v0") not in runs


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["profiles"].pop("quick"), "profiles \\['quick'\\] missing"),
        (lambda d: d["rows"][0]["claimed"].update(nowhere={"success": 1.0}), "unknown columns"),
        (lambda d: d.update(kind="bandit"), "kind must be one of"),
        (lambda d: d["rows"][0].update(colour="red"), "bad or missing field"),
        (lambda d: d["profiles"]["quick"].pop("steps"), "profile 'quick' needs"),
        (lambda d: d["rows"][0].update(agent="ppo2"), "unknown agent 'ppo2'"),
        (lambda d: d["columns"][0].update(env_kwargs={"masking": "cels"}), "masking must be one of"),
        (lambda d: d["rows"].append({"id": "solver", "label": "solver", "agent": "solver"}), "cannot play trm/MazeOpen5x5-v0"),
        (lambda d: d["rows"].append({"id": "m", "label": "m", "agent": "maskable-ppo"}), "column 'readme': agent 'maskable-ppo' acts only among"),
        (lambda d: d["rows"][0]["claimed"]["readme"].update(unjudged={"params": "x"}), "unjudged must map claimed metrics"),
        (lambda d: d["rows"][0]["claimed"].update(readme=None), "a claim entry must map metrics"),
    ],
)
def test_bad_specs_are_named(tmp_path, change, message):
    data = yaml.safe_load(open("bench/specs/readme-rl-maze.yaml"))
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match=message):
        load_spec(str(path))


def test_a_spec_that_is_not_yaml_is_named(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(str(path))


def test_unknown_table_is_a_usage_error(capsys):
    assert main(["report", "readme-rl-mase"]) == 2
    assert "did you mean 'readme-rl-maze'?" in capsys.readouterr().err


def test_verdicts_by_hand():
    from bench.verdicts import Verdict, judge_claim, judge_count

    def said(judgement):
        return str(judgement)

    assert judge_claim(0.5, np.array([0.4, 0.5, 0.6]), approx=False).verdict is Verdict.HOLDS
    assert said(judge_claim(0.9, np.array([0.4, 0.5, 0.6]), approx=False)) == "does not hold (measured lower)"
    assert said(judge_claim(0.5, np.array([0.5]), approx=False)) == "inconclusive (1 seed)"
    assert said(judge_claim(0.9, np.array([0.5]), approx=False)) == "inconclusive (1 seed)"  # one seed: never a verdict
    # 18 of 50 episodes allow [0.241, 0.499]: three seeds around 0.33 agree with the claim ...
    assert judge_claim(0.36, np.array([0.30, 0.33, 0.35]), approx=False, n=50).verdict is Verdict.HOLDS
    # ... three seeds at 1.0 do not, and a wide spread straddling the range is inconclusive
    assert said(judge_claim(0.36, np.array([1.0, 1.0, 1.0]), approx=False, n=50)) == "does not hold (measured higher)"
    assert judge_claim(0.36, np.array([0.2, 0.6, 0.9]), approx=False, n=50).verdict is Verdict.INCONCLUSIVE
    assert judge_claim(1.0, np.array([0.998, 0.998, 0.998]), approx=True).verdict is Verdict.HOLDS  # "~100%"
    assert said(judge_claim(1.0, np.array([0.97, 0.97, 0.97]), approx=True)) == "does not hold (measured lower)"
    assert judge_count(150000, np.array([616514.0]), approx=True).verdict is Verdict.DOES_NOT_HOLD
    assert judge_count(50000, np.array([52000.0]), approx=True).verdict is Verdict.HOLDS
    assert judge_count(9922, np.array([9922.0]), approx=False).verdict is Verdict.HOLDS


def test_measured_values_are_compared_with_the_floor_not_the_claim():
    """Each reference by the interval of the difference, its own noise counted: one success in
    150 episodes is not told apart from a floor that solved none, though its mean is above it."""
    from bench.intervals import against
    from bench.verdicts import Comparison, Standing, versus_references

    def recs(rates):
        return [{"metrics": {"test": {"success": r, "episodes": 50}}} for r in rates]

    one_win, floor = np.array([0.02, 0.0, 0.0]), np.zeros(3)
    assert against(recs(one_win), recs(floor), "test", "success", one_win, floor) is Comparison.NOT_TOLD_APART
    many, few = np.array([0.6, 0.7, 0.8]), np.array([0.1, 0.1, 0.2])
    assert against(recs(many), recs(few), "test", "success", many, few) is Comparison.AHEAD
    assert against(recs(few), recs(many), "test", "success", few, many) is Comparison.BEHIND
    scores_a, scores_b = np.array([0.30, 0.33, 0.35]), np.array([0.31, 0.33, 0.34])
    assert against(recs(scores_a), recs(scores_b), "test", "score", scores_a, scores_b) is Comparison.NOT_TOLD_APART
    said = versus_references([Standing("floor", 0.2, Comparison.AHEAD, 0.1), Standing("heuristic", 0.9, Comparison.BEHIND, -0.5),
                              Standing("start", 0.3, Comparison.NOT_TOLD_APART, 0.0)])
    assert said == "above the floor (0.200); **below** the heuristic (0.900); **cannot be told apart** from the start (0.300)"
    assert versus_references([Standing("floor", 0.4, Comparison.ONE_SEED, 0.5)]) == "above the floor (0.400) (1 seed)"
    assert versus_references([Standing("floor", 1.0, Comparison.ONE_SEED, 0.0)]) == "**cannot be told apart** from the floor (1.000) (1 seed)"
    assert versus_references([]) == "no trivial reference measured"


def test_missing_runs_show_as_missing_never_zero(tmp_path):
    spec = load_spec("readme-rl-maze")
    page = render(spec, "quick", collect(spec, "quick", ResultStore(tmp_path)))
    assert "| MLP baseline (PPO, actor 128x128) | missing | missing |" in page
    assert "inconclusive (missing)" in page and "0 with current records, 0 stale, 18 missing" in page


def test_quick_supervised_table_runs_then_reports_from_records_alone(tmp_path):
    argv = ["readme-supervised-maze", "--profile", "quick", "--results", str(tmp_path / "r"), "--out", str(tmp_path / "out")]
    assert main(["table", *argv, "--jobs", "2"]) == 0
    page = (tmp_path / "out" / "readme-supervised-maze.md").read_text()
    assert "missing" not in page.split("## Provenance")[0]
    assert "| Transformer, 10x10 | params | ~150,000 |" in page and "does not hold" in page
    assert "**cannot be told apart** from the all-zero predictor" in page  # legacy 10x10: all targets empty
    (tmp_path / "out" / "readme-supervised-maze.md").unlink()
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "r" / "runs").glob("*.json")}
    assert main(["report", *argv]) == 0  # no training: every record is cached and untouched
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "r" / "runs").glob("*.json")} == stamps
    assert (tmp_path / "out" / "readme-supervised-maze.md").read_text() == page


def test_cells_show_the_iqm_from_five_seeds_on():
    from bench.report import summary_cell

    assert "IQM" not in summary_cell(np.array([0.1, 0.2, 0.3]))
    cell = summary_cell(np.array([0.0, 0.2, 0.4, 0.6, 1.0]))
    assert cell.startswith("0.440 +- ") and "IQM 0.400" in cell


def test_index_counts_the_claimed_drift_gains_too(tmp_path):
    from bench.pages import verdict_counts
    from bench.cells import collect
    from bench.report import claim_rows, gain_claims

    spec = load_spec("poster-depth-drift")
    cells = collect(spec, "quick", ResultStore(tmp_path))
    from bench.verdicts import Verdict

    gains = [g for column in spec.columns for g in gain_claims(spec, column, cells)]
    assert gains and all(str(g.judgement) == "inconclusive (missing)" for g in gains)
    absolute = [c for column in spec.columns for c in claim_rows(spec, column, cells)]
    everywhere = [c for c in spec.columns if c.id in spec.gains]  # "lowers drift at every depth", one per claimed column
    assert everywhere and verdict_counts(spec, cells) == {Verdict.INCONCLUSIVE: len(absolute) + len(gains) + len(everywhere)}


def _records(split, **metrics):
    """Per-seed records holding only ``split``'s metrics (what the head-to-head reads)."""
    seeds = len(next(iter(metrics.values())))
    return [{"metrics": {split: {m: v[i] for m, v in metrics.items()}}} for i in range(seeds)]


def test_head_to_head_names_the_strongest_baseline_and_its_gap():
    from bench.cells import Cells
    from bench.comparisons import head_to_head, head_to_head_table, strongest_baseline
    from bench.verdicts import Comparison

    spec = load_spec("fair-baselines")
    column = next(c for c in spec.columns if c.id == "hard-cell")
    cells = Cells()
    cells[("ppo", "hard-cell")] = _records("test", success=[0.0, 0.0, 0.0], score=[-9.0, -9.0, -9.0])
    cells[("maskable-ppo", "hard-cell")] = _records("test", success=[0.1, 0.2, 0.3], score=[-3.0, -2.0, -1.0])
    cells[("maskable-ppo-trm", "hard-cell")] = _records("test", success=[0.2, 0.2, 0.2], score=[-1.0, -1.0, -1.0])
    cells[("upi", "hard-cell")] = _records("test", success=[0.5, 0.6, 0.7], score=[-0.5, -0.4, -0.3])
    assert strongest_baseline(spec, column, cells, "test").id == "maskable-ppo-trm"  # 0.2 = 0.2, score breaks the tie
    results = head_to_head(spec, column, cells)
    assert [(r.baseline, r.strongest) for r in results[::2]] == [
        ("PPO, masked, UPI-TRM's network", True), ("PPO, no mask, MLP", False), ("PPO, masked, MLP", False)]
    success, score = results[:2]
    assert success.baseline == "PPO, masked, UPI-TRM's network" and success.metric == "success (test)"
    assert success.gap[0] == pytest.approx(0.4) and success.gap[1] == pytest.approx(0.3) and success.gap[2] == pytest.approx(0.5)
    assert success.improvement == (1.0, 1.0, 1.0) and success.comparison is Comparison.AHEAD
    assert score.gap[0] == pytest.approx(0.6) and score.comparison is Comparison.AHEAD
    cells[("upi", "hard-cell")] = _records("test", success=[0.0, 0.2, 0.4], score=[-1.5, -1.0, -0.5])
    success = head_to_head(spec, column, cells)[0]
    assert success.comparison is Comparison.NOT_TOLD_APART and success.improvement[0] == 0.5  # loses 3, ties 3, wins 3 of 9 pairs
    table = "\n".join(head_to_head_table(spec, column, cells))
    assert "| UPI-TRM (tuned on val) | **PPO, masked, UPI-TRM's network** (strongest) | success (test) |" in table
    assert "| UPI-TRM (tuned on val) | PPO, no mask, MLP | success (test) |" in table
    cells[("upi", "hard-cell")] = [None, None, None]  # missing records: no comparison, not a zero
    assert head_to_head(spec, column, cells) == []


def test_a_head_to_head_of_unknown_rows_is_named(tmp_path):
    data = yaml.safe_load(open("bench/specs/fair-baselines.yaml"))
    data["head_to_head"]["baselines"].append("maskable-ppo-mlp")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match="unknown rows \\['maskable-ppo-mlp'\\]"):
        load_spec(str(path))


def test_each_factor_change_is_measured_where_both_sides_ran():
    from bench.cells import Cells
    from bench.comparisons import factor_effects, factors_section
    from bench.verdicts import Comparison

    spec = load_spec("fair-baselines")
    cells = Cells()
    for row in spec.rows:
        for column in spec.columns:
            if row.columns is None or column.id in row.columns:
                cells[(row.id, column.id)] = [None, None, None]  # missing: never a change
    cells[("ppo", "hard-cell")] = _records("test", success=[0.0, 0.0, 0.0], score=[4.0, 4.0, 4.0])
    cells[("maskable-ppo", "hard-cell")] = _records("test", success=[0.0, 0.0, 0.0], score=[8.0, 9.0, 10.0])
    cells[("ppo", "hard-constraint")] = _records("test", success=[0.1, 0.1, 0.1], score=[5.0, 5.0, 5.0])
    cells[("ppo", "hard-constraint-progress")] = [
        {"metrics": {"test": {"success": s, "score": 5.0}, "test-sampled": {"success": 0.5, "score": 6.0}}} for s in (0.0, 0.1, 0.2)
    ]
    effects = factor_effects(spec, cells)
    assert [(e.change, e.where, e.metric) for e in effects] == [
        ("the env's mask (PPO -> MaskablePPO)", spec.columns[0].label, "success (test)"),
        ("the env's mask (PPO -> MaskablePPO)", spec.columns[0].label, "score (test)"),
        ("reward=progress (4x4 Hard)", "PPO, no mask, MLP", "success (test)"),
        ("reward=progress (4x4 Hard)", "PPO, no mask, MLP", "score (test)"),
    ]  # the sampled split only where both sides have it
    mask_success, mask_score, reward_success, reward_score = effects
    assert mask_success.difference == (0.0, 0.0, 0.0) and mask_success.comparison is Comparison.NOT_TOLD_APART
    assert mask_score.difference[0] == pytest.approx(5.0) and mask_score.comparison is Comparison.AHEAD
    assert (reward_success.before, reward_success.after) == (pytest.approx(0.1), pytest.approx(0.1))
    assert reward_score.comparison is Comparison.NOT_TOLD_APART
    page = "\n".join(factors_section(spec, cells))
    assert "| the env's mask (PPO -> MaskablePPO) |" in page and "| raises it |" in page and "no measurable change" in page


def test_a_factor_of_unknown_rows_is_named(tmp_path):
    data = yaml.safe_load(open("bench/specs/fair-baselines.yaml"))
    data["factors"]["changes"].append({"name": "x", "rows": ["ppo", "ppo-masked"]})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match="factor 'x' names unknown rows \\['ppo-masked'\\]"):
        load_spec(str(path))
    data["factors"]["changes"][-1] = {"name": "x", "rows": ["ppo"]}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match="rows: \\[before, after\\]"):
        load_spec(str(path))


def test_the_thorough_profile_runs_the_headline_cells_at_ten_seeds(tmp_path, capsys):
    spec = load_spec("poster-4x4-feasibility")
    runs = spec.run_specs("thorough")
    assert {r.seed for r in runs} == set(range(10))
    assert {(r.env_id, r.env_kwargs.get("masking")) for r in runs} == {
        ("trm/Sudoku4x4-Easy-v0", "cell"), ("trm/Sudoku4x4-Easy-v0", "constraint"),
        ("trm/Sudoku4x4-Hard-v0", "cell"), ("trm/Sudoku4x4-Hard-v0", "constraint"),
    }
    assert {r.steps for r in runs if "Hard" in r.env_id} == {20000}
    assert not any(r.agent in ("ppo", "a2c", "dqn") for r in runs)  # the unmasked rows stay in full
    drift = load_spec("poster-depth-drift")  # derived: the thorough rows of its own table
    assert drift.profiles["thorough"]["rows"] == ["poster-upi", "poster-upi-free"]
    assert {r.key() for r in drift.run_specs("thorough")} <= {r.key() for r in runs}
    page = render(spec, "thorough", collect(spec, "thorough", ResultStore(tmp_path)))
    assert "## 4x4 Hard (6-8 empty), suite rules" in page and "| PPO (no mask, tuned) |" not in page
    full = render(spec, "full", collect(spec, "full", ResultStore(tmp_path)))  # the poster's MDP only
    assert "## 4x4 Hard (6-8 empty), the poster's MDP" in full and "## 4x4 Hard (6-8 empty), suite rules" not in full
    assert "| PPO (no mask, tuned) |" in full
    argv = ["readme-supervised-maze", "--profile", "thorough", "--results", str(tmp_path), "--out", str(tmp_path / "out")]
    assert main(["report", *argv]) == 2
    assert "readme-supervised-maze has no 'thorough' profile (tables with one: budget-curves, fair-baselines, " \
        "poster-4x4-feasibility, poster-9x9, poster-depth-drift, readme-rl-maze)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"steps": 8, "seeds": [0], "rows": ["mlp", "nobody"]}, "rows must be a non-empty list of the table's rows"),
        ({"steps": 8, "seeds": [0], "columns": []}, "columns must be a non-empty list"),
    ],
)
def test_a_profile_picking_unknown_cells_is_named(tmp_path, profile, message):
    data = yaml.safe_load(open("bench/specs/readme-rl-maze.yaml"))
    data["profiles"]["thorough"] = profile
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match=message):
        load_spec(str(path))
    data["profiles"]["nightly"] = data["profiles"].pop("thorough")
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError, match="unknown profiles \\['nightly'\\]"):
        load_spec(str(path))


def test_budget_curves_say_where_each_row_reaches_the_reference(tmp_path):
    from bench.cells import Cells
    from bench.comparisons import budget_reach
    from bench.report import curves_section

    spec = load_spec("budget-curves")
    cells = Cells()
    cells[("upi", "hard-20k")] = _records("test", success=[0.5, 0.6, 0.7], score=[10.0, 11.0, 12.0])
    cells[("maskable-ppo", "hard-5k")] = _records("test", success=[0.0, 0.0, 0.0], score=[4.0, 4.0, 4.0])
    cells[("maskable-ppo", "hard-10k")] = _records("test", success=[0.1, 0.1, 0.1], score=[12.0, 12.0, 12.0])
    cells[("maskable-ppo", "hard-20k")] = [None, None, None]  # missing: skipped, never a zero
    cells[("maskable-ppo", "hard-50k")] = _records("test", success=[0.4, 0.6, 0.8], score=[12.0, 12.0, 12.0])
    for column in ("hard-5k", "hard-200k"):
        cells[("maskable-dqn", column)] = _records("test", success=[0.0, 0.0, 0.0], score=[1.0, 2.0, 3.0])
    cells[("random", "hard-200k")] = _records("test", success=[0.0, 0.0, 0.0], score=[0.0, 0.0, 0.0])
    reach = {(r.row, r.metric): r for r in budget_reach(spec, cells, "thorough")}
    ppo, dqn = reach[("PPO (masked, tuned)", "success (test)")], reach[("DQN (masked, tuned)", "success (test)")]
    assert (ppo.target, ppo.target_budget, ppo.reached_at, ppo.value_there) == (pytest.approx(0.6), 20000, 50000, pytest.approx(0.6))
    assert reach[("PPO (masked, tuned)", "score (test)")].reached_at == 10000  # 12 against 11: ahead
    assert dqn.reached_at is None and dqn.largest_budget == 200000
    assert not any(r.row.startswith("random") for r in reach.values())  # the floor is drawn, not judged
    assert not any(r.curve.startswith("9x9") for r in reach.values())  # no 9x9 run: no answer there
    cells[("maskable-ppo-trm", "hard-5k")] = _records("test", success=[0.0], score=[1.0])
    single = [r for r in budget_reach(spec, cells, "thorough") if r.row == "PPO (masked, UPI-TRM's network)"]
    assert single and all(r.one_seed and r.reached_at is None for r in single)
    page = "\n".join(curves_section(spec, cells, "thorough", None))
    assert "| PPO (masked, UPI-TRM's network) | success (test) | 0.600 at 20,000 | one seed: no interval |" in page
    page = "\n".join(curves_section(spec, cells, "thorough", tmp_path / "figures"))
    assert "| PPO (masked, tuned) | success (test) | 0.600 at 20,000 | 50,000 (0.600) |" in page
    assert "| DQN (masked, tuned) | success (test) | 0.600 at 20,000 | not within 200,000 |" in page
    assert (tmp_path / "figures" / "budget-curves-curve1-success.png").stat().st_size > 0  # 4x4 Hard, the second curve
    for empty in (0, 2):  # no 4x4 Easy or 9x9 record: nothing drawn
        assert not (tmp_path / "figures" / f"budget-curves-curve{empty}-success.png").exists()


def test_the_index_counts_where_upi_trm_stands(tmp_path):
    from bench.cells import Cells
    from bench.pages import WallTimes, head_to_head_counts, index_page
    from bench.verdicts import Comparison

    spec = load_spec("fair-baselines")
    cells = Cells()
    cells[("maskable-ppo", "hard-cell")] = _records("test", success=[0.0, 0.0, 0.0], score=[6.0, 7.0, 8.0])
    cells[("upi", "hard-cell")] = _records("test", success=[0.8, 0.9, 0.85], score=[6.5, 7.0, 7.5])
    assert head_to_head_counts(spec, cells) == {Comparison.AHEAD: 1, Comparison.NOT_TOLD_APART: 1}
    page = index_page([spec], "full", {spec.name: cells}, WallTimes([], 0), [])
    assert "ahead / not told apart / behind" in page and "| 1 / 1 / 0 |" in page


def test_a_success_claims_interval_counts_each_seeds_episodes():
    """Three seeds at 40 of 50 against a claim of 0.907 on 150 episodes (band [0.85, 0.94]): the
    seeds alone read [0.80, 0.80] and reject it; with each seed's 50 episodes the interval reaches
    the band, and the verdict waits for more seeds. The same interval is shown in the cell."""
    from bench.cells import Cells
    from bench.report import claim_rows, metric_cell
    from bench.stats import success_interval
    from bench.verdicts import Verdict

    spec = load_spec("poster-4x4-feasibility")
    column = next(c for c in spec.columns if c.id == "easy-cell")
    cells = Cells()
    cells[("poster-upi", "easy-cell")] = _records("test", success=[0.8, 0.8, 0.8])
    claim = next(c for c in claim_rows(spec, column, cells) if c.row == "UPI-TRM, the poster's config (L_z = 0.9)")
    assert claim.judgement.verdict is Verdict.DOES_NOT_HOLD and "[0.800, 0.800]" in claim.measured  # no episode counts
    cells[("poster-upi", "easy-cell")] = _records("test", success=[0.8, 0.8, 0.8], episodes=[50, 50, 50])
    claim = next(c for c in claim_rows(spec, column, cells) if c.row == "UPI-TRM, the poster's config (L_z = 0.9)")
    low, high = success_interval(np.array([0.8] * 3), np.array([50] * 3))
    assert low < 0.8 < 0.85 < high
    assert claim.judgement.verdict is Verdict.INCONCLUSIVE and f"[{low:.3f}, {high:.3f}]" in claim.measured
    assert metric_cell(cells[("poster-upi", "easy-cell")], "test", "success").endswith(f"[{low:.3f}, {high:.3f}]")


def test_scores_and_deltas_stand_beside_the_start_board_and_n_counts_only_episodes():
    """The 9x9 claims carry n (episodes behind the success rate): a score claim is judged as a
    score, not as a proportion of n. A score and a delta are compared with the start board (score
    minus delta; delta 0): a row that ends where it started cannot be told apart from it."""
    from bench.cells import Cells
    from bench.report import START_BOARD, claim_rows
    from bench.verdicts import Verdict

    spec = load_spec("poster-9x9")
    column = next(c for c in spec.columns if c.id == "poster")
    claimed = next(r for r in spec.rows if r.id == "maskable-a2c").claimed["poster"]
    assert claimed["n"] > 0
    cells = Cells()
    start = [20.0, 21.0, 22.0]
    cells[("maskable-a2c", "poster")] = _records("test", success=[0.0] * 3, episodes=[50] * 3, delta=[-1.0, 0.0, 1.0],
                                                 score=[s + d for s, d in zip(start, [-1.0, 0.0, 1.0])])
    ppo_claim = next(r for r in spec.rows if r.id == "maskable-ppo").claimed["poster"]["score"]
    cells[("maskable-ppo", "poster")] = _records("test", success=[0.0] * 3, episodes=[50] * 3, delta=[2.0] * 3,
                                                 score=[ppo_claim] * 3)
    claims = {(c.row, c.metric): c for c in claim_rows(spec, column, cells)}
    a2c_score, a2c_delta = claims[("A2C (masked, tuned)", "score (test)")], claims[("A2C (masked, tuned)", "delta (test)")]
    assert f"**cannot be told apart** from the {START_BOARD} ({np.mean(start):.3f})" in a2c_score.versus
    assert f"**cannot be told apart** from the {START_BOARD} (0.000)" in a2c_delta.versus
    assert "most-constrained" not in a2c_score.versus  # no record of the heuristic: not a reference yet
    cells[("most-constrained", "poster")] = _records("test", success=[0.5] * 3, episodes=[50] * 3, delta=[9.0] * 3, score=[90.0] * 3)
    claims = {(c.row, c.metric): c for c in claim_rows(spec, column, cells)}
    assert "**below** the most-constrained cell (greedy heuristic) (90.000)" in claims[("A2C (masked, tuned)", "score (test)")].versus
    ppo = claims[("PPO (masked, tuned)", "score (test)")]
    assert ppo.judgement.verdict is Verdict.HOLDS and f"above the {START_BOARD}" in ppo.versus
    assert claims[("PPO (masked, tuned)", "success (test)")].judgement.verdict is Verdict.HOLDS  # 0 of 150, claim 0


def test_a_page_names_what_its_profile_does_not_run():
    from bench.report import not_run_here

    spec = load_spec("fair-baselines")
    line = " ".join(not_run_here(spec, "full"))
    assert line.startswith("Not run under the `full` profile") and "the `thorough` profile runs them" in line
    run = {c.id for _, c in spec.cells("full")}
    assert run and all((f'"{c.label}"' in line) == (c.id not in run) for c in spec.columns)
    assert not_run_here(spec, "thorough") == []
    nine = " ".join(not_run_here(load_spec("poster-9x9"), "full"))
    assert "the rows \"PPO (masked, UPI-TRM's network)\"" in nine


def test_a_claim_this_suite_cannot_test_is_inconclusive_with_its_reason():
    from bench.cells import Cells
    from bench.report import claim_rows
    from bench.verdicts import Verdict

    spec = load_spec("readme-rl-maze")
    column = next(c for c in spec.columns if c.id == "readme")
    row = next(r for r in spec.rows if r.id == "trm-k5")
    reason = row.claimed["readme"]["unjudged"]["actor_params"]
    cells = Cells()
    cells[("trm-k5", "readme")] = [{"actor_params": row.claimed["readme"]["actor_params"] - 1, "metrics": {}}] * 3
    claim = next(c for c in claim_rows(spec, column, cells) if c.metric == "actor_params")
    assert claim.judgement.verdict is Verdict.INCONCLUSIVE and claim.judgement.reason == f"not testable here: {reason}"


def test_drift_falls_everywhere_only_when_every_ratio_interval_lies_above_one():
    from bench.report import Gain, lowers_everywhere
    from bench.verdicts import Verdict

    def gain(low, high, seeds=3, metric="delta_v@16", joint=None):
        return Gain(metric, None, "", None, (low, high), seeds, joint)

    assert lowers_everywhere([gain(1.5, 9.0), gain(2.0, 3.0)]).verdict is Verdict.HOLDS
    assert str(lowers_everywhere([gain(0.2, 0.9, metric="delta_pi@8")])) == "does not hold (the drift rises at delta_pi@8)"
    # one of two ratios below 1 at 95% but not once corrected for the two: cannot tell
    rises = gain(0.2, 0.9, metric="delta_pi@8", joint=(0.15, 1.1))
    assert lowers_everywhere([gain(1.5, 9.0, joint=(1.2, 11.0)), rises]).verdict is Verdict.INCONCLUSIVE
    lower = gain(0.2, 0.9, metric="delta_pi@8", joint=(0.15, 0.95))
    assert str(lowers_everywhere([gain(1.5, 9.0, joint=(1.2, 11.0)), lower])) == (
        "does not hold (the drift rises at delta_pi@8, its interval corrected for the 2 ratios below 1)")
    assert lowers_everywhere([gain(1.5, 9.0), gain(0.8, 3.0)]).verdict is Verdict.INCONCLUSIVE
    assert str(lowers_everywhere([gain(1.5, 9.0, seeds=1)])) == "inconclusive (1 seed)"
    assert lowers_everywhere([Gain("delta_v@4", None, "missing", None)]).verdict is Verdict.INCONCLUSIVE


def test_a_greedy_evaluation_counts_each_distinct_puzzle_once():
    """The open 5x5 grid has one layout per split: greedy play replays it, so 100 greedy episodes
    are one independent episode per seed; sampled ones are 100."""
    from bench.intervals import independent_episodes

    spec = {"env_id": "trm/MazeOpen5x5-v0", "env_kwargs": {}}
    records = [{"spec": spec, "metrics": {s: {"success": 1.0, "episodes": 100} for s in ("test", "test-sampled")}}] * 3
    assert list(independent_episodes(records, "test", "success")) == [1, 1, 1]
    assert list(independent_episodes(records, "test-sampled", "success")) == [100, 100, 100]
    assert independent_episodes(records, "test", "score") is None
    sudoku = [{"spec": {"env_id": "trm/Sudoku4x4-Easy-v0", "env_kwargs": {}}, "metrics": {"test": {"success": 1.0, "episodes": 20}}}]
    assert list(independent_episodes(sudoku, "test", "success")) == [20]  # fewer episodes than puzzles: all distinct


def test_the_ratios_of_every_depth_carry_a_wider_joint_interval():
    from bench.cells import Cells
    from bench.report import depth_gains

    spec = load_spec("poster-depth-drift")
    column = spec.columns[0]
    depths = spec.rows[0].probe_depths

    def drifts(scale):
        return [{"drift": [{"depth": d, "delta_v": scale * (1 + s) * d, "delta_pi": scale * (2 + s)} for d in depths], "metrics": {}}
                for s in range(3)]

    cells = Cells()
    cells[(spec.rows[0].id, column.id)] = drifts(3.0)
    cells[(spec.rows[1].id, column.id)] = drifts(1.0)
    measured = [g for _, gs in depth_gains(spec, column, cells) for g in gs]
    assert len(measured) == 2 * len(depths) > 1
    for g in measured:  # the Bonferroni interval holds the 95% one
        assert g.joint[0] <= g.bounds[0] <= g.bounds[1] <= g.joint[1]
    assert any(g.joint != g.bounds for g in measured)
