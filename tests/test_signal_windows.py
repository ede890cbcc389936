"""``ember.signal.windows`` against ``torch.signal.windows``."""

import numpy as np
import pytest
import torch
import torch.signal.windows as tw

import ember
import ember.signal.windows as ew

CASES = [("hann", {}), ("hamming", {}), ("blackman", {}), ("nuttall", {}), ("bartlett", {}),
         ("cosine", {}), ("gaussian", dict(std=1.7)), ("exponential", dict(tau=2.5)),
         ("kaiser", dict(beta=8.0)), ("general_cosine", dict(a=[0.46, 0.23, 0.31])),
         ("general_hamming", dict(alpha=0.6))]


@pytest.mark.parametrize("name,kwargs", CASES)
@pytest.mark.parametrize("M", [0, 1, 2, 7, 16])
@pytest.mark.parametrize("sym", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_windows_match_torch(name, kwargs, M, sym, dtype):
    ours = getattr(ew, name)(M, sym=sym, dtype=getattr(ember, dtype), **kwargs)
    ref = getattr(tw, name)(M, sym=sym, dtype=getattr(torch, dtype), **kwargs)
    assert tuple(ours.shape) == tuple(ref.shape) and str(ours.dtype)[6:] == str(ref.dtype)[6:]
    np.testing.assert_allclose(ours.numpy(), ref.numpy(),
                               rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)


def test_periodic_exponential_center_and_errors_match_torch():
    np.testing.assert_allclose(ew.exponential(6, center=1.0, sym=False).numpy(),
                               tw.exponential(6, center=1.0, sym=False).numpy(), rtol=1e-6)
    for call, error, message in (
            (lambda m: m.hann(-1), ValueError, "requires non-negative window length, got M=-1"),
            (lambda m: m.gaussian(4, std=0.0), ValueError, "Standard deviation must be positive"),
            (lambda m: m.exponential(4, tau=-1.0), ValueError, "Tau must be positive"),
            (lambda m: m.exponential(4, center=1.0), ValueError,
             "Center must be None for symmetric windows"),
            (lambda m: m.kaiser(4, beta=-1.0), ValueError, "beta must be non-negative")):
        for module in (ew, tw):
            with pytest.raises(error, match=message):
                call(module)
    with pytest.raises(ValueError, match="expects float32 or float64 dtypes"):
        ew.hann(4, dtype=ember.int64)
    assert ember.signal.windows.hann(4).dtype == ember.float32


def test_one_point_windows_and_check_order_match_torch():
    for kwargs in (dict(center=2.0, tau=0.5), dict(center=-3.0), dict()):
        np.testing.assert_allclose(ew.exponential(1, sym=False, **kwargs).numpy(),
                                   tw.exponential(1, sym=False, **kwargs).numpy(), rtol=1e-6)
    assert ew.general_cosine(1, a=[]).tolist() == tw.general_cosine(1, a=[]).tolist() == [1.0]
    for call, error, message in (
            (lambda m: m.exponential(-1, tau=-1.0), ValueError,
             "^exponential requires non-negative window length"),
            (lambda m: m.blackman(-1), ValueError, "^blackman requires non-negative"),
            (lambda m: m.general_cosine(4, a=[]), ValueError, "^Coefficients cannot be empty"),
            (lambda m: m.general_cosine(4, a=None), TypeError, "Coefficients must be a list"),
            (lambda m: m.hann(4, dtype=m is ew and ember.float16 or torch.float16), ValueError,
             "expects float32 or float64 dtypes")):
        for module in (ew, tw):
            with pytest.raises(error, match=message):
                call(module)
