"""Choosing scaled_dot_product_attention's implementation, against PyTorch's switches."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.attention as tattn

import ember
import ember.nn.attention as eattn

# PyTorch explains in UserWarnings why a kernel it was limited to does not fit.
pytestmark = [pytest.mark.filterwarnings("ignore:.*kernel not used because:UserWarning"),
              pytest.mark.filterwarnings("ignore:Both fused kernels do not support:UserWarning")]

R = np.random.default_rng(0)
Q = R.standard_normal((1, 2, 4, 8))


def attend(lib, **kwargs):
    q = lib.tensor(Q)
    return lib.nn.functional.scaled_dot_product_attention(q, q, q, **kwargs)


def outcome(lib, attn, backends, **kwargs):
    try:
        with attn.sdpa_kernel(backends):
            out = attend(lib, **kwargs)
    except RuntimeError as e:
        return "error", "No viable backend" in str(e) or "No available kernel" in str(e)
    return "ok", out.detach().numpy() if kwargs.get("dropout_p", 0) == 0 else None


@pytest.mark.parametrize("names", [["MATH"], ["FLASH_ATTENTION"], ["EFFICIENT_ATTENTION"],
                                   ["CUDNN_ATTENTION"], ["FLASH_ATTENTION", "MATH"]])
def test_sdpa_kernel_allows_what_torch_allows_on_the_cpu(names):
    ours = outcome(ember, eattn, [getattr(eattn.SDPBackend, n) for n in names])
    ref = outcome(torch, tattn, [getattr(tattn.SDPBackend, n) for n in names])
    assert ours[0] == ref[0]
    if ours[0] == "ok":
        np.testing.assert_allclose(ours[1], ref[1], rtol=1e-10, atol=1e-12)
    else:
        assert ours[1] and ref[1]


def test_sdpa_kernel_restores_the_switches_and_checks_its_argument():
    with eattn.sdpa_kernel(eattn.SDPBackend.MATH):
        assert ember.backends.cuda.math_sdp_enabled()
        assert not ember.backends.cuda.flash_sdp_enabled()
    assert ember.backends.cuda.flash_sdp_enabled() and ember.backends.cuda.math_sdp_enabled()
    for attn in (eattn, tattn):
        with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend or "
                                                 "a list of SDPBackend instances, got str"):
            with attn.sdpa_kernel("math"):
                pass
    assert {k: v.value for k, v in eattn.SDPBackend.__members__.items()} == \
        {k: v.value for k, v in tattn.SDPBackend.__members__.items()}
    assert repr(eattn.SDPBackend.MATH) == repr(tattn.SDPBackend.MATH)


def test_backend_switches_match_torch():
    for lib in (ember, torch):
        cuda = lib.backends.cuda
        try:
            cuda.enable_flash_sdp(False)
            assert attend(lib).shape == (1, 2, 4, 8)  # math still there
            cuda.enable_math_sdp(False)
            with pytest.raises(RuntimeError, match="No viable backend for "
                                                   "scaled_dot_product_attention was found"):
                attend(lib)
        finally:
            cuda.enable_flash_sdp(True)
            cuda.enable_math_sdp(True)
        assert cuda.flash_sdp_enabled() and cuda.math_sdp_enabled()
        assert cuda.mem_efficient_sdp_enabled() and cuda.cudnn_sdp_enabled()


def test_deprecated_sdp_kernel_warns_and_switches():
    for lib in (ember, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with lib.backends.cuda.sdp_kernel(enable_flash=False):
                assert not lib.backends.cuda.flash_sdp_enabled()
        assert lib.backends.cuda.flash_sdp_enabled()
        assert any(issubclass(w.category, FutureWarning) and "sdp_kernel()` is deprecated"
                   in str(w.message) for w in caught)


def test_flash_only_with_dropout_raises_as_in_torch():
    # The fused kernel takes no dropout (PyTorch's CPU flash kernel refuses it too).
    assert outcome(ember, eattn, [eattn.SDPBackend.FLASH_ATTENTION], dropout_p=0.5)[0] == \
        outcome(torch, tattn, [tattn.SDPBackend.FLASH_ATTENTION], dropout_p=0.5)[0] == "error"


def test_nn_attention_attribute_is_the_sdpa_module_in_a_fresh_interpreter():
    # As torch.nn.attention.sdpa_kernel: the attribute, not only the import path
    # (nn.modules has an ``attention`` submodule of its own).
    import subprocess
    import sys
    code = ("import ember; a = ember.nn.attention; "
            "assert a.__name__ == 'ember.nn.attention', a; "
            "assert callable(a.sdpa_kernel) and a.SDPBackend.MATH == 0")
    subprocess.run([sys.executable, "-c", code], check=True)
