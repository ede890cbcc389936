"""Tensors in shared memory across processes (``ember.multiprocessing``)."""

import numpy as np
import pytest

import ember
import ember.multiprocessing as mp


def _add_one(t):
    t.add_(1.0)


def _train_step(model):
    opt = ember.optim.SGD(model.parameters(), lr=0.5)
    loss = (model(ember.ones(1, 2)) ** 2).sum()
    loss.backward()
    opt.step()


def _send_back(queue, t):
    queue.put(t)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_child_updates_a_shared_tensor_in_place(method):
    ctx = mp.get_context(method)
    t = ember.zeros(3).share_memory_()
    p = ctx.Process(target=_add_one, args=(t,))
    p.start()
    p.join(60)
    assert p.exitcode == 0
    assert t.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_child_trains_a_shared_module(method):
    ctx = mp.get_context(method)
    model = ember.nn.Linear(2, 1)
    with ember.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(0.0)
    model.share_memory()
    p = ctx.Process(target=_train_step, args=(model,))
    p.start()
    p.join(60)
    assert p.exitcode == 0
    # one SGD step on (w . 1 + b)^2 = 4: grad 4 for each weight and the bias
    np.testing.assert_allclose(model.weight.detach().numpy(), [[-1.0, -1.0]])
    np.testing.assert_allclose(model.bias.detach().numpy(), [-2.0])


def test_unshared_tensors_are_copied_and_shared_ones_come_back_by_reference():
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    shared = ember.arange(3.0).share_memory_()
    p = ctx.Process(target=_send_back, args=(queue, shared))
    p.start()
    back = queue.get(timeout=60)
    p.join(60)
    assert back.is_shared() and back.tolist() == [0.0, 1.0, 2.0]
    back[0] = 7.0
    assert shared[0].item() == 7.0  # the same memory
    copied = ember.arange(3.0)
    p = ctx.Process(target=_add_one, args=(copied,))
    p.start()
    p.join(60)
    assert copied.tolist() == [0.0, 1.0, 2.0]  # the child changed its own copy


def test_share_memory_rules():
    t = ember.ones(4)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    t.share_memory_()  # again: nothing moves
    with pytest.raises(RuntimeError, match="only a tensor that owns its memory"):
        ember.ones(4)[1:].share_memory_()
    p = ember.nn.Parameter(ember.ones(2))
    assert p.share_memory_().is_shared() and isinstance(p, ember.nn.Parameter)


def _report_dtype(queue, t):
    t.add_(1.0)
    queue.put(str(t.dtype))


def test_a_spawned_child_maps_a_shared_bfloat16_tensor_with_its_dtype():
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    t = ember.zeros(3, dtype=ember.bfloat16).share_memory_()
    p = ctx.Process(target=_report_dtype, args=(queue, t))
    p.start()
    got = queue.get(timeout=60)
    p.join(60)
    assert got == "ember.bfloat16" and t.tolist() == [1.0, 1.0, 1.0]


def test_views_of_a_shared_tensor_are_shared_as_torch():
    import torch
    for lib in (ember, torch):
        t = lib.zeros(4).share_memory_()
        assert t[1:].is_shared() and t.view(2, 2).is_shared()
        assert not lib.zeros(4)[1:].is_shared()


def _write_rank(rank, t, scale):
    t[rank] = (rank + 1) * scale


def _fail_on_one(rank):
    if rank == 1:
        raise ValueError("rank one fails")


def test_spawn_runs_fn_with_each_rank_and_reports_failures():
    t = ember.zeros(3).share_memory_()
    assert mp.spawn(_write_rank, args=(t, 10.0), nprocs=3) is None
    assert t.tolist() == [10.0, 20.0, 30.0]
    with pytest.raises(mp.ProcessRaisedException, match="rank one fails"):
        mp.spawn(_fail_on_one, nprocs=2)
    context = mp.spawn(_write_rank, args=(t, 1.0), nprocs=2, join=False)
    while not context.join():
        pass
    assert t.tolist() == [1.0, 2.0, 30.0] and len(context.pids()) == 2
