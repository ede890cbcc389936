"""A PyTorch-style PPO actor-critic update program, on torch and on Ember.

Written the way single-file PPO implementations are: ``layer_init`` with
``nn.init.orthogonal_(layer.weight, std)`` and ``nn.init.constant_``, an
``Agent`` with ``get_value`` and ``get_action_and_value`` returning
``Categorical(logits=logits)``'s ``log_prob`` and ``entropy``, generalised
advantage estimation in a reversed loop under ``torch.no_grad()``, flattened
buffers, several update epochs over minibatches from ``torch.randperm``,
advantage normalisation, the clipped surrogate
``-torch.min(ratio * adv, torch.clamp(ratio, 1 - clip, 1 + clip) * adv)``,
the approximate KL and clip fraction under ``no_grad``, ``F.mse_loss`` for the
value head, Adam with ``eps=1e-5`` and ``clip_grad_norm_``. The rollout
(observations, actions, rewards, dones from a tiny chain environment) is
fixed, and the permutations are injected so both frameworks use the same.
"""

import numpy as np
import pytest
import torch

import ember

N_ENVS, N_STEPS, OBS, ACTIONS = 4, 8, 5, 3
GAMMA, GAE_LAMBDA, CLIP, ENT_COEF, VF_COEF, MAX_GRAD_NORM = 0.99, 0.95, 0.2, 0.01, 0.5, 0.5
UPDATE_EPOCHS, N_MINIBATCHES = 3, 4


def build(lib):
    nn = lib.nn
    Categorical = lib.distributions.Categorical

    def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
        nn.init.orthogonal_(layer.weight, std)
        nn.init.constant_(layer.bias, bias_const)
        return layer

    class Agent(nn.Module):
        def __init__(self):
            super().__init__()
            self.critic = nn.Sequential(
                layer_init(nn.Linear(OBS, 16)), nn.Tanh(),
                layer_init(nn.Linear(16, 16)), nn.Tanh(),
                layer_init(nn.Linear(16, 1), std=1.0))
            self.actor = nn.Sequential(
                layer_init(nn.Linear(OBS, 16)), nn.Tanh(),
                layer_init(nn.Linear(16, 16)), nn.Tanh(),
                layer_init(nn.Linear(16, ACTIONS), std=0.01))

        def get_value(self, x):
            return self.critic(x)

        def get_action_and_value(self, x, action=None):
            logits = self.actor(x)
            probs = Categorical(logits=logits)
            if action is None:
                action = probs.sample()
            return action, probs.log_prob(action), probs.entropy(), self.critic(x)

    return Agent()


def fixed_rollout(seed=0):
    """A chain walk: one-hot position plus time; reward at the right end, which resets."""
    r = np.random.default_rng(seed)
    obs = np.zeros((N_STEPS, N_ENVS, OBS))
    actions = r.integers(0, ACTIONS, (N_STEPS, N_ENVS))
    rewards, dones = np.zeros((N_STEPS, N_ENVS)), np.zeros((N_STEPS, N_ENVS))
    pos, done = np.zeros(N_ENVS, int), np.zeros(N_ENVS)
    for t in range(N_STEPS):
        obs[t, np.arange(N_ENVS), pos] = 1.0
        obs[t, :, -1] = t / N_STEPS
        dones[t] = done
        pos = np.clip(pos + actions[t] - 1, 0, OBS - 2)
        rewards[t] = np.where(pos == OBS - 2, 1.0, -0.05)
        done = (pos == OBS - 2).astype(float)
        pos = np.where(done == 1, 0, pos)
    next_obs = np.zeros((N_ENVS, OBS))
    next_obs[np.arange(N_ENVS), pos] = 1.0
    return obs, actions, rewards, dones, next_obs, done


