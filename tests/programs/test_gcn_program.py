"""PyTorch-style graph convolutional network programs, on torch and on Ember.

Two ways scripts write a GCN without ``torch.sparse``:

* the dense form of the original GCN code: ``adj + torch.eye(n)``, the
  symmetric normalisation ``D^-1/2 (A + I) D^-1/2`` through
  ``torch.diag(degree.pow(-0.5))``, a ``GraphConvolution`` layer holding
  ``Parameter(torch.FloatTensor(in, out))`` reset by ``uniform_(-stdv, stdv)``
  and applied as ``torch.mm(adj, torch.mm(input, self.weight))``;
* the message-passing form: degrees from ``scatter_add_`` over ``edge_index``,
  ``deg_inv_sqrt[deg_inv_sqrt == float("inf")] = 0``, per-edge norms and
  aggregation with ``index_add_``.

Both models use ``F.dropout(x, self.dropout, training=self.training)``,
``F.log_softmax`` and ``F.nll_loss`` on a train mask, Adam with weight decay,
and accuracy as ``output.max(1)[1].type_as(labels).eq(labels).double()``.
"""

import math

import numpy as np
import pytest
import torch

import ember

N_NODES, N_FEAT, N_HID, N_CLASS = 12, 5, 8, 3


def build(lib, message_passing, dropout=0.0):
    nn, F = lib.nn, lib.nn.functional
    Parameter = nn.parameter.Parameter

    class GraphConvolution(nn.Module):
        def __init__(self, in_features, out_features, bias=True):
            super().__init__()
            self.in_features, self.out_features = in_features, out_features
            self.weight = Parameter(lib.FloatTensor(in_features, out_features))
            if bias:
                self.bias = Parameter(lib.FloatTensor(out_features))
            else:
                self.register_parameter("bias", None)
            self.reset_parameters()

        def reset_parameters(self):
            stdv = 1.0 / math.sqrt(self.weight.size(1))
            self.weight.data.uniform_(-stdv, stdv)
            if self.bias is not None:
                self.bias.data.uniform_(-stdv, stdv)

        def propagate(self, support, graph):
            if not message_passing:
                return lib.mm(graph, support)  # graph: the normalised adjacency
            edge_index, norm = graph
            row, col = edge_index
            out = lib.zeros_like(support)
            return out.index_add_(0, col, support[row] * norm.view(-1, 1))

        def forward(self, input, graph):
            output = self.propagate(lib.mm(input, self.weight), graph)
            return output + self.bias if self.bias is not None else output

    class GCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.gc1 = GraphConvolution(N_FEAT, N_HID)
            self.gc2 = GraphConvolution(N_HID, N_CLASS)
            self.dropout = dropout

        def forward(self, x, graph):
            x = F.relu(self.gc1(x, graph))
            x = F.dropout(x, self.dropout, training=self.training)
            x = self.gc2(x, graph)
            return F.log_softmax(x, dim=1)

    return GCN()


def normalize_dense(lib, adj):
    """D^-1/2 (A + I) D^-1/2 with dense ops."""
    adj = adj + lib.eye(adj.size(0), dtype=adj.dtype)
    degree = adj.sum(1)
    d_inv_sqrt = lib.diag(degree.pow(-0.5))
    return d_inv_sqrt @ adj @ d_inv_sqrt


def normalize_edges(lib, edge_index, num_nodes, dtype):
    """The same normalisation per edge: self loops appended, degrees by scatter_add_."""
    loops = lib.arange(num_nodes).unsqueeze(0).repeat(2, 1)
    edge_index = lib.cat([edge_index, loops], dim=1)
    row, col = edge_index[0], edge_index[1]
    deg = lib.zeros(num_nodes, dtype=dtype).scatter_add_(
        0, col, lib.ones(col.size(0), dtype=dtype))
    deg_inv_sqrt = deg.pow(-0.5)
    deg_inv_sqrt[deg_inv_sqrt == float("inf")] = 0
    return edge_index, deg_inv_sqrt[row] * deg_inv_sqrt[col]


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    correct = preds.eq(labels).double()
    return correct.sum() / len(labels)


