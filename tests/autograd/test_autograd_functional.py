"""ember.autograd.functional against torch.autograd.functional: values and structures."""

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF
from reference import close, rand

import ember
import ember.autograd.functional as EF


def same(ours, ref, path="result"):
    """Equal nesting (Tensor / tuple), shapes and values, and no graph unless torch has one."""
    if isinstance(ref, (tuple, list)):
        assert isinstance(ours, tuple), f"{path}: {type(ours).__name__}, torch has a tuple"
        assert len(ours) == len(ref), f"{path}: {len(ours)} entries, torch has {len(ref)}"
        for k, (o, r) in enumerate(zip(ours, ref)):
            same(o, r, f"{path}[{k}]")
        return
    assert isinstance(ours, ember.Tensor), f"{path}: {type(ours).__name__}, torch has a Tensor"
    assert ours.requires_grad == ref.requires_grad, f"{path}: requires_grad differs"
    close(ours, ref, what=path)


def args(lib, *arrays):
    return tuple(lib.tensor(a) for a in arrays)


def one_to_one(x):
    return (x * x * x).sum(1) / (x.sum() + 10)


def two_to_two(x, y):
    return x * y * x, (x @ y).sum() * y


def two_to_one(x, y):
    return (x @ y) ** 2


def scalar(x, y):
    return ((x * y) ** 2).sum() + (x ** 3).sum() * y.sum()


def scalar_one(x):
    return (x ** 4).sum() * x.sum()


A, B = rand((2, 3)), rand((3,), seed=1)
V_IN = (rand((2, 3), seed=2), rand((3,), seed=3))
CASES = {  # name: (func, input arrays, v for vjp (output-shaped), v for jvp (input-shaped))
    "one_to_one": (one_to_one, (A,), (rand((2,), seed=4),), (V_IN[0],)),
    "two_to_two": (two_to_two, (A, B), (rand((2, 3), seed=5), rand((3,), seed=6)), V_IN),
    "two_to_one": (two_to_one, (A, B), (rand((2,), seed=7),), V_IN),
}


def packed(lib, arrays, as_tuple):
    ts = args(lib, *arrays)
    return ts if as_tuple else ts[0]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_matches_torch(name, create_graph):
    fn, ins, v, _ = CASES[name]
    multi_out = name == "two_to_two"
    ours = EF.vjp(fn, packed(ember, ins, len(ins) > 1), packed(ember, v, multi_out),
                  create_graph=create_graph)
    ref = TF.vjp(fn, packed(torch, ins, len(ins) > 1), packed(torch, v, multi_out),
                 create_graph=create_graph)
    same(ours, ref)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("create_graph", [False, True])
def test_jvp_matches_torch(name, create_graph):
    fn, ins, _, v = CASES[name]
    multi_in = len(ins) > 1
    ours = EF.jvp(fn, packed(ember, ins, multi_in), packed(ember, v, multi_in),
                  create_graph=create_graph)
    ref = TF.jvp(fn, packed(torch, ins, multi_in), packed(torch, v, multi_in),
                 create_graph=create_graph)
    same(ours, ref)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_matches_torch(name, create_graph):
    fn, ins, _, _ = CASES[name]
    multi_in = len(ins) > 1
    ours = EF.jacobian(fn, packed(ember, ins, multi_in), create_graph=create_graph)
    ref = TF.jacobian(fn, packed(torch, ins, multi_in), create_graph=create_graph)
    same(ours, ref)


@pytest.mark.parametrize("name", CASES)
def test_forward_mode_jacobian_equals_reverse_mode(name):
    fn, ins, _, _ = CASES[name]
    inputs = packed(ember, ins, len(ins) > 1)
    forward = EF.jacobian(fn, inputs, strategy="forward-mode", vectorize=True)
    reverse = EF.jacobian(fn, inputs)
    for f, r in zip(_flat(forward), _flat(reverse)):
        close(f, r)


def _flat(nested):
    if isinstance(nested, tuple):
        return [t for n in nested for t in _flat(n)]
    return [nested]


