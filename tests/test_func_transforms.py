"""``ember.func``'s transforms against ``torch.func``: values, structures, nesting, errors."""

import numpy as np
import pytest
import torch
import torch.func as tf

import ember
import ember.func as ef

# torch.func itself warns about torch.jit.script inside.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

R = np.random.default_rng(0)
X = R.standard_normal(3)
Y = R.standard_normal(3)


def same(ours, ref):
    """Equal structures of equal values (tensors compared to 1e-10)."""
    if isinstance(ref, (tuple, list)):
        assert type(ours) is type(ref) and len(ours) == len(ref), (ours, ref)
        for a, b in zip(ours, ref):
            same(a, b)
    elif isinstance(ref, dict):
        assert isinstance(ours, dict) and list(ours) == list(ref)
        for k in ref:
            same(ours[k], ref[k])
    elif isinstance(ref, torch.Tensor):
        assert isinstance(ours, ember.Tensor), type(ours)
        assert tuple(ours.shape) == tuple(ref.shape), (ours.shape, ref.shape)
        np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    else:
        assert ours == ref


def both(fn):
    """fn(lib, func_module) on Ember and on torch."""
    return fn(ember, ef), fn(torch, tf)


def t(lib, a, **kw):
    return lib.tensor(a, dtype=lib.float64, **kw)


@pytest.mark.parametrize("case", [
    lambda lib, F: F.grad(lambda x: (x.sin() * x).sum())(t(lib, X)),
    lambda lib, F: F.grad(lambda x, y: (x * y.exp()).sum(), argnums=1)(t(lib, X), t(lib, Y)),
    lambda lib, F: F.grad(lambda x, y: (x * y ** 2).sum(), argnums=(0, 1))(t(lib, X), t(lib, Y)),
    lambda lib, F: F.grad(lambda x: (x ** 2).sum(), argnums=-1)(t(lib, X)),
    lambda lib, F: F.grad_and_value(lambda x: (x ** 3).sum())(t(lib, X)),
    lambda lib, F: F.grad(lambda x: ((x ** 2).sum(), x.mean()), has_aux=True)(t(lib, X)),
    lambda lib, F: F.grad_and_value(lambda x: ((x ** 2).sum(), {"m": x.max()}),
                                    has_aux=True)(t(lib, X)),
    lambda lib, F: F.grad(lambda p: (p["w"] * p["b"]).sum())({"w": t(lib, X), "b": t(lib, Y)}),
    lambda lib, F: F.grad(lambda p: (p[0] * p[1][0]).sum())((t(lib, X), [t(lib, Y)])),
    lambda lib, F: F.grad(lambda x: F.grad(lambda z: (z ** 3).sum())(x).sum())(t(lib, X)),
    lambda lib, F: F.grad(F.grad(lambda x: x.sin() * x ** 3))(t(lib, 0.7)),
    lambda lib, F: F.grad(lambda x: x.sum() * 0)(t(lib, X)),  # zero, not None
])
def test_grad_matches_torch_func(case):
    ours, ref = both(case)
    same(ours, ref)


def test_grad_results_are_detached_unless_something_outside_is_tracked():
    def run(lib, F):
        x = t(lib, X)
        w = t(lib, Y, requires_grad=True)  # a parameter closed over
        g_plain = F.grad(lambda x: (x ** 2).sum())(x)
        g_param = F.grad(lambda x: (w * x ** 2).sum())(x)
        xt = t(lib, X, requires_grad=True)
        g_tracked = F.grad(lambda x: (x ** 3).sum())(xt)
        (g_param.sum() + g_tracked.sum()).backward()
        return (g_plain.requires_grad, g_param.requires_grad, g_tracked.requires_grad,
                w.grad, xt.grad)
    ours, ref = both(run)
    same(ours, ref)


def test_grad_sees_only_the_argument_not_the_same_tensor_captured():
    def run(lib, F):
        x = t(lib, X, requires_grad=True)
        # d/dy (x * y) at y = x, with x captured: x, whatever y is
        return F.grad(lambda y: (x * y).sum())(x)
    same(*both(run))


