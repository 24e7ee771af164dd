"""UPI-TRM: contraction by construction, projection, exact centring, mixture/distillation,
bootstrap targets, the depth probe, and a short real training run."""

import numpy as np
import pytest
import torch

from agents.registry import make_agent
from agents.upi_trm.boards import GridBoard, SudokuBoard
from agents.upi_trm.network import TinyRecursiveModel
from agents.upi_trm.probe import depth_drift, frozen_states
from agents.upi_trm.upi import (
    bootstrap_targets,
    candidate_policy,
    centred_advantages,
    conservative_mixture,
    mixture_kl,
    sample_without_replacement,
    UPIConfig,
)
from bench.runner import RunSpec, evaluate

GAMMA = 0.99


def sample_norm(z):
    """Per-sample Frobenius norm of a cell-major ``(C, B, d)`` latent."""
    return z.square().sum(dim=(0, 2)).sqrt()


def empirical_lipschitz(net, n_cells, d, trials=64, ascent_steps=30):
    """Largest ||f(z1) - f(z2)|| / ||z1 - z2|| found by random pairs refined by gradient ascent
    (cell-major latents ``(C, B, d)``)."""
    torch.manual_seed(0)
    e = torch.randn(n_cells, trials, d)
    z1 = torch.randn(n_cells, trials, d, requires_grad=True)
    z2 = (z1.detach() + 0.1 * torch.randn(n_cells, trials, d)).requires_grad_(True)
    opt = torch.optim.Adam([z1, z2], lr=0.05)
    best = 0.0
    for _ in range(ascent_steps):
        mats = net.mixing_matrices()
        f1, f2 = net.latent_step(z1, e, mats), net.latent_step(z2, e, mats)
        ratio = sample_norm(f1 - f2) / sample_norm(z1 - z2).clamp_min(1e-9)
        best = max(best, float(ratio.max().detach()))
        opt.zero_grad()
        (-ratio.sum()).backward()
        opt.step()
    return best


@pytest.mark.parametrize("board", [SudokuBoard(2), SudokuBoard(3), GridBoard(8)], ids=["4x4", "9x9", "grid8"])
def test_contraction_holds_by_construction_and_fails_without_it(board):
    d = 16
    net = TinyRecursiveModel(board, d, contraction=0.9, radius=0)
    with torch.no_grad():
        for w in net.mix.values():
            w.mul_(5.0)  # large raw weights: only the construction keeps the bound
    assert net.lipschitz_bound() <= 0.9 + 1e-5
    assert empirical_lipschitz(net, board.cells, d) <= 0.9 + 1e-4
    free = TinyRecursiveModel(board, d, contraction=None, radius=0)
    free.load_state_dict(net.state_dict())
    assert empirical_lipschitz(free, board.cells, d) > 1.0


def test_projection_bounds_the_latent_norm_and_zero_radius_is_off():
    net = TinyRecursiveModel(SudokuBoard(2), 8, contraction=None, radius=1.5)
    z = torch.randn(16, 5, 8) * 10
    assert torch.all(sample_norm(net.project(z)) <= 1.5 + 1e-5)
    small = torch.full((16, 1, 8), 0.01)
    assert torch.equal(net.project(small), small)
    net.radius = 0
    assert torch.equal(net.project(z), z)


def test_advantages_are_exactly_centred_under_pi():
    rng = np.random.default_rng(0)
    mask = rng.random((6, 10)) < 0.5
    mask[:, 0] = True
    state, action = np.nonzero(mask)
    logits = np.where(mask, rng.normal(size=mask.shape), -np.inf)
    pi = np.exp(logits - logits.max(1, keepdims=True))
    pi /= pi.sum(1, keepdims=True)
    q = rng.normal(size=len(state)) * 10
    adv = centred_advantages(state, q, pi[state, action], 6)
    per_state = np.zeros(6)
    np.add.at(per_state, state, pi[state, action] * adv)
    assert np.allclose(per_state, 0.0, atol=1e-10)
    # on a scored subset: centred under pi restricted to it (the completed Q of the rest)
    subset = sample_without_replacement(np.log(pi, where=mask, out=np.full_like(pi, -np.inf)), mask, 2, rng)
    assert subset.sum(1).max() == 2 and not np.any(subset & ~mask)
    s_state, s_action = np.nonzero(subset)
    sub_q = rng.normal(size=len(s_state))
    sub_adv = centred_advantages(s_state, sub_q, pi[s_state, s_action], 6)
    per_state = np.zeros(6)
    np.add.at(per_state, s_state, pi[s_state, s_action] * sub_adv)
    assert np.allclose(per_state, 0.0, atol=1e-10)


