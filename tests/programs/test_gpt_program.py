"""A PyTorch-style GPT training program, run unchanged on torch and on Ember.

The program below is written the way well-known PyTorch model files are
(config dataclass, a causal-mask buffer, weight tying, ``model.apply`` init
through ``.data``, parameter groups by dimension, ``@no_grad()`` generation
with ``x[:, [-1], :]`` and ``multinomial``, gradient clipping). It takes the
framework module as its only import, so the very same source runs on both;
the test checks that, from the same weights, the two train identically.
"""

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch

import ember


@dataclass
class Config:
    block_size: int = 16
    vocab_size: int = 23
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 16
    dropout: float = 0.0
    bias: bool = True


def build(lib, config):
    """The program: every name below is looked up on ``lib`` (torch or ember)."""
    nn, F = lib.nn, lib.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c_attn = nn.Linear(c.n_embd, 3 * c.n_embd, bias=c.bias)
            self.c_proj = nn.Linear(c.n_embd, c.n_embd, bias=c.bias)
            self.attn_dropout = nn.Dropout(c.dropout)
            self.n_head, self.n_embd = c.n_head, c.n_embd
            mask = lib.tril(lib.ones(c.block_size, c.block_size))
            self.register_buffer("bias", mask.view(1, 1, c.block_size, c.block_size))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = self.attn_dropout(F.softmax(att, dim=-1))
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class MLP(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c_fc = nn.Linear(c.n_embd, 4 * c.n_embd, bias=c.bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * c.n_embd, c.n_embd, bias=c.bias)

        def forward(self, x):
            return self.c_proj(self.gelu(self.c_fc(x)))

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.ln_1 = nn.LayerNorm(c.n_embd)
            self.attn = CausalSelfAttention(c)
            self.ln_2 = nn.LayerNorm(c.n_embd)
            self.mlp = MLP(c)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.config = c
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(c.vocab_size, c.n_embd),
                wpe=nn.Embedding(c.block_size, c.n_embd),
                h=nn.ModuleList([Block(c) for _ in range(c.n_layer)]),
                ln_f=nn.LayerNorm(c.n_embd)))
            self.lm_head = nn.Linear(c.n_embd, c.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight  # weight tying
            self.apply(self._init_weights)

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                lib.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    module.bias.data.zero_()
            elif isinstance(module, nn.Embedding):
                module.weight.data.normal_(mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            b, t = idx.size()
            pos = lib.arange(0, t, dtype=lib.long)
            x = self.transformer.wte(idx) + self.transformer.wpe(pos)
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            if targets is not None:
                logits = self.lm_head(x)
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                       ignore_index=-1)
            else:
                logits = self.lm_head(x[:, [-1], :])  # only the last position
                loss = None
            return logits, loss

        def configure_optimizers(self, weight_decay, learning_rate, betas):
            params = {n: p for n, p in self.named_parameters() if p.requires_grad}
            decay = [p for p in params.values() if p.dim() >= 2]
            no_decay = [p for p in params.values() if p.dim() < 2]
            groups = [{"params": decay, "weight_decay": weight_decay},
                      {"params": no_decay, "weight_decay": 0.0}]
            return lib.optim.AdamW(groups, lr=learning_rate, betas=betas)

        @lib.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
            for _ in range(max_new_tokens):
                cond = idx if idx.size(1) <= self.config.block_size else \
                    idx[:, -self.config.block_size:]
                logits, _ = self(cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = lib.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("Inf")
                probs = F.softmax(logits, dim=-1)
                idx_next = lib.multinomial(probs, num_samples=1)
                idx = lib.cat((idx, idx_next), dim=1)
            return idx

    return GPT(config)


def train(lib, model, data, steps):
    """The training loop, as PyTorch scripts write it; returns the losses."""
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3, betas=(0.9, 0.95))
    losses = []
    for step in range(steps):
        x, y = data[step % len(data)]
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return losses


def batches(lib, n, config, seed=0):
    r = np.random.default_rng(seed)
    tokens = r.integers(0, config.vocab_size, (n, 4, config.block_size + 1))
    return [(lib.tensor(t[:, :-1]), lib.tensor(t[:, 1:])) for t in tokens]


def test_the_same_gpt_program_trains_identically_on_torch_and_ember():
    config = Config()
    torch.manual_seed(0)
    tm = build(torch, config).double()
    em = build(ember, config).double()
    assert list(em.state_dict()) == list(tm.state_dict())  # same names, same order
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    assert em.transformer.wte.weight is em.lm_head.weight  # tying survives loading
    tl = train(torch, tm, batches(torch, 3, config), steps=6)
    el = train(ember, em, batches(ember, 3, config), steps=6)
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-7,
                                   atol=1e-10, err_msg=name)


def test_init_through_data_and_generation_run_on_ember():
    config = Config()
    ember.manual_seed(0)
    model = build(ember, config)
    w = model.transformer.h[0].mlp.c_fc.weight
    assert abs(float(w.std()) - 0.02) < 0.004 and float(model.lm_head.weight.abs().max()) < 0.2
    assert not model.transformer.h[0].attn.c_attn.bias.detach().numpy().any()
    model.eval()
    start = ember.zeros((2, 1), dtype=ember.long)
    out = model.generate(start, max_new_tokens=20, top_k=5)  # beyond block_size: cropping
    assert out.shape == (2, 21) and out.dtype == ember.int64
    assert int(out.min()) >= 0 and int(out.max()) < config.vocab_size
    assert ember.is_grad_enabled()  # the @no_grad() decorator restored the mode


def test_long_tail_tensor_idioms():
    x = ember.arange(12.0).view(3, 4)
    z = x.new_zeros((2, 2))
    assert z.dtype == x.dtype and z.shape == (2, 2)
    x[:, ::2] = ember.tensor([-1.0, -2.0])  # strided slice assignment, broadcast
    assert x.tolist() == [[-1, 1, -2, 3], [-1, 5, -2, 7], [-1, 9, -2, 11]]
    assert x[:, [-1]].shape == (3, 1)
    lstm = ember.nn.LSTM(4, 8, num_layers=2)
    assert "weight_ih_l0" in lstm.state_dict() and "bias_hh_l1" in lstm.state_dict()
    mha = ember.nn.MultiheadAttention(8, 2)
    assert {"in_proj_weight", "in_proj_bias", "out_proj.weight"} <= set(mha.state_dict())


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_no_grad_decorator_forms(lib):
    @lib.no_grad()
    def f(t):
        return t * 2

    assert not f(lib.ones(2, requires_grad=True)).requires_grad