@pytest.mark.parametrize("case", [
    lambda lib, F: F.vjp(lambda x: x ** 2, t(lib, X))[1](t(lib, Y)),
    lambda lib, F: F.vjp(lambda x, y: (x * y, x + y), t(lib, X), t(lib, Y))[1](
        (t(lib, Y), t(lib, X))),
    lambda lib, F: F.vjp(lambda x: x.exp(), t(lib, X))[0],
    lambda lib, F: F.vjp(lambda x: (x ** 2, x.sum()), t(lib, X), has_aux=True)[2],
    lambda lib, F: F.jvp(lambda x: x.sin() * x, (t(lib, X),), (t(lib, Y),)),
    lambda lib, F: F.jvp(lambda x, y: x * y, (t(lib, X), t(lib, Y)), (t(lib, Y), t(lib, X))),
    lambda lib, F: F.jvp(lambda x: (x ** 2, x.sum()), (t(lib, X),), (t(lib, Y),), has_aux=True),
    lambda lib, F: F.jacrev(lambda x: x.sin() * x.sum())(t(lib, X)),
    lambda lib, F: F.jacfwd(lambda x: x.sin() * x.sum())(t(lib, X)),
    lambda lib, F: F.jacrev(lambda x, y: (x * y, (x * y).sum()), argnums=(0, 1))(
        t(lib, X), t(lib, Y)),
    lambda lib, F: F.jacrev(lambda x: (x.exp(), x.sum()), has_aux=True)(t(lib, X)),
    lambda lib, F: F.jacrev(lambda x: x.reshape(3, 1) * x)(t(lib, X)),
    lambda lib, F: F.hessian(lambda x: (x.sin() * x ** 2).sum())(t(lib, X)),
    lambda lib, F: F.hessian(lambda x, y: (x * y.exp()).sum(), argnums=1)(t(lib, X), t(lib, Y)),
    lambda lib, F: F.jacrev(F.jacrev(lambda x: x ** 3))(t(lib, X)),
    # outputs that do not depend on the primals: zero tangents, as PyTorch
    lambda lib, F: F.jvp(lambda x: t(lib, Y), (t(lib, X),), (t(lib, Y),)),
    lambda lib, F: F.jvp(lambda x: (x * 2, t(lib, Y)), (t(lib, X),), (t(lib, Y),)),
    # an empty output: a Jacobian of shape (0,) + input shape
    lambda lib, F: F.jacrev(lambda x: x[:0])(t(lib, X)),
])
def test_vjp_jvp_jacobians_match_torch_func(case):
    same(*both(case))


@pytest.mark.parametrize("case", [
    lambda lib, F: F.vmap(lambda a: a * 2)(t(lib, np.arange(6.0).reshape(3, 2))),
    lambda lib, F: F.vmap(lambda a, b: a + b, in_dims=(0, None))(
        t(lib, np.ones((3, 2))), t(lib, [1.0, 2.0])),
    lambda lib, F: F.vmap(lambda a: (a, a.sum()), out_dims=(1, 0))(t(lib, np.ones((3, 2)))),
    lambda lib, F: F.vmap(lambda a: a.sum(0), in_dims=1)(t(lib, np.arange(6.0).reshape(2, 3))),
    lambda lib, F: F.vmap(lambda a: a * 2, in_dims=-1, out_dims=-1)(
        t(lib, np.arange(6.0).reshape(2, 3))),
    lambda lib, F: F.vmap(lambda d: d["a"] * d["b"], in_dims=({"a": 0, "b": None},))(
        {"a": t(lib, np.ones((3, 2))), "b": t(lib, 2.0)}),
    lambda lib, F: F.vmap(F.vmap(lambda a, b: a * b))(t(lib, np.ones((2, 3))),
                                                      t(lib, np.arange(6.0).reshape(2, 3))),
    lambda lib, F: F.vmap(lambda a, k: a * k, in_dims=(0, None))(t(lib, np.ones((2, 2))), 3.0),
    lambda lib, F: F.vmap(lambda a: {"s": a.sum(), "d": a * 2})(t(lib, np.ones((2, 3)))),
    lambda lib, F: F.vmap(lambda a: (a * 2, t(lib, 1.0)), out_dims=(0, None))(
        t(lib, np.ones((2, 3)))),
    lambda lib, F: F.vmap(F.jacrev(lambda x: x.sin() * x.sum()))(t(lib, np.ones((2, 3)))),
])
def test_vmap_matches_torch_func(case):
    same(*both(case))


def test_vmap_gradients_flow_to_the_batched_input():
    def run(lib, F):
        x = t(lib, np.arange(6.0).reshape(3, 2), requires_grad=True)
        F.vmap(lambda a: (a ** 2).sum())(x).sum().backward()
        return x.grad
    same(*both(run))


def test_per_sample_gradients_of_a_model_match_torch():
    """torch.func's per-sample-gradient recipe: vmap(grad(loss)) with functional_call."""
    def run(lib, F):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
        model = model.double()
        for p, a in zip(model.parameters(), _fixed_params()):
            p.data = lib.tensor(a)
        params = {k: v.detach() for k, v in model.named_parameters()}
        xs = t(lib, _XS)
        ys = lib.tensor([0, 1, 1, 0, 1])

        def loss(p, x, y):
            out = F.functional_call(model, p, (x.unsqueeze(0),))
            return lib.nn.functional.cross_entropy(out, y.unsqueeze(0))

        return F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    same(*both(run))