def test_lookahead_subset_is_drawn_from_pi_without_replacement():
    rng = np.random.default_rng(0)
    mask = np.array([[True, True, True, True, False], [True, False, False, False, False]])
    pi = np.array([[0.7, 0.1, 0.1, 0.1, 0.0], [1.0, 0, 0, 0, 0]])
    with np.errstate(divide="ignore"):
        log_pi = np.log(pi)
    counts = np.zeros(5)
    for _ in range(2000):
        subset = sample_without_replacement(log_pi, mask, 2, rng)
        assert subset[0].sum() == 2 and subset[1].tolist() == [True, False, False, False, False]
        counts += subset[0]
    # P(a0 among 2 draws without replacement) = 0.7 + 3 * 0.1 * 0.7 / 0.9 = 0.933...
    assert counts[0] / 2000 == pytest.approx(0.7 + 0.3 * 0.7 / 0.9, abs=0.03)
    assert counts[4] == 0
    assert sample_without_replacement(log_pi, mask, 0, rng) is mask


def test_candidate_and_mixture():
    state = np.array([0, 0, 0, 1, 1])
    action = np.array([1, 3, 4, 0, 2])
    adv = np.array([0.5, 2.0, 2.0, -1.0, -3.0])
    greedy = candidate_policy(state, action, adv, (2, 5), 0.0)
    assert greedy.tolist() == [[0, 0, 0, 1, 0], [1, 0, 0, 0, 0]]
    soft = candidate_policy(state, action, adv, (2, 5), 1.0)
    assert np.allclose(soft.sum(1), 1) and soft[0, 3] == pytest.approx(soft[0, 4]) and soft[0, 0] == 0
    pi = np.array([[0, 0.5, 0, 0.25, 0.25], [0.5, 0, 0.5, 0, 0]])
    prior = candidate_policy(state, action, adv, (2, 5), 0.5, np.log(pi[state, action]))
    # pi exp(A / T): state 0 weights 0.5 e^1, 0.25 e^4, 0.25 e^4; state 1 0.5 e^-2, 0.5 e^-6
    assert prior[0, 1] / prior[0, 3] == pytest.approx(2 * np.exp(-3))
    assert prior[1, 0] / prior[1, 2] == pytest.approx(np.exp(4)) and np.allclose(prior.sum(1), 1)
    mix = conservative_mixture(pi, greedy, 0.3)
    assert np.allclose(mix.sum(1), 1)
    assert mix[0, 3] == pytest.approx(0.7 * 0.25 + 0.3) and mix[1, 2] == pytest.approx(0.35)


def test_distillation_reduces_the_kl_to_the_mixture():
    """Distilling a mixture of two TRM policies (a realisable target) into one of them."""
    torch.manual_seed(0)
    obs, mask = (torch.as_tensor(a) for a in frozen_states("trm/Sudoku4x4-Hard-v0", {}, np.arange(32)))
    net, other = (TinyRecursiveModel(SudokuBoard(2), 16, contraction=0.9, radius=10) for _ in range(2))
    with torch.no_grad():
        target = 0.5 * net(obs, mask, 2)[1].exp() + 0.5 * other(obs, mask, 2)[1].exp()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = float(mixture_kl(target, net(obs, mask, 2)[1]).detach())
    for _ in range(100):
        loss = mixture_kl(target, net(obs, mask, 2)[1])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.5 * first