def train(lib, model, features, graph, labels, idx_train, idx_val, epochs=15):
    optimizer = lib.optim.Adam(model.parameters(), lr=0.05, weight_decay=5e-4)
    history = []
    for _ in range(epochs):
        model.train()
        optimizer.zero_grad()
        output = model(features, graph)
        loss_train = lib.nn.functional.nll_loss(output[idx_train], labels[idx_train])
        acc_train = accuracy(output[idx_train], labels[idx_train])
        loss_train.backward()
        optimizer.step()
        model.eval()
        with lib.no_grad():
            output = model(features, graph)
            loss_val = lib.nn.functional.nll_loss(output[idx_val], labels[idx_val])
            acc_val = accuracy(output[idx_val], labels[idx_val])
        history.append((loss_train.item(), acc_train.item(), loss_val.item(), acc_val.item()))
    return history


def random_graph(seed=0):
    """An undirected random graph (both directions listed), with an isolated node."""
    r = np.random.default_rng(seed)
    upper = np.triu(r.uniform(size=(N_NODES, N_NODES)) < 0.3, 1)
    upper[-1] = upper[:, -1] = False  # node N-1 isolated: only its self loop
    adj = (upper | upper.T).astype(np.float64)
    edge_index = np.stack(np.nonzero(adj))
    features = r.standard_normal((N_NODES, N_FEAT))
    labels = r.integers(0, N_CLASS, N_NODES)
    train_mask = np.zeros(N_NODES, bool)
    train_mask[:7] = True
    return adj, edge_index, features, labels, train_mask


def data_for(lib, message_passing):
    adj, edge_index, features, labels, train_mask = random_graph()
    if message_passing:
        graph = normalize_edges(lib, lib.tensor(edge_index), N_NODES, lib.float64)
    else:
        graph = normalize_dense(lib, lib.tensor(adj))
    mask = lib.tensor(train_mask)
    return lib.tensor(features), graph, lib.tensor(labels), mask, ~mask


@pytest.mark.parametrize("message_passing", [False, True], ids=["dense", "index_add"])
def test_the_same_gcn_program_trains_identically_on_torch_and_ember(message_passing):
    torch.manual_seed(0)
    tm = build(torch, message_passing).double()
    em = build(ember, message_passing).double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    th = train(torch, tm, *data_for(torch, message_passing))
    eh = train(ember, em, *data_for(ember, message_passing))
    np.testing.assert_allclose(np.array(eh), np.array(th), rtol=1e-10, atol=1e-14)
    assert th[-1][1] > th[0][1]  # it learns the training nodes
    for (name, p), q in zip(em.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-9,
                                   atol=1e-14, err_msg=name)


def test_the_two_normalisations_agree():
    adj, edge_index, *_ = random_graph()
    dense = normalize_dense(ember, ember.tensor(adj))
    ei, norm = normalize_edges(ember, ember.tensor(edge_index), N_NODES, ember.float64)
    rebuilt = np.zeros((N_NODES, N_NODES))
    rebuilt[ei[1].numpy(), ei[0].numpy()] = norm.numpy()
    np.testing.assert_allclose(rebuilt, dense.numpy(), rtol=1e-14)
    np.testing.assert_allclose(dense.numpy(), normalize_dense(torch, torch.tensor(adj)).numpy(),
                               rtol=1e-14)


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_dropout_follows_training_flag(lib):
    lib.manual_seed(0)
    model = build(lib, False, dropout=0.5).double()
    features, graph, *_ = data_for(lib, False)
    model.eval()
    assert lib.equal(model(features, graph), model(features, graph))
    model.train()
    assert not lib.equal(model(features, graph), model(features, graph))
    x = lib.ones(1000, dtype=lib.float64)
    y = lib.nn.functional.dropout(x, 0.5, training=True)
    assert set(y.unique().tolist()) == {0.0, 2.0}
    assert lib.nn.functional.dropout(x, 0.5, training=False) is x or \
        lib.equal(lib.nn.functional.dropout(x, 0.5, training=False), x)