R_FIXED = np.random.default_rng(3)
_PARAMS = [R_FIXED.standard_normal(s) for s in ((4, 3), (4,), (2, 4), (2,))]
_XS = R_FIXED.standard_normal((5, 3))


def _fixed_params():
    return _PARAMS


def test_ensembling_with_stack_module_state_matches_torch():
    def run(lib, F):
        models = [lib.nn.Linear(3, 2).double() for _ in range(4)]
        for k, m in enumerate(models):
            m.weight.data = t(lib, np.full((2, 3), 0.1 * (k + 1)))
            m.bias.data = t(lib, np.full(2, -0.2 * k))
        params, buffers = F.stack_module_state(models)
        x = t(lib, np.arange(6.0).reshape(2, 3))
        out = F.vmap(lambda p, b, x: F.functional_call(models[0], (p, b), (x,)),
                     in_dims=(0, 0, None))(params, buffers, x)
        return out, {k: (v.shape, v.requires_grad, v.is_leaf) for k, v in params.items()}
    (ours, oinfo), (ref, rinfo) = both(run)
    same(ours, ref)
    assert {k: (tuple(s), r, leaf) for k, (s, r, leaf) in oinfo.items()} == \
        {k: (tuple(s), r, leaf) for k, (s, r, leaf) in rinfo.items()}


def test_vmap_randomness_modes():
    x = ember.ones(4, 2)
    with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness "
                                           "error mode"):
        ef.vmap(lambda a: a + ember.rand(2))(x)
    different = ef.vmap(lambda a: a + ember.rand(2), randomness="different")(x)
    assert not np.allclose(different[0].numpy(), different[1].numpy())
    same_rows = ef.vmap(lambda a: a + ember.rand(2), randomness="same")(x)
    for row in same_rows[1:]:
        np.testing.assert_array_equal(row.numpy(), same_rows[0].numpy())
    with pytest.raises(RuntimeError, match="Only allowed values for randomness are 'error', "
                                           "'different', or 'same'. Got sometimes"):
        ef.vmap(lambda a: a, randomness="sometimes")


@pytest.mark.parametrize("call,error,message", [
    (lambda lib, F: F.grad(lambda x: x ** 2)(t(lib, X)), RuntimeError,
     "Expected f(*args) to return a scalar Tensor, got tensor with 1 dims. Maybe you wanted to "
     "use the vjp or jacrev APIs instead?"),
    (lambda lib, F: F.grad(lambda x: (x ** 2).sum())(3.0), ValueError,
     "Thing passed to transform API must be Tensor, got <class 'float'>"),
    (lambda lib, F: F.grad(lambda x: (x ** 2).sum(), argnums=2)(t(lib, X)), RuntimeError,
     "Got argnum=2, but only 1 positional inputs"),
    (lambda lib, F: F.vmap(lambda a, b: a + b)(t(lib, np.ones((3, 2))),
                                               t(lib, np.ones((4, 2)))), ValueError,
     "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
     "[3, 4] for the mapped dimension"),
    (lambda lib, F: F.vmap(lambda a: a, in_dims=None)(t(lib, np.ones(3))), ValueError,
     "expected `in_dims` to be int or a (potentially nested) tuple matching the structure of "
     "inputs, got: <class 'NoneType'>."),
    (lambda lib, F: F.vmap(lambda a: 3)(t(lib, np.ones(3))), ValueError,
     "must only return Tensors, got type <class 'int'>. Did you mean to set out_dims= to None "
     "for output?"),
    (lambda lib, F: F.vmap(lambda a: a, in_dims=2)(t(lib, np.ones(3))), ValueError,
     "Got in_dim=2 for some input, but that input is a Tensor of dimensionality 1 so expected "
     "in_dim to satisfy -1 <= in_dim < 1."),
    (lambda lib, F: F.vmap(lambda a: a, in_dims=(0, 0))(t(lib, np.ones(3))), ValueError,
     "in_dims is not compatible with the structure of `inputs`"),
    (lambda lib, F: F.vmap(lambda a, k: a * k)(t(lib, np.ones(3)), 2.0), ValueError,
     "We cannot vmap over non-Tensor arguments, please use None as the respective in_dim"),
])
def test_transform_errors_match_torch(call, error, message):
    for lib, F in ((ember, ef), (torch, tf)):
        with pytest.raises(error) as info:
            call(lib, F)
        assert message in str(info.value), (lib.__name__, str(info.value))


def test_jacfwd_gives_the_outputs_dtype_and_jacrev_the_inputs_like_torch():
    def run(lib, F):
        x = lib.tensor([1.0, 2.0])
        f = lambda x: x.to(lib.float64) ** 2  # noqa: E731
        return str(F.jacfwd(f)(x).dtype).split(".")[-1], str(F.jacrev(f)(x).dtype).split(".")[-1]
    assert run(ember, ef) == run(torch, tf) == ("float64", "float32")