def test_bootstrap_targets_by_hand():
    r = np.array([[1.0], [2.0], [3.0]])
    done = np.array([[False], [True], [False]])
    v_next = np.array([[10.0], [0.0], [5.0]])
    one = bootstrap_targets(r, done, v_next, 1, GAMMA)
    assert np.allclose(one[:, 0], [1 + GAMMA * 10, 2, 3 + GAMMA * 5])
    two = bootstrap_targets(r, done, v_next, 2, GAMMA)
    assert np.allclose(two[:, 0], [1 + GAMMA * 2, 2, 3 + GAMMA * 5])


def test_depth_probe_reports_drift_and_contraction_converges():
    net = TinyRecursiveModel(SudokuBoard(2), 16, contraction=0.5, radius=0)
    obs, mask = frozen_states("trm/Sudoku4x4-Hard-v0", {}, np.arange(20))
    rows = depth_drift(net, obs, mask, [2, 4, 8, 16])
    assert rows[0]["delta_v"] == 0 and rows[0]["agreement"] == 1.0
    assert {"delta_v", "delta_pi", "delta_z", "agreement", "agreement_count", "states"} <= set(rows[1])
    assert rows[1]["states"] == 20 and rows[1]["agreement"] == rows[1]["agreement_count"] / 20
    # a 0.5-contraction: ||z_16 - z_8|| <= 0.5**8 / (1 - 0.5) * ||z_1 - z_0||
    z = net.latents(torch.as_tensor(obs), torch.as_tensor(mask), 16)
    gap = (z[15] - z[7]).flatten(1).norm(dim=1)
    first = z[0].flatten(1).norm(dim=1)
    assert torch.all(gap <= 0.5**8 / 0.5 * first + 1e-6)


def test_short_training_beats_random_masked_under_cell_masking(tmp_path):
    torch.set_num_threads(1)
    spec = RunSpec("upi-trm", "trm/Sudoku4x4-Easy-v0", 2000, 0, {"masking": "cell"})
    agent = make_agent("upi-trm")
    agent.learn(spec.env_id, spec.env_kwargs, spec.steps, spec.seed)
    floor = make_agent("random-masked")
    floor.learn(spec.env_id, spec.env_kwargs, 0, 0)
    trained, random_floor = evaluate(agent, spec, "test"), evaluate(floor, spec, "test")
    assert trained.success > random_floor.success
    assert 0 < agent.steps_done() <= 2000 and agent.checker_calls > 0
    agent.save(tmp_path)
    again = make_agent("upi-trm")
    again.load(tmp_path)
    assert np.array_equal(evaluate(again, spec, "test").score, trained.score)


def test_runner_records_the_depth_probe(tmp_path):
    from bench.executors import execute
    from bench.store import ResultStore

    spec = RunSpec(
        "upi-trm", "trm/Sudoku4x4-Hard-v0", 128, 0, agent_config={"num_envs": 16, "rollout_steps": 4},
        episodes=10, probe_depths=(4, 8),
    )
    (record,) = execute([spec], ResultStore(tmp_path))
    assert [p["depth"] for p in record["drift"]] == [4, 8]
    assert all(0 <= p["agreement_count"] <= p["states"] == 10 for p in record["drift"])
    assert all(p["agreement"] == p["agreement_count"] / p["states"] for p in record["drift"])
    log = record["training_log"]  # 128 transitions in iterations of 16 x 4: two of them
    assert len(log["distill_kl"]) == len(log["value_loss"]) == 2
    assert all(k >= 0 for k in log["distill_kl"]) and all(v >= 0 for v in log["value_loss"])
    with pytest.raises(ValueError, match="no depth-drift probe"):
        execute([RunSpec("random-masked", "trm/Sudoku4x4-Hard-v0", 1, 0, probe_depths=(4,))], ResultStore(tmp_path))


