"""One test per class of bad input in the core: the error names op, expected and got."""

import pytest

import ember


def test_mismatched_broadcast_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"add: shapes \[2, 3\] and \[4\] cannot be broadcast"):
        ember.ones(2, 3) + ember.ones(4)


def test_matmul_inner_dims_named():
    with pytest.raises(RuntimeError, match=r"matmul: expected input.shape\[-1\] == other.shape\[-2\], "
                                           r"got \[2, 3\] and \[4, 5\]"):
        ember.ones(2, 3) @ ember.ones(4, 5)


def test_matmul_batch_dims_named():
    with pytest.raises(RuntimeError, match=r"matmul: batch dimensions of \[2, 2, 3\] and \[3, 3, 4\]"):
        ember.ones(2, 2, 3) @ ember.ones(3, 3, 4)


def test_matmul_needs_dimensions():
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        ember.matmul(ember.tensor(2.0), ember.ones(2))


def test_out_of_range_dim_names_range():
    with pytest.raises(IndexError, match=r"sum: dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        ember.ones(2, 3).sum(2)
    with pytest.raises(IndexError, match=r"transpose: dimension out of range"):
        ember.ones(2, 3).transpose(0, -3)


def test_out_of_range_index_names_dim_and_size():
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 3"):
        ember.ones(2, 3)[:, 5]
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        ember.ones(3)[3]


def test_backward_on_non_scalar_without_gradient():
    x = ember.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar "
                                           r"outputs; got an output of shape \[2, 3\]"):
        (x * 2).backward()


def test_backward_gradient_shape_mismatch():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad_output\[0\] has a shape of \[2\] and output\[0\] "
                                           r"has a shape of \[3\]"):
        (x * 2).backward(ember.ones(2))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(3).sum().backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match=r"only floating point tensors can require gradients, "
                                           r"got dtype ember.int64"):
        ember.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="only floating point"):
        ember.arange(3).requires_grad_()


def test_reshape_size_mismatch_names_shape_and_numel():
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid for input of size 6"):
        ember.ones(2, 3).reshape(4, 2)


def test_view_of_non_contiguous_suggests_reshape():
    with pytest.raises(RuntimeError, match=r"use \.reshape"):
        ember.ones(2, 3).t().view(6)


def test_expand_non_singleton_dim():
    with pytest.raises(RuntimeError, match=r"expand: the expanded size of the tensor \(4\) must "
                                           r"match the existing size \(3\)"):
        ember.ones(2, 3).expand(2, 4)


def test_second_backward_without_retain_graph():
    x = ember.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_in_place_change_of_saved_tensor_reported_at_backward():
    x = ember.ones(3, requires_grad=True)
    a = x * 1
    b = a * a
    a.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*is at version 1; "
                                           r"expected version 0"):
        b.sum().backward()


def test_in_place_on_leaf_requiring_grad():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x.add_(1)


def test_in_place_result_dtype_cannot_be_cast():
    x = ember.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired "
                                           "output type int64"):
        x.mul_(1.5)


def test_numpy_of_tensor_requiring_grad():
    with pytest.raises(RuntimeError, match=r"use tensor.detach\(\).numpy\(\)"):
        ember.ones(2, requires_grad=True).numpy()


def test_item_of_many_elements():
    with pytest.raises(RuntimeError, match="a Tensor with 3 elements cannot be converted"):
        ember.ones(3).item()


def test_cuda_without_cupy_is_clear():
    if ember.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        ember.ones(2).to("cuda")


def test_unknown_dtype_name():
    with pytest.raises(TypeError, match="unknown dtype name 'float128'"):
        ember.ones(2).to("float128")