def test_jacobian_of_zero_dim_and_empty_tensors():
    x = ember.tensor(2.0, dtype=ember.float64)
    close(EF.jacobian(lambda t: t ** 3, x), torch.tensor(12.0, dtype=torch.float64))
    j = EF.jacobian(lambda t: t * 2, ember.zeros((0, 2), dtype=ember.float64))
    assert j.shape == (0, 2, 0, 2)
    j = EF.jacobian(lambda t: t.sum(0), ember.zeros((0, 2), dtype=ember.float64))
    assert j.shape == (2, 0, 2)


def test_jacobian_with_create_graph_is_differentiable():
    results = []
    for lib, F in ((ember, EF), (torch, TF)):
        x = lib.tensor(A, requires_grad=True)
        jac = F.jacobian(one_to_one, x, create_graph=True)
        results.append(lib.autograd.grad((jac * jac).sum(), x))
    close(results[0][0], results[1][0])


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("multi_in", [False, True])
def test_hessian_matches_torch(create_graph, multi_in):
    fn, ins = (scalar, (A, B)) if multi_in else (scalar_one, (B,))
    ours = EF.hessian(fn, packed(ember, ins, multi_in), create_graph=create_graph)
    ref = TF.hessian(fn, packed(torch, ins, multi_in), create_graph=create_graph)
    same(ours, ref)


def test_hessian_with_forward_mode_outer_jacobian():
    x = ember.tensor(B)
    close(EF.hessian(scalar_one, x, outer_jacobian_strategy="forward-mode"),
          TF.hessian(scalar_one, torch.tensor(B)))