def test_upi_trm_edits_maze_paths_and_its_lookahead_matches_the_env(tmp_path):
    """On the path-editing maze: the lookahead's rewards are the env's own, and a short run trains,
    saves and loads (a GridBoard checkpoint)."""
    import gymnasium as gym

    vec = gym.make_vec("trm/MazePath8x8-v0", 4, vectorization_mode="vector_entry_point")
    obs, info = vec.reset(seed=0)
    ahead = vec.lookahead(obs, info["action_mask"], info["steps"])
    row = 2
    for k in np.flatnonzero(ahead.state == row)[:6]:
        single = gym.make("trm/MazePath8x8-v0").unwrapped
        single.reset(options={"puzzle_index": int(info["puzzle_index"][row])})
        next_obs, reward, term, _, _ = single.step(int(ahead.action[k]))
        assert reward == pytest.approx(ahead.reward[k]) and term == ahead.terminated[k]
        assert np.array_equal(next_obs, ahead.next_obs[k])
    spec = RunSpec("upi-trm", "trm/MazePath8x8-v0", 512, 0, agent_config={"num_envs": 16, "rollout_steps": 8}, episodes=8)
    agent = make_agent("upi-trm", num_envs=16, rollout_steps=8)
    agent.learn(spec.env_id, spec.env_kwargs, spec.steps, spec.seed)
    assert agent.steps_done() == 512 and agent.checker_calls > 0
    first = evaluate(agent, spec, "test")
    agent.save(tmp_path)
    again = make_agent("upi-trm")
    again.load(tmp_path)
    assert np.array_equal(evaluate(again, spec, "test").score, first.score)


@pytest.mark.parametrize("n", [2, 3])
def test_sudoku_mixer_is_the_mean_of_each_cells_row_column_and_box(n):
    board = SudokuBoard(n)
    size, d, b = n * n, 5, 3
    torch.manual_seed(1)
    z = torch.randn(board.cells, b, d)
    mats = {u: torch.randn(d, d) for u in board.mixers}
    expected = torch.zeros_like(z)
    for cell in range(board.cells):
        r, c = divmod(cell, size)
        peers = {
            "row": [r * size + k for k in range(size)],
            "col": [k * size + c for k in range(size)],
            "box": [
                (r // n * n + i) * size + c // n * n + j for i in range(n) for j in range(n)
            ],
        }
        for unit, cells in peers.items():
            expected[cell] += z[cells].mean(dim=0) @ mats[unit]
    assert torch.allclose(board.mix(z, mats), expected, atol=1e-5)


def test_grid_mixer_passes_each_neighbour_through_its_own_matrix():
    board = GridBoard(3)
    d, b = 4, 2
    torch.manual_seed(2)
    z = torch.randn(board.cells, b, d)
    mats = {u: torch.randn(d, d) for u in board.mixers}
    expected = torch.zeros_like(z)
    for cell in range(board.cells):
        r, c = divmod(cell, 3)
        for unit, (dr, dc) in {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}.items():
            if 0 <= r + dr < 3 and 0 <= c + dc < 3:
                expected[cell] += z[(r + dr) * 3 + c + dc] @ mats[unit]
    assert torch.allclose(board.mix(z, mats), expected, atol=1e-5)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"alpha": "0.5"}, "alpha must be float"),
        ({"epochs": 2.5}, "epochs must be int"),
        ({"contraction": True}, "contraction must be float | None"),
        ({"depth": 0}, "depth must be >= 1"),
        ({"alpha": 1.5}, "alpha and target_ema"),
        ({"contraction": -0.5}, "contraction must be > 0"),
    ],
)
def test_config_refuses_wrong_types_and_ranges_by_name(bad, message):
    with pytest.raises((TypeError, ValueError), match=message):
        UPIConfig(**bad)
    assert UPIConfig(contraction=None, learning_rate=1, radius=0).learning_rate == 1


def test_a_state_without_legal_actions_gets_no_policy_target():
    pi = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]])
    candidate = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    mix = conservative_mixture(pi, candidate, 0.5)
    # the poster's rules run to the horizon: under constraint-edit a state can have no legal action
    assert np.allclose(mix, [[0.75, 0.25, 0.0], [0.0, 0.0, 0.0]])  # no NaN for the empty row

