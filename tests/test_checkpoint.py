"""ember.utils.checkpoint against torch.utils.checkpoint and against Ember without
checkpointing: outputs, gradients of inputs and parameters, dropout's mask, both
variants, checkpoint_sequential, and the errors."""

import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint

import ember
import ember.utils.checkpoint
from reference import close

BOTH = pytest.mark.parametrize("reentrant", [True, False])


def linear(lib, n_in, n_out, seed):
    """A float64 Linear with the same weights in either library."""
    r = np.random.default_rng(seed)
    m = lib.nn.Linear(n_in, n_out).double()
    m.weight.data = lib.tensor(r.standard_normal((n_out, n_in)))
    m.bias.data = lib.tensor(r.standard_normal(n_out))
    return m


def make_block(lib, p=0.0):
    """Two inputs, a non-tensor argument, a tuple output with a non-tensor in it."""
    lin1, lin2 = linear(lib, 4, 5, 1), linear(lib, 5, 3, 2)

    def block(x, y, scale):
        h = lib.tanh(lin1(x) * scale + y)
        h = lib.nn.functional.dropout(h, p, training=p > 0)
        return lin2(h), h.sum(-1), "tag"
    return block, (lin1, lin2)


def run(lib, reentrant, use_checkpoint, p=0.0, seed=0, x_grad=True):
    r = np.random.default_rng(seed)
    x = lib.tensor(r.standard_normal((6, 4)), requires_grad=x_grad)
    y = lib.tensor(r.standard_normal((6, 5)), requires_grad=True)
    block, mods = make_block(lib, p)
    if lib is ember:
        ember.manual_seed(5)
    if use_checkpoint:
        cp = lib.utils.checkpoint.checkpoint
        out = cp(block, x, y, 0.5, use_reentrant=reentrant)
    else:
        out = block(x, y, 0.5)
    a, b, tag = out
    assert tag == "tag"
    (a.pow(2).sum() + (b * b).sum()).backward()
    params = [q for m in mods for q in m.parameters()]
    return (a, b), (x.grad, y.grad), [q.grad for q in params]


@BOTH
def test_outputs_and_gradients_match_torch_and_plain(reentrant):
    eo, eg, ep = run(ember, reentrant, True)
    to, tg, tp = run(torch, reentrant, True)
    po, pg, pp = run(ember, reentrant, False)
    for ours, ref, plain in zip(eo + eg + tuple(ep), to + tg + tuple(tp), po + pg + tuple(pp)):
        close(ours, ref)
        close(ours, plain)


@BOTH
def test_dropout_draws_the_same_mask_in_the_recomputation(reentrant):
    (a, _), grads, params = run(ember, reentrant, True, p=0.5)
    (pa, _), pgrads, pparams = run(ember, reentrant, False, p=0.5)
    assert (a.detach() == pa.detach()).all()
    for ours, plain in zip(list(grads) + params, list(pgrads) + pparams):
        np.testing.assert_array_equal(ours.numpy(), plain.numpy())
    # the random stream after backward is where it would be without the checkpoint
    after = ember.rand(4).tolist()
    run(ember, reentrant, False, p=0.5)
    assert ember.rand(4).tolist() == after


@BOTH
def test_without_preserved_rng_state_the_mask_differs(reentrant):
    """The counter-test: the same run recomputing from the current random state."""
    x = ember.tensor(np.ones((50, 4)), requires_grad=True)
    block, _ = make_block(ember, p=0.5)
    ember.manual_seed(5)
    a, _, _ = ember.utils.checkpoint.checkpoint(block, x, x[:, :1], 1.0, use_reentrant=reentrant,
                                                preserve_rng_state=False)
    a.sum().backward()
    x2 = ember.tensor(np.ones((50, 4)), requires_grad=True)
    ember.manual_seed(5)
    block(x2, x2[:, :1], 1.0)[0].sum().backward()
    assert not np.array_equal(x.grad.numpy(), x2.grad.numpy())


def test_non_reentrant_gives_parameters_gradients_when_no_input_requires_grad():
    _, (xg, _), ours = run(ember, False, True, x_grad=False)
    _, (txg, _), ref = run(torch, False, True, x_grad=False)
    assert xg is None and txg is None
    for a, b in zip(ours, ref):
        close(a, b)


