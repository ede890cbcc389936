"""A PyTorch-style word2vec (skip-gram with negative sampling) program, on torch and on Ember.

Written the way the common skip-gram scripts are: a vocabulary from a
``Counter``, (centre, context) pairs from a sliding window, the unigram
distribution raised to 3/4 for negatives drawn with
``torch.multinomial(weights, n, replacement=True)``, ``u`` / ``v``
``nn.Embedding`` tables initialised with ``init.uniform_`` and ``constant_``
on ``.data``, the score ``torch.sum(torch.mul(emb_u, emb_v), dim=1)`` clamped
and passed through ``-F.logsigmoid``, the negatives through ``torch.bmm`` with
``emb_u.unsqueeze(2)`` and ``.squeeze()``, Adam, and nearest neighbours by
cosine similarity with ``torch.mm`` and ``topk``. The negatives are drawn once
in NumPy for the comparison (the frameworks' random streams differ); the
program's own ``multinomial`` draw is checked statistically.
"""

from collections import Counter

import numpy as np
import pytest
import torch

import ember

TEXT = ("the quick brown fox jumps over the lazy dog while the quick red fox sleeps "
        "and the lazy brown dog dreams of the red fox that jumps over the dog").split()
EMB_DIM, WINDOW, NEG, BATCH = 8, 2, 4, 16


def vocabulary(words):
    counts = Counter(words)
    itos = sorted(counts, key=lambda w: (-counts[w], w))
    stoi = {w: i for i, w in enumerate(itos)}
    freqs = np.array([counts[w] for w in itos], dtype=np.float64)
    return stoi, itos, freqs


def skipgram_pairs(ids, window):
    pairs = []
    for i, centre in enumerate(ids):
        for j in range(max(0, i - window), min(len(ids), i + window + 1)):
            if j != i:
                pairs.append((centre, ids[j]))
    return np.array(pairs)


def build(lib, vocab_size, emb_dimension, sparse=False):
    nn, F, init = lib.nn, lib.nn.functional, lib.nn.init

    class SkipGramModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb_dimension = emb_dimension
            self.u_embeddings = nn.Embedding(vocab_size, emb_dimension, sparse=sparse)
            self.v_embeddings = nn.Embedding(vocab_size, emb_dimension, sparse=sparse)
            initrange = 1.0 / self.emb_dimension
            init.uniform_(self.u_embeddings.weight.data, -initrange, initrange)
            init.constant_(self.v_embeddings.weight.data, 0)

        def forward(self, pos_u, pos_v, neg_v):
            emb_u = self.u_embeddings(pos_u)  # (B, D)
            emb_v = self.v_embeddings(pos_v)  # (B, D)
            emb_neg_v = self.v_embeddings(neg_v)  # (B, K, D)

            score = lib.sum(lib.mul(emb_u, emb_v), dim=1)
            score = lib.clamp(score, max=10, min=-10)
            score = -F.logsigmoid(score)

            neg_score = lib.bmm(emb_neg_v, emb_u.unsqueeze(2)).squeeze()  # (B, K)
            neg_score = lib.clamp(neg_score, max=10, min=-10)
            neg_score = -lib.sum(F.logsigmoid(-neg_score), dim=1)
            return lib.mean(score + neg_score)

    return SkipGramModel()


def negative_weights(lib, freqs):
    weights = lib.tensor(freqs) ** 0.75
    return weights / weights.sum()


def draw_negatives(lib, weights, batch, k):
    return lib.multinomial(weights, batch * k, replacement=True).view(batch, k)


def train(lib, model, pairs, negatives, epochs=3):
    optimizer = lib.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    step = 0
    for _ in range(epochs):
        for start in range(0, len(pairs), BATCH):
            chunk = pairs[start:start + BATCH]
            pos_u = lib.tensor(chunk[:, 0], dtype=lib.long)
            pos_v = lib.tensor(chunk[:, 1], dtype=lib.long)
            neg_v = lib.tensor(negatives[step][:len(chunk)])
            optimizer.zero_grad()
            loss = model(pos_u, pos_v, neg_v)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
    return losses


def nearest(lib, model, word_id, k=3):
    with lib.no_grad():
        emb = model.u_embeddings.weight
        emb = emb / emb.norm(dim=1, keepdim=True)
        sims = lib.mm(emb, emb[word_id].unsqueeze(1)).squeeze(1)
        values, indices = sims.topk(k + 1)
    return values[1:].tolist(), indices[1:].tolist()  # the word itself comes first


