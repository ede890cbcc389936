"""Compare an Ember computation with PyTorch's: values, gradients, second derivatives.

The same function runs on Ember tensors and on torch tensors (the APIs match),
on float64 inputs. ``check`` then compares the outputs, the gradients of every
input for a random upstream gradient, and (with ``second=True``) the gradient
of <grads, v> for a random v, i.e. a Hessian-vector product through the
backward pass itself.
"""

import numpy as np
import torch

import ember

RTOL, ATOL = 1e-7, 1e-9


def to_np(t):
    """Host NumPy array of an Ember or torch tensor (or pass arrays through)."""
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)  # force: torch's ZeroTensor gradients
    if isinstance(t, ember.Tensor):
        return np.asarray(t.detach().numpy())
    return np.asarray(t)


def close(ours, ref, rtol=RTOL, atol=ATOL, what="value"):
    """Assert an Ember result equals a torch one (shape, dtype kind, values)."""
    a, b = to_np(ours), to_np(ref)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    if b.dtype == np.bool_ or b.dtype.kind in "iu":
        assert a.dtype.kind == b.dtype.kind or (a.dtype == np.bool_) == (b.dtype == np.bool_), \
            f"{what}: dtype {a.dtype} vs torch's {b.dtype}"
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol,
                                   atol=atol, err_msg=what)


def rand(shape, seed=0, low=-2.0, high=2.0, positive=False):
    """Random float64 array; ``positive`` keeps it in [0.5, high]."""
    r = np.random.default_rng(seed)
    if positive:
        return r.uniform(0.5, max(high, 1.0), shape)
    return r.uniform(low, high, shape)


def lib_of(t):
    """The library (ember or torch) that ``t`` belongs to, for ops called as functions."""
    return torch if isinstance(t, torch.Tensor) else ember


def squared(out):
    """Square every output so that second derivatives are not trivially zero."""
    if isinstance(out, (tuple, list)):
        return tuple(o * o for o in out)
    return out * out


def assert_grads_differentiable(op, *arrays):
    """Each non-empty gradient of sum(op(x)**2) must itself require grad.

    A direct guard against a backward that detaches (``check`` also catches it
    where torch's second derivative is nonzero).
    """
    xs = [ember.tensor(a, requires_grad=True) for a in arrays]
    outs = squared(op(*xs))
    outs = outs if isinstance(outs, tuple) else (outs,)
    loss = sum(o.sum() for o in outs if o.requires_grad)
    grads = ember.autograd.grad(loss, xs, create_graph=True, allow_unused=True)
    for i, g in enumerate(grads):
        assert g is None or g.numel() == 0 or g.requires_grad, f"grad of input {i} is detached"


def _outputs(o):
    return list(o) if isinstance(o, (tuple, list)) else [o]


