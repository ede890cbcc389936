"""gradcheck / gradgradcheck: pass on correct gradients, raise on wrong ones.

Each case that PyTorch can express too runs through ``torch.autograd.gradcheck``
as well, so the two must agree on pass/fail.
"""

import re
import warnings

import numpy as np
import pytest
import torch
from reference import rand

import ember
from ember.autograd import Function
from ember.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

LIBS = pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])


def gc(lib):
    return gradcheck if lib is ember else torch.autograd.gradcheck


def ggc(lib):
    return gradgradcheck if lib is ember else torch.autograd.gradgradcheck


def leaves(lib, *shapes, requires_grad=True):
    return tuple(lib.tensor(rand(s, seed=i), requires_grad=requires_grad)
                 for i, s in enumerate(shapes))


def rational(x, y):
    return (x * y) ** 2 / (y * y + 1) - x.sum() * y


def bilinear(x, w, b):
    return (x @ w + b).mean(0), (x * x).sum()


COMPOSITES = [
    (rational, [(2, 3), (3,)]),
    (bilinear, [(4, 3), (3, 2), (2,)]),
    (lambda x: (x.reshape(3, 2).T @ x.reshape(3, 2)) ** 3, [(6,)]),
    (lambda x, y: x * y + y, [(2, 1, 3), ()]),
]