def test_reentrant_warns_and_leaves_parameters_without_gradients_like_torch():
    lin = linear(ember, 3, 2, 0)
    tlin = linear(torch, 3, 2, 0)
    x, tx = ember.ones(4, 3, dtype=ember.float64), torch.ones(4, 3, dtype=torch.float64)
    with pytest.warns(UserWarning, match="none of the inputs has requires_grad=True"):
        out = ember.utils.checkpoint.checkpoint(lin, x, use_reentrant=True)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        tout = torch.utils.checkpoint.checkpoint(tlin, tx, use_reentrant=True)
    assert out.requires_grad is tout.requires_grad is False
    close(out, tout)


def test_non_reentrant_autograd_grad_wrt_parameters_and_kwargs():
    lin = linear(ember, 3, 2, 0)
    x = ember.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    shift = ember.tensor(np.arange(2.0), requires_grad=True)

    def f(x, *, shift):
        return {"out": lin(x).sigmoid() + shift, "n": 3}

    out = ember.utils.checkpoint.checkpoint(f, x, use_reentrant=False, shift=shift)
    assert out["n"] == 3
    got = ember.autograd.grad(out["out"].pow(2).sum(), [x, lin.weight, lin.bias, shift])
    want = ember.autograd.grad(f(x, shift=shift)["out"].pow(2).sum(),
                               [x, lin.weight, lin.bias, shift])
    for a, b in zip(got, want):
        close(a, b)
    assert lin.weight.grad is None  # returned, not accumulated


@BOTH
def test_an_unused_output_and_a_non_differentiable_one(reentrant):
    w = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)

    def f(w):
        return w * 2, w.exp(), w.argmax()

    a, b, i = ember.utils.checkpoint.checkpoint(f, w, use_reentrant=reentrant)
    assert not i.requires_grad and i.item() == 2
    a.sum().backward()  # b unused
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


@BOTH
def test_retain_graph_runs_backward_twice_and_a_third_time_raises(reentrant):
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    out = ember.utils.checkpoint.checkpoint(lambda t: (t * t).sum(), w, use_reentrant=reentrant)
    out.backward(retain_graph=True)
    out.backward()
    assert w.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward()


@BOTH
def test_in_place_change_of_an_input_before_backward_raises(reentrant):
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    x = w * 1
    out = ember.utils.checkpoint.checkpoint(lambda t: (t * t).sum(), x, use_reentrant=reentrant)
    x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.backward()


@BOTH
def test_double_backward_through_a_checkpoint_raises(reentrant):
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    out = ember.utils.checkpoint.checkpoint(lambda t: (t * t * t).sum(), w,
                                            use_reentrant=reentrant)
    with pytest.raises(RuntimeError, match="checkpoint: higher-order gradients"):
        ember.autograd.grad(out, w, create_graph=True)


def test_under_no_grad_it_is_a_plain_call():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    with ember.no_grad():
        out = ember.utils.checkpoint.checkpoint(lambda t: t * 2, w, use_reentrant=False)
    assert out.grad_fn is None and not out.requires_grad


def test_checkpoint_errors():
    cp = ember.utils.checkpoint.checkpoint
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="checkpoint: unexpected keyword arguments shift"):
        cp(lambda t, shift: t + shift, x, use_reentrant=True, shift=1)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: shift"):
        torch.utils.checkpoint.checkpoint(lambda t, shift: t + shift, torch.ones(2),
                                          use_reentrant=True, shift=1)
    with pytest.raises(TypeError, match="checkpoint: expected function to be callable, got int"):
        cp(3, x, use_reentrant=False)
    with pytest.warns(UserWarning, match="pass use_reentrant explicitly"):
        out = cp(lambda t: t * 2, x)
    assert out.grad_fn is not None


# ---- checkpoint_sequential ---------------------------------------------------------

def sequential(lib):
    return lib.nn.Sequential(linear(lib, 4, 6, 1), lib.nn.Tanh(), linear(lib, 6, 6, 2),
                             lib.nn.ReLU(), linear(lib, 6, 3, 3))


