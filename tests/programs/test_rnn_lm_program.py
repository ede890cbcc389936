"""A PyTorch-style recurrent language model program, run unchanged on torch and on Ember.

Written the way the classic PyTorch word-level language model scripts are:
the layer type picked by name from ``nn``, weight tying, ``uniform_`` init,
hidden states from ``weight.new_zeros`` and detached between batches
("repackaging"), a corpus batchified with ``.view(bsz, -1).t().contiguous()``,
the LSTM's output flattened with ``.view(-1, nhid)``, ``log_softmax`` with
``NLLLoss``, ``clip_grad_norm_`` and a hand-written SGD update through
``p.data.add_``. The framework module is the program's only import, so the
same source runs on both; the test checks the two train identically.
"""

import numpy as np
import pytest
import torch

import ember


def build(lib, rnn_type, ntoken=19, ninp=12, nhid=12, nlayers=2, tie=True):
    """The model: every name is looked up on ``lib`` (torch or ember)."""
    nn, F = lib.nn, lib.nn.functional

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.0)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=0.0)
            self.decoder = nn.Linear(nhid, ntoken)
            if tie:
                self.decoder.weight = self.encoder.weight
            self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers
            initrange = 0.1
            nn.init.uniform_(self.encoder.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)

        def forward(self, input, hidden):
            emb = self.drop(self.encoder(input))
            output, hidden = self.rnn(emb, hidden)
            output = output.view(-1, self.nhid)  # (seq * batch, nhid)
            decoded = self.decoder(self.drop(output))
            return F.log_softmax(decoded, dim=1), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            if self.rnn_type == "LSTM":
                return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                        weight.new_zeros(self.nlayers, bsz, self.nhid))
            return weight.new_zeros(self.nlayers, bsz, self.nhid)

    return RNNModel()


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()  # (steps, bsz)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


def repackage_hidden(h):
    if isinstance(h, tuple):
        return tuple(repackage_hidden(v) for v in h)
    return h.detach()


def train(lib, model, corpus, bsz=3, bptt=5, lr=2.0, clip=0.25):
    """One epoch over the corpus, as the classic script runs it; returns the losses."""
    criterion = lib.nn.NLLLoss()
    data = batchify(corpus, bsz)
    model.train()
    hidden = model.init_hidden(bsz)
    losses = []
    for i in range(0, data.size(0) - 1, bptt):
        inputs, targets = get_batch(data, i, bptt)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(inputs, hidden)
        loss = criterion(output, targets)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU"])
def test_the_same_rnn_lm_program_trains_identically_on_torch_and_ember(rnn_type):
    corpus = np.random.default_rng(0).integers(0, 19, 64)
    torch.manual_seed(0)
    tm = build(torch, rnn_type).double()
    em = build(ember, rnn_type).double()
    assert list(em.state_dict()) == list(tm.state_dict())  # weight_ih_l0, ... as PyTorch
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    assert em.decoder.weight is em.encoder.weight
    tl = train(torch, tm, torch.tensor(corpus))
    el = train(ember, em, ember.tensor(corpus))
    assert len(el) == len(tl) == 4
    np.testing.assert_allclose(el, tl, rtol=1e-9)
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-7,
                                   atol=1e-10, err_msg=name)