class WrongSquare(Function):
    """x * x whose backward forgets the factor 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


class TorchWrongSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


class ConstantBackwardSquare(Function):
    """x * x with a correct first derivative that autograd cannot see through:
    backward uses a saved array (a constant to the graph) instead of the saved input."""

    @staticmethod
    def forward(ctx, x):
        ctx.twice_x = ember.tensor(2 * x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        return g * ctx.twice_x


# ---- passing --------------------------------------------------------------------------
@LIBS
@pytest.mark.parametrize("fast_mode", [False, True], ids=["slow", "fast"])
@pytest.mark.parametrize("case", range(len(COMPOSITES)))
def test_gradcheck_and_gradgradcheck_pass_on_composites(lib, fast_mode, case):
    fn, shapes = COMPOSITES[case]
    inputs = leaves(lib, *shapes)
    assert gc(lib)(fn, inputs, fast_mode=fast_mode) is True
    assert ggc(lib)(fn, inputs, fast_mode=fast_mode) is True


def test_gradcheck_accepts_a_single_tensor_and_non_tensor_arguments():
    x = ember.tensor(rand((3,)), requires_grad=True)
    assert gradcheck(lambda t: t * t, x)
    assert gradcheck(lambda t, k, c: t ** k * c, (x, 3, ember.tensor(rand((3,), seed=1))))


def test_gradcheck_with_non_differentiable_outputs():
    x = ember.tensor(rand((3,)), requires_grad=True)
    assert gradcheck(lambda t: (t * 2, t > 0), (x,))
    assert gradcheck(lambda t: t > 0, (x,))  # nothing differentiable: numerical grad is 0


def test_gradcheck_leaves_the_inputs_unchanged():
    a = rand((2, 2))
    x = ember.tensor(a, requires_grad=True)
    gradcheck(lambda t: t * t, (x,), fast_mode=False)
    gradcheck(lambda t: t * t, (x,), fast_mode=True)
    np.testing.assert_array_equal(x.detach().numpy(), a)
    assert x.grad is None and x._version == 0


def test_gradcheck_with_an_output_that_aliases_the_input():
    x = ember.tensor(rand((2, 3)), requires_grad=True)
    assert gradcheck(lambda t: t.reshape(-1), (x,))


def test_gradcheck_on_empty_and_zero_dim_inputs():
    assert gradcheck(lambda t: t * 2, (ember.zeros((0, 2), dtype=ember.float64,
                                                   requires_grad=True),))
    assert gradcheck(lambda t: t ** 3, (ember.tensor(1.5, dtype=ember.float64,
                                                     requires_grad=True),))


def test_gradgradcheck_with_given_and_non_contiguous_grad_outputs():
    x, y = leaves(ember, (2, 3), (3,))
    g = ember.tensor(rand((2, 3), seed=5), requires_grad=True)
    assert gradgradcheck(rational, (x, y), (g,))
    assert gradgradcheck(rational, (x, y), gen_non_contig_grad_outputs=True)


# ---- failing --------------------------------------------------------------------------
@LIBS
@pytest.mark.parametrize("fast_mode", [False, True], ids=["slow", "fast"])
def test_gradcheck_raises_on_a_wrong_backward(lib, fast_mode):
    fn = WrongSquare.apply if lib is ember else TorchWrongSquare.apply
    (x,) = leaves(lib, (2, 2))
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to "
                                           "input 0") as info:
        gc(lib)(fn, (x,), fast_mode=fast_mode)
    if lib is ember:
        assert isinstance(info.value, GradcheckError)
        message = str(info.value)
        assert "numerical:" in message and "analytical:" in message
    assert gc(lib)(fn, (x,), raise_exception=False, fast_mode=fast_mode) is False


def test_mismatch_message_shows_both_jacobians():
    x = ember.tensor([[1.0, 2.0]], dtype=ember.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: (a * b, WrongSquare.apply(b)), (ember.ones(2), x))
    message = str(info.value)
    assert message.startswith("Jacobian mismatch for output 1 with respect to input 0,")
    numerical = message.split("numerical:")[1].split("analytical:")[0]
    analytical = message.split("analytical:")[1]
    diagonal = r"\[\[{}\.0*, +0\.0*\],\s+\[0\.0*, +{}\.0*\]\]"
    assert re.search(diagonal.format(2, 4), numerical)  # d(x^2)/dx = 2x on the diagonal
    assert re.search(diagonal.format(1, 2), analytical)
    assert "largest difference 2" in analytical


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = ember.tensor(rand((3,)), requires_grad=True)
    assert gradcheck(ConstantBackwardSquare.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(ConstantBackwardSquare.apply, (x,))


def test_gradcheck_raises_on_a_backward_that_ignores_a_zero_grad_output():
    class Leaky(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 if g._array.any() else g + 1

    x = ember.tensor(rand((2,)), requires_grad=True)
    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output"):
        gradcheck(Leaky.apply, (x,))


def test_gradcheck_raises_on_a_non_reentrant_backward():
    rng = np.random.default_rng(0)

    class Noisy(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * (2 + ember.tensor(rng.uniform(0, 1e-9, g.shape)))

    x = ember.tensor(rand((2,)), requires_grad=True)
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(Noisy.apply, (x,))
    assert gradcheck(Noisy.apply, (x,), nondet_tol=1e-8)


def test_check_grad_dtypes_passes_on_matching_dtypes():
    x, y = leaves(ember, (2,), (2,))
    assert gradcheck(lambda a, b: a * b, (x, y), check_grad_dtypes=True)


def test_output_that_changes_without_requiring_grad_fails():
    x = ember.tensor(rand((2,)), requires_grad=True)
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be "
                                             "zero"):
        gradcheck(lambda t: t.detach() * 2, (x,))


# ---- bad arguments --------------------------------------------------------------------
@LIBS
def test_gradcheck_warns_on_float32_inputs(lib):
    x = lib.ones(3, dtype=lib.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                         "precision floating point"):
        gc(lib)(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2, eps=1e-2)


def test_float64_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcheck(lambda t: t * 2, (ember.ones(2, dtype=ember.float64, requires_grad=True),))


@LIBS
def test_gradcheck_needs_an_input_requiring_grad(lib):
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to "
                                         "require gradient"):
        gc(lib)(lambda t: t * 2, leaves(lib, (2,), requires_grad=False))


def test_gradcheck_refuses_overlapping_inputs():
    x = ember.tensor(rand((1, 3)), requires_grad=True).expand(2, 3)
    with pytest.raises(RuntimeError, match=r"input 0 has a dimension with stride 0 \(shape "
                                           r"\[2, 3\], strides \[0, 1\]\)"):
        gradcheck(lambda t: t * 2, (x,))


@pytest.mark.parametrize("flag", ["check_forward_ad", "check_batched_grad",
                                  "check_batched_forward_grad", "masked"])
def test_gradcheck_unsupported_flags_raise(flag):
    x = ember.ones(2, dtype=ember.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match=f"gradcheck: {flag}=True is not supported"):
        gradcheck(lambda t: t * 2, (x,), **{flag: True})
    with pytest.raises(ValueError, match="check_backward_ad=False leaves nothing to check"):
        gradcheck(lambda t: t * 2, (x,), check_backward_ad=False)


def test_gradgradcheck_unsupported_flags_raise():
    x = ember.ones(2, dtype=ember.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="gradgradcheck: check_fwd_over_rev=True"):
        gradgradcheck(lambda t: t * t, (x,), check_fwd_over_rev=True)
    with pytest.raises(ValueError, match="check_rev_over_rev=False"):
        gradgradcheck(lambda t: t * t, (x,), check_rev_over_rev=False)


def test_gradcheck_error_is_a_runtime_error():
    assert issubclass(GradcheckError, RuntimeError)
