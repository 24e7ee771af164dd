"""The ``checker-greedy`` reference on real Sudoku envs, checked against an independent checker.

The checker here is written from DESIGN section 2 alone (``c = filled - 2*violations - 5*dead``,
a unit holding k copies of a digit counts C(k, 2) violations, ``dead`` = empty cells with no
digit absent from their row, column and box), and boards are read from the observation layout
documented on ``SudokuEnv``. The env is driven by seeded random legal actions, so the agent is
asked about varied states (under ``cell`` masking: overwrites and broken rules), not only about
the states its own greedy play reaches.
"""

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the trm/... ids)
from agents.registry import make_agent

EASY = "trm/Sudoku4x4-Easy-v0"
HARD = "trm/Sudoku4x4-Hard-v0"


def my_boards(obs, n):
    """Clue and plan grids ``(B, C)`` from flat observations: per cell, ``N`` clue one-hot
    entries then ``N`` plan one-hot entries."""
    size = n * n
    cells = np.asarray(obs).reshape(len(obs), size * size, 2, size).astype(np.int64)
    digits = np.arange(1, size + 1)
    return cells[:, :, 0] @ digits, cells[:, :, 1] @ digits


def my_units(n):
    """``(3N, N)`` cell indices of every row, column and box, and ``(C, 3)`` units of each cell."""
    size = n * n
    rows = [[r * size + c for c in range(size)] for r in range(size)]
    cols = [[r * size + c for r in range(size)] for c in range(size)]
    boxes = [[(br * n + i) * size + bc * n + j for i in range(n) for j in range(n)] for br in range(n) for bc in range(n)]
    units = np.array(rows + cols + boxes)
    of_cell = np.array([[u for u in range(3 * size) if cell in units[u]] for cell in range(size * size)])
    return units, of_cell


