"""Version counters and in-place ops: stale saved tensors raise, valid ones differentiate.

An in-place op bumps the version counter shared by a tensor, its views and
its detached aliases; a backward that needs a value saved at an older
version raises, naming both versions. In-place ops that autograd can follow
(on non-leaf tensors) must give PyTorch's gradients.
"""

import numpy as np
import pytest
import torch
from reference import check, rand

import ember

LIBS = pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
STALE = r"modified by an in-?place operation"


def leaf(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


@LIBS
def test_in_place_op_bumps_the_version(lib):
    x = lib.zeros(3, dtype=lib.float64)
    assert x._version == 0
    x.add_(1)
    x.mul_(2)
    x[0] = 5.0
    assert x._version == 3


@LIBS
def test_modified_saved_input_raises_at_backward(lib):
    x = leaf(lib, [1.0, 2.0, 3.0])
    a = x * 1
    b = a * a  # mul saves a
    a.add_(1)
    with pytest.raises(RuntimeError, match=STALE):
        b.sum().backward()


def test_stale_tensor_message_names_the_versions():
    x = leaf(ember, [1.0, 2.0, 3.0])
    a = x * 1
    b = a * a
    a.add_(1)
    a.mul_(2)
    with pytest.raises(RuntimeError, match=r"shape \(3,\) saved by MulBackward0 is at version 2; "
                                           r"expected version 0 instead"):
        b.sum().backward()


@LIBS
@pytest.mark.parametrize("op", ["div", "matmul", "pow"])
def test_other_ops_saving_inputs_detect_modification(lib, op):
    x = leaf(lib, [1.0, 2.0, 3.0])
    a = x * 1
    b = {"div": lambda: x / a, "matmul": lambda: a @ x, "pow": lambda: x ** a}[op]()
    a.mul_(2)
    with pytest.raises(RuntimeError, match=STALE):
        b.sum().backward()


@LIBS
def test_modified_saved_output_raises(lib):
    x, e = leaf(lib, [1.0, 2.0]), leaf(lib, [2.0, 3.0])
    y = x ** e  # pow with a tensor exponent saves its result
    y.add_(1)
    with pytest.raises(RuntimeError, match=STALE):
        y.sum().backward()


@LIBS
def test_modification_through_a_view_is_seen(lib):
    x = leaf(lib, [1.0, 2.0, 3.0])
    a = x * 1
    b = a * a
    a[1:].mul_(2)
    with pytest.raises(RuntimeError, match=STALE):
        b.sum().backward()


@LIBS
def test_modification_through_a_detached_alias_is_seen(lib):
    x = leaf(lib, [1.0, 2.0, 3.0])
    a = x * 1
    b = a * a
    a.detach().add_(1)
    with pytest.raises(RuntimeError, match=STALE):
        b.sum().backward()


@LIBS
def test_leaf_modified_under_no_grad_after_being_saved(lib):
    x = leaf(lib, [1.0, 2.0])
    b = x * x
    with lib.no_grad():
        x.add_(1)  # allowed on a leaf here...
    with pytest.raises(RuntimeError, match=STALE):
        b.sum().backward()  # ...but the graph saved the old value


@LIBS
def test_unsaved_modification_is_fine(lib):
    x = leaf(lib, [1.0, 2.0])
    a = x * 1
    b = a + 1  # add saves nothing
    a.mul_(3)
    b.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_pow_scalar_result_may_be_modified():
    x = leaf(ember, [1.0, 2.0])
    y = x ** 2
    y.add_(1)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


# ---- in-place on leaves that require grad ---------------------------------------------
@pytest.mark.parametrize("mutate", [
    lambda x: x.add_(1),
    lambda x: x.mul_(2),
    lambda x: x.__iadd__(1),
    lambda x: x.__setitem__(0, 5.0),
], ids=["add_", "mul_", "+=", "setitem"])
def test_in_place_on_a_leaf_requiring_grad_is_refused(mutate):
    x = leaf(ember, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad is being used in "
                                           "an in-place operation"):
        mutate(x)
    assert x.tolist() == [1.0, 2.0] and x._version == 0


def test_in_place_on_a_view_of_a_leaf_requiring_grad_is_refused():
    x = leaf(ember, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="a view of a leaf tensor that requires grad is being "
                                           "used in an in-place operation"):
        x[0:1].mul_(2)


def test_in_place_on_a_leaf_under_no_grad_is_allowed():
    x = leaf(ember, [1.0, 2.0])
    with ember.no_grad():
        x.mul_(2)
    assert x.tolist() == [2.0, 4.0] and x.requires_grad and x.is_leaf


# ---- gradients through in-place ops on non-leaf tensors ----------------------------------
def test_chain_of_in_place_ops_on_a_non_leaf_matches_torch():
    def f(x, y):
        a = x * 2
        a.mul_(3)
        a.pow_(2)
        a.div_(y)
        a.sub_(x)
        a += y
        return a

    check(f, rand((2, 3)), rand((2, 3), positive=True, seed=1))


def test_in_place_with_broadcast_operand_matches_torch():
    def f(x, y):
        a = x * 1
        a.mul_(y)
        a.add_(y, alpha=2)
        return a

    check(f, rand((2, 3)), rand((3,), seed=1))


def test_in_place_through_a_view_of_a_non_leaf_matches_torch():
    def f(x, y):
        a = x * 2
        a[1:].mul_(y[:2])
        a[:1].add_(y[2])
        a.T[1:, 0].div_(y[0] * y[0] + 1)
        return a * a

    check(f, rand((3, 2)), rand((3,), seed=1))


def test_in_place_through_a_single_element_view():
    a = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)
    a[0].add_(10.0)
    m = ember.zeros((2, 2), dtype=ember.float64)
    m[1, 0].add_(1.0)
    assert a.tolist() == [11.0, 2.0, 3.0] and m.tolist() == [[0.0, 0.0], [1.0, 0.0]]


def test_setitem_on_a_non_leaf_matches_torch():
    def f(x, y):
        a = x * 1
        a[0] = y[0] * 3
        a[1:, 1] = y[1:] ** 2
        return a

    check(f, rand((3, 2)), rand((3,), seed=1))


def test_in_place_accumulating_a_grad_tensor_into_a_constant_matches_torch():
    # The target does not require grad, the operand does: the target joins the graph.
    check(lambda x: (x.detach() * 0).add_(x * x), rand((4,)))


def test_view_taken_before_base_is_modified_matches_torch():
    def f(x, y):
        a = x * 2
        v = a[1:]
        t = a.T
        a.mul_(y)
        return v * v + t.sum()

    check(f, rand((3, 2)), rand((2,), seed=1))


def test_a_product_with_a_constant_does_not_hold_the_tensor_like_torch():
    # y * 2 and y / c need only the constant for y's gradient: changing y in
    # place afterwards is no error, as in PyTorch; y * w with w requiring grad
    # does hold y.
    for lib in (ember, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0])
        y = a * 1.0
        z = y * 2.0 + y * c + y / c
        y.add_(1.0)
        z.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), 2.0 + np.array([3.0, 4.0]) + 1 / np.array(
            [3.0, 4.0]))
    w = ember.tensor([3.0, 4.0], requires_grad=True)
    y = ember.tensor([1.0, 2.0], requires_grad=True) * 1.0
    z = y * w
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()
