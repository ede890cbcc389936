"""A PyTorch-style DQN program, run unchanged on torch and on Ember.

Written the way the PyTorch reinforcement-learning tutorial is: a
``Transition`` namedtuple in a ``deque`` replay memory sampled with
``random.sample``, epsilon-greedy actions from ``policy_net(state).max(1)``,
batches transposed with ``Transition(*zip(*transitions))`` and joined with
``torch.cat``, Q-values picked with ``.gather(1, action_batch)``, the
bootstrap ``target_net(...).max(1).values`` written under ``torch.no_grad()``
through a boolean ``non_final_mask``, ``SmoothL1Loss``, ``clip_grad_value_``,
``AdamW(amsgrad=True)`` and a soft target update through ``state_dict()`` /
``load_state_dict``. The environment is a tiny deterministic corridor in
NumPy; exploration draws from a seeded ``random.Random`` so both frameworks
see the same coin flips. The test checks that the two learn identically.
"""

import math
import random
from collections import deque, namedtuple
from itertools import count

import numpy as np
import pytest
import torch

import ember

Transition = namedtuple("Transition", ("state", "action", "next_state", "reward"))

BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY, TAU, LR = 8, 0.99, 0.9, 0.05, 40, 0.005, 1e-3


class Corridor:
    """Walk left (0) or right (1) along N cells; the right end pays 1 and ends the episode."""

    def __init__(self, rng, n=5, max_steps=15):
        self.rng, self.n, self.max_steps = rng, n, max_steps

    def observe(self):
        obs = np.zeros(self.n + 1)
        obs[self.pos] = 1.0
        obs[-1] = self.t / self.max_steps  # time, so truncation is predictable
        return obs

    def reset(self):
        self.pos, self.t = 1, 0
        return self.observe(), {}

    def sample_action(self):
        return self.rng.randrange(2)

    def step(self, action):
        self.pos = min(max(self.pos + (1 if action == 1 else -1), 0), self.n - 1)
        self.t += 1
        terminated = self.pos == self.n - 1
        reward = 1.0 if terminated else -0.01
        return self.observe(), reward, terminated, self.t >= self.max_steps, {}


class ReplayMemory:
    def __init__(self, capacity, rng):
        self.memory = deque([], maxlen=capacity)
        self.rng = rng

    def push(self, *args):
        """Save a transition."""
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return self.rng.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