def check(fn, *arrays, second=True, rtol=RTOL, atol=ATOL, grad_inputs=None, seed=1):
    """Run ``fn`` on Ember and torch versions of ``arrays`` and compare everything.

    Args:
        fn: a function taking tensors (called once with Ember, once with torch).
        arrays: NumPy inputs; floating ones require grad.
        second: also compare second derivatives.
        grad_inputs: indices of the inputs to differentiate (default: floating ones).
    Returns:
        The Ember output (for extra assertions).
    """
    e_in = [ember.tensor(a) if not isinstance(a, (int, float)) else a for a in arrays]
    t_in = [torch.tensor(a) if not isinstance(a, (int, float)) else a for a in arrays]
    if grad_inputs is None:
        grad_inputs = [i for i, a in enumerate(arrays)
                       if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    for i in grad_inputs:
        e_in[i].requires_grad_()
        t_in[i].requires_grad_()
    e_out, t_out = _outputs(fn(*e_in)), _outputs(fn(*t_in))
    assert len(e_out) == len(t_out), "different number of outputs"
    for k, (a, b) in enumerate(zip(e_out, t_out)):
        close(a, b, rtol, atol, f"output {k}")
    if not grad_inputs:
        return e_out[0] if len(e_out) == 1 else e_out
    pairs = [(a, b) for a, b in zip(e_out, t_out)
             if isinstance(b, torch.Tensor) and b.requires_grad]
    if not pairs:
        return e_out[0] if len(e_out) == 1 else e_out
    r = np.random.default_rng(seed)
    ups = [r.standard_normal(tuple(b.shape)) for _, b in pairs]
    e_x = [e_in[i] for i in grad_inputs]
    t_x = [t_in[i] for i in grad_inputs]
    e_g = ember.autograd.grad([a for a, _ in pairs], e_x,
                              [ember.tensor(u, dtype=a.dtype) for u, (a, _) in zip(ups, pairs)],
                              create_graph=second, allow_unused=True)
    t_g = torch.autograd.grad([b for _, b in pairs], t_x,
                              [torch.tensor(u, dtype=b.dtype) for u, (_, b) in zip(ups, pairs)],
                              create_graph=second, allow_unused=True)
    for k, (a, b) in enumerate(zip(e_g, t_g)):
        if b is None:
            assert a is None or not np.any(to_np(a)), f"grad {k}: torch has none, ours is nonzero"
            continue
        assert a is not None, f"grad {k}: ours is None, torch's is not"
        close(a, b, rtol, atol, f"grad of input {grad_inputs[k]}")
    if second:
        _check_second(e_g, t_g, e_x, t_x, grad_inputs, r, rtol, atol)
    return e_out[0] if len(e_out) == 1 else e_out


def _check_second(e_g, t_g, e_x, t_x, grad_inputs, r, rtol, atol):
    """Compare d<grads, v>/dx. A first gradient of ours that is not differentiable
    counts as a zero second derivative, so a wrongly constant backward fails
    wherever torch's second derivative is nonzero."""
    live = [k for k, b in enumerate(t_g) if b is not None and b.requires_grad]
    if not live:
        return
    vs = {k: r.standard_normal(tuple(t_g[k].shape)) for k in live}
    t_s = sum((t_g[k] * torch.tensor(vs[k])).sum() for k in live)
    t_h = torch.autograd.grad(t_s, t_x, allow_unused=True)
    e_terms = [(e_g[k] * ember.tensor(vs[k])).sum() for k in live
               if e_g[k] is not None and e_g[k].requires_grad]
    if e_terms:
        e_s = e_terms[0]
        for term in e_terms[1:]:
            e_s = e_s + term
        e_h = ember.autograd.grad(e_s, e_x, allow_unused=True)
    else:
        e_h = [None] * len(e_x)
    for k, (a, b) in enumerate(zip(e_h, t_h)):
        what = f"second derivative w.r.t. input {grad_inputs[k]}"
        if b is None:
            assert a is None or not np.any(to_np(a)), f"{what}: torch has none, ours is nonzero"
        elif a is None:
            assert not np.any(to_np(b)), f"{what}: ours is missing (a backward that is not " \
                                         "differentiable?) but torch's is nonzero"
        else:
            close(a, b, rtol, atol, what)


def twin_fn(module, name):
    """``module.<name>`` on Ember tensors, ``torch.<name>`` on torch tensors (for
    ops reached through their module before, or besides, ``ember.<name>``)."""
    def call(*args, **kwargs):
        ours = any(isinstance(v, ember.Tensor) for v in (*args, *kwargs.values()))
        return getattr(module if ours else torch, name)(*args, **kwargs)
    return call


def same(f, *arrays):
    """Compare ``f`` on Ember and torch tensors made from ``arrays`` (values and dtypes)."""
    ours = f(*(ember.tensor(a) for a in arrays))
    ref = f(*(torch.tensor(a) for a in arrays))
    ours, ref = (ours, ref) if isinstance(ref, tuple) else ((ours,), (ref,))
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        close(a, b, rtol=1e-6 if b.dtype == torch.float32 else 1e-7)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
    return ours