def ppo_update(lib, agent, rollout, permute):
    F = lib.nn.functional
    optimizer = lib.optim.Adam(agent.parameters(), lr=2e-2, eps=1e-5)
    obs, actions, rewards, dones, next_obs, next_done = (lib.tensor(a) for a in rollout)
    # the rollout's log-probs and values, as recorded while acting
    with lib.no_grad():
        _, logprobs, _, values = agent.get_action_and_value(obs.reshape(-1, OBS),
                                                             actions.reshape(-1))
        logprobs, values = logprobs.reshape(N_STEPS, N_ENVS), values.reshape(N_STEPS, N_ENVS)
        next_value = agent.get_value(next_obs).reshape(1, -1)
        advantages = lib.zeros_like(rewards)
        lastgaelam = 0
        for t in reversed(range(N_STEPS)):
            if t == N_STEPS - 1:
                nextnonterminal = 1.0 - next_done
                nextvalues = next_value
            else:
                nextnonterminal = 1.0 - dones[t + 1]
                nextvalues = values[t + 1]
            delta = rewards[t] + GAMMA * nextvalues * nextnonterminal - values[t]
            advantages[t] = lastgaelam = (delta + GAMMA * GAE_LAMBDA * nextnonterminal
                                          * lastgaelam)
        returns = advantages + values

    b_obs = obs.reshape((-1, OBS))
    b_logprobs = logprobs.reshape(-1)
    b_actions = actions.reshape(-1)
    b_advantages = advantages.reshape(-1)
    b_returns = returns.reshape(-1)
    batch_size = N_ENVS * N_STEPS
    minibatch_size = batch_size // N_MINIBATCHES
    clipfracs, losses = [], []
    for epoch in range(UPDATE_EPOCHS):
        b_inds = permute(batch_size)
        for start in range(0, batch_size, minibatch_size):
            mb_inds = b_inds[start:start + minibatch_size]
            _, newlogprob, entropy, newvalue = agent.get_action_and_value(
                b_obs[mb_inds], b_actions.long()[mb_inds])
            logratio = newlogprob - b_logprobs[mb_inds]
            ratio = logratio.exp()
            with lib.no_grad():
                old_approx_kl = (-logratio).mean()
                approx_kl = ((ratio - 1) - logratio).mean()
                clipfracs += [((ratio - 1.0).abs() > CLIP).float().mean().item()]
            mb_advantages = b_advantages[mb_inds]
            mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)
            surr1 = ratio * mb_advantages
            surr2 = lib.clamp(ratio, 1 - CLIP, 1 + CLIP) * mb_advantages
            pg_loss = -lib.min(surr1, surr2).mean()
            v_loss = F.mse_loss(newvalue.view(-1), b_returns[mb_inds])
            entropy_loss = entropy.mean()
            loss = pg_loss - ENT_COEF * entropy_loss + v_loss * VF_COEF
            optimizer.zero_grad()
            loss.backward()
            grad_norm = lib.nn.utils.clip_grad_norm_(agent.parameters(), MAX_GRAD_NORM)
            optimizer.step()
            losses.append([loss.item(), pg_loss.item(), v_loss.item(), entropy_loss.item(),
                           old_approx_kl.item(), approx_kl.item(), grad_norm.item()])
    y_pred, y_true = values.reshape(-1).numpy(), b_returns.numpy()
    var_y = np.var(y_true)
    explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y
    return np.array(losses), clipfracs, explained_var, advantages.numpy()


class FixedPermutations:
    """Stands in for ``torch.randperm``: the same index order for both frameworks."""

    def __init__(self, lib, seed=0):
        self.lib, self.rng = lib, np.random.default_rng(seed)

    def __call__(self, n):
        return self.lib.tensor(self.rng.permutation(n))


def test_the_same_ppo_update_runs_identically_on_torch_and_ember(float64_default):
    torch.manual_seed(0)
    ta, ea = build(torch), build(ember)
    assert list(ea.state_dict()) == list(ta.state_dict())
    ea.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ta.state_dict().items()})
    rollout = fixed_rollout()
    assert rollout[2].max() == 1.0 and rollout[3].sum() > 0  # episodes ended inside it
    tl, tclip, tvar, tadv = ppo_update(torch, ta, rollout, FixedPermutations(torch))
    el, eclip, evar, eadv = ppo_update(ember, ea, rollout, FixedPermutations(ember))
    np.testing.assert_allclose(eadv, tadv, rtol=1e-12, atol=1e-14)
    assert el.shape == tl.shape == (UPDATE_EPOCHS * N_MINIBATCHES, 7)
    np.testing.assert_allclose(el, tl, rtol=1e-9, atol=1e-14)
    assert eclip == tclip and max(tclip) > 0  # the clip was reached
    np.testing.assert_allclose(evar, tvar, rtol=1e-10)
    for (name, p), q in zip(ea.named_parameters(), ta.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-9,
                                   atol=1e-13, err_msg=name)


@pytest.fixture
def float64_default():
    """The program's tensors take the default dtype: make it float64 on both sides."""
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    yield
    torch.set_default_dtype(torch.float32)
    ember.set_default_dtype(ember.float32)


def test_orthogonal_layer_init_and_own_sampling():
    ember.manual_seed(0)
    agent = build(ember)
    w = agent.actor[2].weight.detach().numpy()
    np.testing.assert_allclose(w @ w.T, 2.0 * np.eye(16), atol=1e-5)  # gain sqrt(2)
    assert (agent.actor[0].bias.detach().numpy() == 0).all()
    x = ember.tensor(fixed_rollout()[0].reshape(-1, OBS), dtype=ember.float32)
    action, logprob, entropy, value = agent.get_action_and_value(x)
    assert action.dtype == ember.int64 and action.shape == (N_ENVS * N_STEPS,)
    assert ((action >= 0) & (action < ACTIONS)).all()
    assert logprob.shape == entropy.shape == (N_ENVS * N_STEPS,)
    assert value.shape == (N_ENVS * N_STEPS, 1)
    # std=0.01 on the last actor layer: nearly uniform, entropy close to log(3)
    np.testing.assert_allclose(entropy.detach().numpy(), np.log(ACTIONS), atol=1e-3)
    perm = ember.randperm(N_ENVS * N_STEPS)
    assert sorted(perm.tolist()) == list(range(N_ENVS * N_STEPS))