def build(lib, n_observations, n_actions):
    nn, F = lib.nn, lib.nn.functional

    class DQN(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(n_observations, 16)
            self.layer2 = nn.Linear(16, 16)
            self.layer3 = nn.Linear(16, n_actions)

        def forward(self, x):
            x = F.relu(self.layer1(x))
            x = F.relu(self.layer2(x))
            return self.layer3(x)

    return DQN()


def run(lib, policy_net, target_net, episodes=8, seed=0):
    """The tutorial's training loop; returns losses, actions and episode lengths."""
    device = lib.device("cpu")
    rng = random.Random(seed)
    env = Corridor(rng)
    memory = ReplayMemory(100, rng)
    optimizer = lib.optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
    steps_done = 0
    losses, actions, durations = [], [], []

    def select_action(state):
        nonlocal steps_done
        sample = rng.random()
        eps_threshold = EPS_END + (EPS_START - EPS_END) * math.exp(-1.0 * steps_done / EPS_DECAY)
        steps_done += 1
        if sample > eps_threshold:
            with lib.no_grad():
                # the largest Q-value's index: the action with the best expected reward
                return policy_net(state).max(1).indices.view(1, 1)
        return lib.tensor([[env.sample_action()]], device=device, dtype=lib.long)

    def optimize_model():
        if len(memory) < BATCH_SIZE:
            return
        transitions = memory.sample(BATCH_SIZE)
        batch = Transition(*zip(*transitions))  # a batch of transitions -> transition of batches
        non_final_mask = lib.tensor(tuple(map(lambda s: s is not None, batch.next_state)),
                                    device=device, dtype=lib.bool)
        non_final_next_states = lib.cat([s for s in batch.next_state if s is not None])
        state_batch = lib.cat(batch.state)
        action_batch = lib.cat(batch.action)
        reward_batch = lib.cat(batch.reward)

        state_action_values = policy_net(state_batch).gather(1, action_batch)
        next_state_values = lib.zeros(BATCH_SIZE, device=device)
        with lib.no_grad():
            next_state_values[non_final_mask] = target_net(non_final_next_states).max(1)[0]
        expected_state_action_values = (next_state_values * GAMMA) + reward_batch

        criterion = lib.nn.SmoothL1Loss()
        loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
        optimizer.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
        optimizer.step()
        losses.append(loss.item())

    for _ in range(episodes):
        state, info = env.reset()
        state = lib.tensor(state, device=device).unsqueeze(0)
        for t in count():
            action = select_action(state)
            actions.append(action.item())
            observation, reward, terminated, truncated, _ = env.step(action.item())
            reward = lib.tensor([reward], device=device)
            done = terminated or truncated
            next_state = None if terminated else \
                lib.tensor(observation, device=device).unsqueeze(0)
            memory.push(state, action, next_state, reward)
            state = next_state
            optimize_model()
            # soft update: theta' <- tau * theta + (1 - tau) * theta'
            target_net_state_dict = target_net.state_dict()
            policy_net_state_dict = policy_net.state_dict()
            for key in policy_net_state_dict:
                target_net_state_dict[key] = (policy_net_state_dict[key] * TAU
                                              + target_net_state_dict[key] * (1 - TAU))
            target_net.load_state_dict(target_net_state_dict)
            if done:
                durations.append(t + 1)
                break
    return losses, actions, durations


@pytest.fixture
def float64_default():
    """The tutorial's tensors take the default dtype: make it float64 on both sides."""
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    yield
    torch.set_default_dtype(torch.float32)
    ember.set_default_dtype(ember.float32)


def test_the_same_dqn_program_learns_identically_on_torch_and_ember(float64_default):
    n_obs, n_actions = 6, 2
    torch.manual_seed(0)
    tp, tt = build(torch, n_obs, n_actions), build(torch, n_obs, n_actions)
    tt.load_state_dict(tp.state_dict())
    ep, et = build(ember, n_obs, n_actions), build(ember, n_obs, n_actions)
    assert ep.layer1.weight.dtype == ember.float64
    ep.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tp.state_dict().items()})
    et.load_state_dict(ep.state_dict())
    tl, ta, td = run(torch, tp, tt)
    el, ea, ed = run(ember, ep, et)
    assert ed == td and ea == ta
    assert len(el) == len(tl) > 30 and min(td) < 15  # terminal states were sampled
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    for ours, ref in ((ep, tp), (et, tt)):
        for (name, a), b in zip(ours.state_dict().items(), ref.state_dict().values()):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-12,
                                       err_msg=name)


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_dqn_tensor_idioms(lib):
    q = lib.tensor([[0.125, 0.75], [0.5, -0.25], [0.25, 0.25]])
    assert q.max(1).indices.view(1, 3).tolist() == [[1, 0, 0]]  # ties: the first
    values, indices = q.max(1)
    assert q.max(1)[0].tolist() == q.max(1).values.tolist() == values.tolist() == [0.75, 0.5, 0.25]
    assert indices.dtype == lib.int64
    picked = q.gather(1, lib.tensor([[1], [0], [1]]))
    assert picked.shape == (3, 1) and picked.flatten().tolist() == [0.75, 0.5, 0.25]
    mask = lib.tensor((True, False, True), dtype=lib.bool)
    out = lib.zeros(3)
    out[mask] = lib.tensor([5.0, 6.0])
    assert out.tolist() == [5.0, 0.0, 6.0]
    sd = {k: v * 0.5 for k, v in lib.nn.Linear(2, 2).state_dict().items()}
    assert not any(v.requires_grad for v in sd.values())