@BOTH
@pytest.mark.parametrize("segments", [1, 2, 3, 5])
def test_checkpoint_sequential_matches_torch(reentrant, segments):
    results = []
    for lib in (ember, torch):
        model = sequential(lib)
        x = lib.tensor(np.random.default_rng(0).standard_normal((5, 4)), requires_grad=True)
        out = lib.utils.checkpoint.checkpoint_sequential(model, segments, x,
                                                         use_reentrant=reentrant)
        out.pow(2).sum().backward()
        results.append([out, x.grad] + [p.grad for p in model.parameters()])
    for ours, ref in zip(*results):
        close(ours, ref)


def test_checkpoint_sequential_takes_a_list_and_checks_its_arguments():
    fns = [lambda t: t * 2, lambda t: t + 1, lambda t: t.sin()]
    x = ember.tensor([0.5, 1.0], requires_grad=True)
    out = ember.utils.checkpoint.checkpoint_sequential(fns, 2, x, use_reentrant=False)
    out.sum().backward()
    close(x.grad, 2 * np.cos(2 * x.detach().numpy() + 1))
    for bad in (0, 4, 1.5):
        with pytest.raises(ValueError, match=r"checkpoint_sequential: expected segments to be "
                                             r"an int in \[1, 3\]"):
            ember.utils.checkpoint.checkpoint_sequential(fns, bad, x, use_reentrant=False)
    with pytest.raises(ValueError, match="checkpoint_sequential: unexpected keyword arguments "
                                         "foo"):
        ember.utils.checkpoint.checkpoint_sequential(fns, 2, x, use_reentrant=False, foo=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="pass use_reentrant explicitly"):
            ember.utils.checkpoint.checkpoint_sequential(fns, 2, x)


def test_a_closed_over_tensor_computed_outside_is_a_boundary_like_torch():
    results = []
    for lib, run in ((ember, ember.utils.checkpoint.checkpoint),
                     (torch, torch.utils.checkpoint.checkpoint)):
        p = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        x = lib.tensor([0.5, 0.25], dtype=lib.float64, requires_grad=True)
        z = p.exp()  # outside the checkpoint, used inside and outside
        out = run(lambda a: (a * z).sin(), x, use_reentrant=False)
        (out.sum() + (z * z).sum()).backward()
        got = [p.grad.tolist(), x.grad.tolist()]
        z2 = p.exp()
        out2 = run(lambda a: (a * z2).sin(), x, use_reentrant=False)
        got.append(lib.autograd.grad(out2.sum(), z2)[0].tolist())
        loss = run(lambda a: (a * z2).sin(), x, use_reentrant=False).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        got.append(p.grad.tolist())
        results.append(got)
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_an_argument_also_closed_over_gets_both_shares_like_torch():
    results = []
    for lib, run in ((ember, ember.utils.checkpoint.checkpoint),
                     (torch, torch.utils.checkpoint.checkpoint)):
        x = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        run(lambda a: a * x, x, use_reentrant=False).sum().backward()
        w = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        h = w * 2
        run(lambda q: (q * h).sin() + h, h, use_reentrant=False).sum().backward()
        results.append([x.grad.tolist(), w.grad.tolist()])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


@pytest.mark.parametrize("reentrant", [False, True])
def test_the_recomputation_runs_under_the_first_runs_autocast(reentrant):
    grads = []
    for checkpointed in (False, True):
        ember.manual_seed(0)
        blocks = ember.nn.ModuleList([ember.nn.Sequential(ember.nn.Linear(8, 8), ember.nn.GELU())
                                      for _ in range(2)])
        with ember.autocast("cpu"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            h = ember.ones(2, 8, requires_grad=True)
            for block in blocks:
                h = ember.utils.checkpoint.checkpoint(block, h, use_reentrant=reentrant) \
                    if checkpointed else block(h)
            assert h.dtype == ember.bfloat16
            loss = h.float().pow(2).mean()
        loss.backward()
        grads.append([p.grad for p in blocks.parameters()])
    for plain, ours in zip(*grads):
        assert ours.dtype == ember.float32
        np.testing.assert_array_equal(ours.numpy(), plain.numpy())