def my_checker(grids, n):
    """``c = filled - 2*violations - 5*dead`` of every grid of ``grids`` (``(M, C)``, 0 = empty)."""
    size = n * n
    units, of_cell = my_units(n)
    counts = np.stack([(grids[:, units] == d).sum(axis=2) for d in range(1, size + 1)], axis=-1)  # (M, 3N, N)
    violations = (counts * (counts - 1) // 2).sum(axis=(1, 2))
    blocked = (counts[:, of_cell] > 0).any(axis=2)  # (M, C, N): digit present in a unit of the cell
    dead = ((grids == 0) & blocked.all(axis=2)).sum(axis=1)
    filled = (grids > 0).sum(axis=1)
    return filled - 2 * violations - 5 * dead


def my_legal(clues, plan, n, masking):
    """``(A,)`` legal set of one state under ``constraint`` or ``cell`` masking (DESIGN section 2,
    suite rules: ``cell`` offers every digit but the one the cell holds)."""
    size = n * n
    units, of_cell = my_units(n)
    legal = np.zeros((size * size, size), dtype=bool)
    for cell in range(size * size):
        if clues[cell]:
            continue
        if masking == "cell":
            legal[cell] = [d != plan[cell] for d in range(1, size + 1)]
        elif plan[cell] == 0:
            seen = set(plan[units[of_cell[cell]]].ravel())
            legal[cell] = [d not in seen for d in range(1, size + 1)]
    return legal.reshape(-1)


def greedy_by_my_checker(plan, legal, n):
    """Scores after each legal action, and the lowest-id action among those of the best score."""
    size = n * n
    actions = np.flatnonzero(legal)
    after = np.repeat(plan[None], len(actions), axis=0)
    after[np.arange(len(actions)), actions // size] = actions % size + 1
    scores = my_checker(after, n)
    return dict(zip(actions.tolist(), scores.tolist(), strict=True)), int(actions[np.argmax(scores)])


def visited_states(env_id, masking, num_envs, steps, seed):
    """Observations and masks of every state met while random legal actions drive the env,
    with the env's own checker score of each."""
    vec = gym.make_vec(env_id, num_envs, vectorization_mode="vector_entry_point", masking=masking)
    rng = np.random.default_rng(seed)
    obs, info = vec.reset(seed=seed)
    seen_obs, seen_mask, seen_score = [], [], []
    for _ in range(steps):
        seen_obs.append(obs)
        seen_mask.append(info["action_mask"])
        seen_score.append(info["score"])
        random_legal = np.argmax(info["action_mask"] * rng.random(info["action_mask"].shape), axis=1)
        obs, _, _, _, info = vec.step(random_legal)
    vec.close()
    return np.concatenate(seen_obs), np.concatenate(seen_mask), np.concatenate(seen_score)


@pytest.mark.parametrize("env_id,masking", [(EASY, "constraint"), (EASY, "cell"), (HARD, "constraint"), (HARD, "cell")])
def test_greedy_picks_the_best_legal_action_of_an_independent_checker(env_id, masking):
    n = 2
    obs, mask, env_score = visited_states(env_id, masking, num_envs=16, steps=12, seed=3)
    clues, plans = my_boards(obs, n)
    # my checker and legal set agree with the env on every visited state
    assert np.array_equal(my_checker(plans, n), env_score)
    for b in range(len(obs)):
        assert np.array_equal(my_legal(clues[b], plans[b], n, masking), mask[b])
    if masking == "cell":  # the random drive did reach states that break rules
        assert (env_score < (plans > 0).sum(axis=1)).any()

    agent = make_agent("checker-greedy")
    agent.learn(env_id, {"masking": masking}, 0, 0)
    chosen = agent.predict(obs, mask)
    assert chosen.shape == (len(obs),)
    ties = 0
    for b in range(len(obs)):
        action = int(chosen[b])
        assert mask[b, action], f"state {b}: action {action} is not legal"
        scores, first_best = greedy_by_my_checker(plans[b], mask[b], n)
        best = max(scores.values())
        assert scores[action] == best, f"state {b}: picked score {scores[action]}, best legal {best}"
        assert action == first_best, f"state {b}: ties go to the lowest action id"
        ties += sum(s == best for s in scores.values()) > 1
    assert ties > 0  # the tie-break was exercised, not only unique maxima


def test_greedy_is_deterministic_and_row_independent():
    obs, mask, _ = visited_states(HARD, "cell", num_envs=8, steps=6, seed=11)
    first, second = make_agent("checker-greedy"), make_agent("checker-greedy")
    first.learn(HARD, {"masking": "cell"}, 0, 0)
    second.learn(HARD, {"masking": "cell"}, 0, 123)
    batch = first.predict(obs, mask)
    assert first.checker_calls == int(mask.sum())  # one checker call per legal action tried
    assert np.array_equal(batch, first.predict(obs, mask))
    assert np.array_equal(batch, second.predict(obs, mask))  # the seed plays no part
    assert np.array_equal(batch[::-1], first.predict(obs[::-1], mask[::-1]))
    alone = np.array([first.predict(obs[b : b + 1], mask[b : b + 1])[0] for b in range(0, len(obs), 7)])
    assert np.array_equal(alone, batch[::7])


def test_greedy_episodes_replay_exactly_and_stay_legal():
    def play(seed, episodes=24):
        agent = make_agent("checker-greedy")
        agent.learn(HARD, {"masking": "cell"}, 0, seed)
        vec = gym.make_vec(HARD, episodes, vectorization_mode="vector_entry_point", masking="cell", split="test")
        obs, info = vec.reset(seed=seed, options={"puzzle_index": np.arange(episodes)})
        actions, rewards = [], []
        for _ in range(20):
            act = agent.predict(obs, info["action_mask"])
            assert info["action_mask"][np.arange(episodes), act].all()
            obs, reward, _, _, info = vec.step(act)
            actions.append(act)
            rewards.append(reward)
        vec.close()
        return np.stack(actions), np.stack(rewards)

    a_actions, a_rewards = play(0)
    b_actions, b_rewards = play(0)
    assert np.array_equal(a_actions, b_actions) and np.array_equal(a_rewards, b_rewards)
