"""A Hogwild training program (as PyTorch's mnist_hogwild example), on torch and on Ember.

Written as that example is: a model put in shared memory with
``model.share_memory()``, several ``multiprocessing`` processes (spawned)
training it at once with their own optimizer and DataLoader, then the parent
testing the shared model. The digits are a synthetic 8x8 task here (no
download). With one process the run is deterministic and must equal
PyTorch's; with two, the updates race (Hogwild) and the test checks that the
parent's model learned from both.
"""

import numpy as np
import pytest
import torch

import ember

R = np.random.default_rng(0)
PROTOTYPES = R.standard_normal((4, 64))
LABELS = R.integers(0, 4, 256)
IMAGES = (PROTOTYPES[LABELS] + 0.8 * R.standard_normal((256, 64))).astype(np.float32)


def _net_class(lib, name):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(64, 32)
            self.fc2 = nn.Linear(32, 4)

        def forward(self, x):
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    # Module-level names: spawned processes unpickle the model's class by name.
    Net.__name__ = Net.__qualname__ = name
    return Net


EmberNet = _net_class(ember, "EmberNet")
TorchNet = _net_class(torch, "TorchNet")


def build(lib):
    return (EmberNet if lib is ember else TorchNet)()


def dataset(lib, part, parts):
    data = lib.utils.data
    x, y = IMAGES[part::parts], LABELS[part::parts]
    return data.TensorDataset(lib.tensor(x), lib.tensor(y))


def train(rank, libname, model, parts, epochs):
    lib = ember if libname == "ember" else torch
    lib.manual_seed(1 + rank)
    loader = lib.utils.data.DataLoader(dataset(lib, rank, parts), batch_size=16, shuffle=False)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    model.train()
    for _ in range(epochs):
        for data, target in loader:
            optimizer.zero_grad()
            loss = lib.nn.functional.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()


def accuracy(lib, model):
    model.eval()
    with lib.no_grad():
        pred = model(lib.tensor(IMAGES)).argmax(dim=1)
    return float((pred.numpy() == LABELS).mean())


def run(lib, processes, epochs=3):
    mp = lib.multiprocessing.get_context("spawn")
    torch.manual_seed(0)
    reference = build(torch)
    model = build(lib)
    if lib is ember:
        model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in
                               reference.state_dict().items()})
    else:
        model = reference
    model.share_memory()
    before = accuracy(lib, model)
    workers = []
    for rank in range(processes):
        p = mp.Process(target=train, args=(rank, lib.__name__, model, processes, epochs))
        p.start()
        workers.append(p)
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    return before, accuracy(lib, model), {k: v.detach().numpy().copy() for k, v in
                                          model.state_dict().items()}


def test_one_process_trains_the_shared_model_as_torch_does():
    eb, ea, ew = run(ember, 1)
    tb, ta, tw = run(torch, 1)
    assert eb == tb and ea == ta
    for name in tw:
        np.testing.assert_allclose(ew[name], tw[name], rtol=1e-4, atol=1e-5, err_msg=name)
    assert ea > eb


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_two_hogwild_processes_update_the_parents_model(lib):
    before, after, _ = run(lib, 2)
    assert after > max(before, 0.9)