def test_the_same_skipgram_program_trains_identically_on_torch_and_ember():
    stoi, itos, freqs = vocabulary(TEXT)
    pairs = skipgram_pairs([stoi[w] for w in TEXT], WINDOW)
    r = np.random.default_rng(0)
    steps = 3 * -(-len(pairs) // BATCH)
    p = freqs ** 0.75 / (freqs ** 0.75).sum()
    negatives = [r.choice(len(itos), (BATCH, NEG), p=p) for _ in range(steps)]
    torch.manual_seed(0)
    tm = build(torch, len(itos), EMB_DIM).double()
    em = build(ember, len(itos), EMB_DIM).double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tl = train(torch, tm, pairs, negatives)
    el = train(ember, em, pairs, negatives)
    assert len(el) == len(tl) == steps
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    assert el[-1] < el[0]
    for (name, a), b in zip(em.state_dict().items(), tm.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-12, err_msg=name)
    ev, ei = nearest(ember, em, stoi["fox"])
    tv, ti = nearest(torch, tm, stoi["fox"])
    assert ei == ti
    np.testing.assert_allclose(ev, tv, rtol=1e-9)


def test_init_and_multinomial_negatives_on_ember():
    stoi, itos, freqs = vocabulary(TEXT)
    ember.manual_seed(0)
    model = build(ember, len(itos), EMB_DIM)
    u, v = model.u_embeddings.weight, model.v_embeddings.weight
    assert float(u.abs().max()) <= 1 / EMB_DIM and float(u.abs().max()) > 0.5 / EMB_DIM
    assert not v.detach().numpy().any()
    weights = negative_weights(ember, freqs)
    tw = negative_weights(torch, freqs)
    np.testing.assert_allclose(weights.numpy(), tw.numpy(), rtol=1e-12)
    neg = draw_negatives(ember, weights, 500, NEG)
    assert neg.shape == (500, NEG) and neg.dtype == ember.int64
    counts = np.bincount(neg.numpy().ravel(), minlength=len(itos))
    expected = weights.numpy() * neg.numel()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 60  # df = vocab - 1 = 18; the 0.999 quantile is about 42
    pos = ember.tensor([0, 1, 2])
    loss = model(pos, pos, neg[:3])
    loss.backward()
    assert u.grad is not None and v.grad is not None


@pytest.mark.filterwarnings("ignore:Sparse invariant checks are implicitly disabled")
@pytest.mark.parametrize("make_optimizer", [
    lambda lib, ps: lib.optim.SparseAdam(list(ps), lr=0.05),  # the classic script's choice
    lambda lib, ps: lib.optim.SGD(ps, lr=0.5),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.2, momentum=0.9, nesterov=True),
    lambda lib, ps: lib.optim.Adagrad(ps, lr=0.3),
])
def test_sparse_embeddings_train_identically_on_torch_and_ember(make_optimizer):
    """The classic script builds its tables with sparse=True (sparse gradients)."""
    stoi, itos, freqs = vocabulary(TEXT)
    pairs = skipgram_pairs([stoi[w] for w in TEXT], WINDOW)
    r = np.random.default_rng(1)
    steps = -(-len(pairs) // BATCH)
    p = freqs ** 0.75 / (freqs ** 0.75).sum()
    negatives = [r.choice(len(itos), (BATCH, NEG), p=p) for _ in range(steps)]
    torch.manual_seed(0)
    tm = build(torch, len(itos), EMB_DIM, sparse=True).double()
    em = build(ember, len(itos), EMB_DIM, sparse=True).double()
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    losses = {}
    for lib, model in ((torch, tm), (ember, em)):
        optimizer = make_optimizer(lib, model.parameters())
        losses[lib] = []
        for step, start in enumerate(range(0, len(pairs), BATCH)):
            chunk = pairs[start:start + BATCH]
            optimizer.zero_grad()
            loss = model(lib.tensor(chunk[:, 0]), lib.tensor(chunk[:, 1]),
                         lib.tensor(negatives[step][:len(chunk)]))
            loss.backward()
            assert model.u_embeddings.weight.grad.is_sparse
            optimizer.step()
            losses[lib].append(loss.item())
    np.testing.assert_allclose(losses[ember], losses[torch], rtol=1e-9)
    for (name, a), b in zip(em.state_dict().items(), tm.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-12, err_msg=name)


def test_sparse_gradients_refused_where_torch_refuses_them():
    for lib in (torch, ember):
        model = build(lib, 5, EMB_DIM, sparse=True)
        loss = model(lib.tensor([0, 1]), lib.tensor([1, 2]), lib.tensor([[3, 4], [4, 0]]))
        loss.backward()
        with pytest.raises(RuntimeError, match="Adam does not support sparse gradients, please "
                                               "consider SparseAdam instead"):
            lib.optim.Adam(model.parameters()).step()
        with pytest.raises(RuntimeError, match="RMSprop does not support sparse gradients"):
            lib.optim.RMSprop(model.parameters()).step()
