"""torch._foreach_* against PyTorch: values, in-place updates, gradients, errors."""

import numpy as np
import pytest
import torch

import ember
from ember.ops import foreach
from reference import close

SHAPES = [(3,), (2, 2), ()]


def _lists(seed=0, positive=False):
    r = np.random.default_rng(seed)
    arrays = [r.uniform(0.2, 2.0, s) if positive else r.standard_normal(s) for s in SHAPES]
    return [ember.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def _same(ours, theirs):
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        close(o, t)


def test_every_torch_foreach_function_exists():
    names = {n for n in dir(torch) if n.startswith("_foreach_")}
    assert names <= set(foreach.__all__)
    assert all(getattr(ember, n) is getattr(foreach, n) for n in names)


@pytest.mark.parametrize("name", foreach._UNARY)
def test_unary_out_of_place_and_in_place(name):
    positive = name in ("log", "log10", "log2", "rsqrt", "sqrt", "acos", "asin", "lgamma")
    (e, t), (e2, t2) = _lists(1, positive), _lists(1, positive)
    if name in ("acos", "asin"):
        e, t = [x * 0.4 for x in e], [x * 0.4 for x in t]
        e2, t2 = [x * 0.4 for x in e2], [x * 0.4 for x in t2]
    _same(getattr(ember, f"_foreach_{name}")(e), getattr(torch, f"_foreach_{name}")(t))
    returned = getattr(ember, f"_foreach_{name}_")(e2)
    getattr(torch, f"_foreach_{name}_")(t2)
    assert all(r is x for r, x in zip(returned, e2))
    _same(e2, t2)


@pytest.mark.parametrize("name", foreach._BINARY)
@pytest.mark.parametrize("kind", ["scalar", "scalar list", "tensor list", "tensor"])
def test_binary_forms_match_torch(name, kind):
    e, t = _lists(2, positive=True)
    if kind == "scalar":
        eo = to = 1.5
    elif kind == "scalar list":
        eo = to = [1.5, 0.5, 2.0]
    elif kind == "tensor list":
        eo, to = _lists(3, positive=True)
    else:
        eo, to = ember.tensor(1.25, dtype=ember.float64), torch.tensor(1.25, dtype=torch.float64)
    _same(getattr(ember, f"_foreach_{name}")(e, eo), getattr(torch, f"_foreach_{name}")(t, to))
    getattr(ember, f"_foreach_{name}_")(e, eo)
    getattr(torch, f"_foreach_{name}_")(t, to)
    _same(e, t)


def test_add_and_sub_alpha_and_pow_with_a_number_base():
    e, t = _lists(4)
    eo, to = _lists(5)
    _same(ember._foreach_add(e, eo, alpha=-0.5), torch._foreach_add(t, to, alpha=-0.5))
    ember._foreach_sub_(e, eo, alpha=2.0)
    torch._foreach_sub_(t, to, alpha=2.0)
    _same(e, t)
    _same(ember._foreach_pow(2.0, e), torch._foreach_pow(2.0, t))


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("value", [1, 0.3, [0.3, -1.0, 2.0], "tensor"])
def test_addcmul_addcdiv_match_torch(name, value):
    e, t = _lists(6)
    e1, t1 = _lists(7)
    e2, t2 = _lists(8, positive=True)
    ev, tv = (ember.tensor([0.3, -1.0, 2.0]), torch.tensor([0.3, -1.0, 2.0])) \
        if value == "tensor" else (value, value)
    _same(getattr(ember, f"_foreach_{name}")(e, e1, e2, ev),
          getattr(torch, f"_foreach_{name}")(t, t1, t2, tv))
    getattr(ember, f"_foreach_{name}_")(e, e1, e2, ev)
    getattr(torch, f"_foreach_{name}_")(t, t1, t2, tv)
    _same(e, t)


@pytest.mark.parametrize("weight", [0.25, [0.5, 0.25, 1.0], "tensors"])
def test_lerp_matches_torch(weight):
    e, t = _lists(9)
    e1, t1 = _lists(10)
    ew, tw = _lists(11) if weight == "tensors" else (weight, weight)
    _same(ember._foreach_lerp(e, e1, ew), torch._foreach_lerp(t, t1, tw))
    ember._foreach_lerp_(e, e1, ew)
    torch._foreach_lerp_(t, t1, tw)
    _same(e, t)


def test_reductions_copies_and_products():
    e, t = _lists(12)
    for ord in (2, 1, float("inf")):
        _same(ember._foreach_norm(e, ord), torch._foreach_norm(t, ord))
    _same(ember._foreach_max(e), torch._foreach_max(t))
    _same(ember._foreach_powsum(e, 3), torch._foreach_powsum(t, 3))
    clones = ember._foreach_clone(e)
    assert all(c is not x and c.tolist() == x.tolist() for c, x in zip(clones, e))
    ember._foreach_zero_(clones)
    assert all(not c.abs().sum().item() for c in clones)
    ember._foreach_copy_(clones, e)
    _same(clones, t)
    m, mt = [ember.tensor(np.eye(2) * 2)], [torch.tensor(np.eye(2) * 2)]
    _same(ember._foreach_mm(m, m), torch._foreach_mm(mt, mt))


def test_gradients_flow_through_the_out_of_place_forms():
    e, t = _lists(13)
    for x in e + t:
        x.requires_grad_()
    sum(y.sum() for y in ember._foreach_mul(ember._foreach_exp(e), 3.0)).backward()
    sum(y.sum() for y in torch._foreach_mul(torch._foreach_exp(t), 3.0)).backward()
    _same([x.grad for x in e], [x.grad for x in t])


def test_a_hand_written_sgd_momentum_step_like_torch():
    # The multi-tensor SGD-with-momentum update a custom optimizer writes.
    p, pt = _lists(14)
    g, gt = _lists(15)
    buf, buft = ember._foreach_clone(g), torch._foreach_clone(gt)
    for _ in range(3):
        ember._foreach_mul_(buf, 0.9)
        ember._foreach_add_(buf, g)
        ember._foreach_add_(p, buf, alpha=-0.1)
        torch._foreach_mul_(buft, 0.9)
        torch._foreach_add_(buft, gt)
        torch._foreach_add_(pt, buft, alpha=-0.1)
    _same(p, pt)


def test_errors_name_the_function_and_what_came():
    e, _ = _lists(16)
    with pytest.raises(RuntimeError, match=r"_foreach_add: expected a scalar list of 3 "
                                           r"elements, one per tensor, got 1"):
        ember._foreach_add(e, [1.0])
    with pytest.raises(TypeError, match="_foreach_mul_: expected self to be a list or tuple of "
                                        "Tensors, got Tensor"):
        ember._foreach_mul_(e[0], 2.0)
    with pytest.raises(TypeError, match=r"_foreach_exp: expected self\[1\] to be a Tensor, "
                                        r"got float"):
        ember._foreach_exp([e[0], 1.0])
    with pytest.raises(RuntimeError, match="_foreach_addcmul: expected lists of the same length, "
                                           "got 3 and 2"):
        ember._foreach_addcmul(e, e[:2], e)
    with pytest.raises(TypeError, match="_foreach_div: expected a number, a Tensor or a list of "
                                        "them, got str"):
        ember._foreach_div(e, "2")


def test_scalar_operand_shapes_and_empty_lists_are_checked_like_torch():
    e, t = _lists(17)
    for lib, xs in ((ember, e), (torch, t)):
        with pytest.raises(RuntimeError, match="0.dim|0-d tensor"):
            lib._foreach_mul(xs, lib.tensor([2.0, 3.0, 4.0]))
        with pytest.raises(RuntimeError, match="0.dim|0-d tensor"):
            lib._foreach_add(xs[:1], lib.tensor([5.0]))
        with pytest.raises(RuntimeError, match="at least one tensor|non-empty list"):
            lib._foreach_exp([])
    with pytest.raises(RuntimeError, match="_foreach_addcmul: expected a tensor of 3 values, one "
                                           "per tensor, got 2"):
        ember._foreach_addcmul(e, e, e, ember.tensor([1.0, 2.0]))