@pytest.mark.parametrize("fn_name", ["hvp", "vhp"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("multi_in", [False, True])
def test_hvp_and_vhp_match_torch(fn_name, create_graph, multi_in):
    fn, ins, v = (scalar, (A, B), V_IN) if multi_in else (scalar_one, (B,), (V_IN[1],))
    ours = getattr(EF, fn_name)(fn, packed(ember, ins, multi_in), packed(ember, v, multi_in),
                                create_graph=create_graph)
    ref = getattr(TF, fn_name)(fn, packed(torch, ins, multi_in), packed(torch, v, multi_in),
                               create_graph=create_graph)
    same(ours, ref)


def test_hvp_equals_hessian_times_v():
    x, v = ember.tensor(B), ember.tensor(V_IN[1])
    _, hv = EF.hvp(scalar_one, x, v)
    h = EF.hessian(scalar_one, x)
    close(hv, (h @ v).detach())


def test_v_may_be_omitted_for_one_element():
    x = ember.tensor([1.5], dtype=ember.float64)
    xt = torch.tensor([1.5], dtype=torch.float64)
    cube = lambda t: t ** 3  # noqa: E731
    for name in ("vjp", "jvp", "hvp", "vhp"):
        f = cube if name in ("vjp", "jvp") else (lambda t: (t ** 3).sum())
        same(getattr(EF, name)(f, x), getattr(TF, name)(f, xt))


def test_unused_input_gives_zeros_or_raises_in_strict_mode():
    fn = lambda x, y: x * 2  # noqa: E731
    x, y = args(ember, A, B)
    out, (gx, gy) = EF.vjp(fn, (x, y), ember.ones((2, 3), dtype=ember.float64))
    assert gy.tolist() == [0.0, 0.0, 0.0] and gx.tolist() == [[2.0] * 3] * 2
    jx, jy = EF.jacobian(fn, (x, y))
    assert jy.shape == (2, 3, 3) and not jy._array.any()
    with pytest.raises(RuntimeError, match="independent of"):
        EF.vjp(fn, (x, y), ember.ones((2, 3), dtype=ember.float64), strict=True)
    with pytest.raises(RuntimeError, match="output 0 of the user-provided function is "
                                           "independent of input 1"):
        EF.jacobian(fn, (x, y), strict=True)


def test_strict_mode_refuses_outputs_not_requiring_grad():
    x = ember.tensor(B)
    with pytest.raises(RuntimeError, match="output 0 of the user-provided function does not "
                                           "require gradients"):
        EF.jacobian(lambda t: t.detach() * 2, x, strict=True)
    with pytest.raises(RuntimeError, match="the jacobian of the user-provided function with "
                                           "respect to input 0 is independent of the input"):
        EF.hessian(lambda t: (t * 3).sum(), x, strict=True)  # linear: constant gradient
    zero = EF.hessian(lambda t: (t * 3).sum(), x)
    assert zero.shape == (3, 3) and not zero._array.any()


def test_func_capturing_the_original_input_is_not_differentiated():
    # Like torch: the function gets fresh tensors, so a global use of x is a constant.
    x = ember.tensor(B)
    jac = EF.jacobian(lambda t: t * x, x)
    close(jac, torch.diag(torch.tensor(B)))


def test_inputs_requiring_grad_keep_their_graph_with_create_graph():
    x = ember.tensor(B, requires_grad=True)
    _, g = EF.vjp(lambda t: (t ** 3).sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    close(gg, 6 * B)
    _, g = EF.vjp(lambda t: (t ** 3).sum(), x)
    assert not g.requires_grad and x.grad is None


# ---- bad arguments --------------------------------------------------------------------
def test_v_of_the_wrong_shape_is_refused():
    x = ember.tensor(A)
    with pytest.raises(RuntimeError, match=r"vjp: v has invalid size: should be \[2\] but got "
                                           r"\[3\]"):
        EF.vjp(one_to_one, x, ember.ones(3, dtype=ember.float64))
    with pytest.raises(RuntimeError, match=r"jvp: entry 1 in v has invalid size: should be "
                                           r"\[3\] but got \[2\]"):
        EF.jvp(two_to_one, args(ember, A, B), args(ember, A, A[0, :2]))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but "
                                           "got 1"):
        EF.jvp(two_to_one, args(ember, A, B), args(ember, A))


def test_missing_v_for_a_many_element_output_is_refused():
    with pytest.raises(RuntimeError, match="vjp: the vector v can only be None if the user-"
                                           "provided function's output is a single Tensor with "
                                           "a single element"):
        EF.vjp(one_to_one, ember.tensor(A))


def test_non_tensor_inputs_and_outputs_are_refused():
    with pytest.raises(TypeError, match="jacobian: the inputs given to jacobian must be either "
                                        "a Tensor or a tuple of Tensors but the value at index "
                                        "1 has type float"):
        EF.jacobian(lambda a, b: a * b, (ember.tensor(B), 2.0))
    with pytest.raises(TypeError, match="the given outputs of the user-provided function has "
                                        "type float"):
        EF.vjp(lambda a: 3.0, ember.tensor(B))


@pytest.mark.parametrize("fn_name", ["hessian", "hvp", "vhp"])
def test_hessian_family_needs_a_scalar_function(fn_name):
    x = ember.tensor(B)
    extra = () if fn_name == "hessian" else (ember.tensor(B),)
    with pytest.raises(RuntimeError, match=rf"{fn_name}: the Tensor returned by the function "
                                           rf"given to {fn_name} should contain a single "
                                           r"element, got shape \[3\]"):
        getattr(EF, fn_name)(lambda t: t * t, x, *extra)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        getattr(EF, fn_name)(lambda t: (t.sum(), t.sum()), x, *extra)


def test_jacobian_argument_errors():
    x = ember.tensor(B)
    with pytest.raises(ValueError, match="jacobian: expected strategy 'reverse-mode' or "
                                         "'forward-mode', got 'sideways'"):
        EF.jacobian(one_to_one, x, strategy="sideways")
    with pytest.raises(RuntimeError, match="strict=True and vectorize=True are not supported"):
        EF.jacobian(one_to_one, x, strict=True, vectorize=True)
    with pytest.raises(RuntimeError, match="strict=True and strategy='forward-mode'"):
        EF.jacobian(one_to_one, x, strict=True, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="create_graph=True and "
                                                  "strategy='forward-mode'"):
        EF.jacobian(one_to_one, x, create_graph=True, strategy="forward-mode")


def test_grad_mode_is_restored():
    with ember.no_grad():
        out, j = EF.vjp(lambda t: (t * t).sum(), ember.tensor(B))
        assert not ember.is_grad_enabled()
    np.testing.assert_allclose(j.numpy(), 2 * B)
    assert ember.is_grad_enabled()
