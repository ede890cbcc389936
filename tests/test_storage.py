"""Storages (``untyped_storage``, ``storage``) against PyTorch's."""

import warnings

import numpy as np
import pytest
import torch

import ember


def facts(lib):
    t = lib.arange(6.0).reshape(2, 3)
    v = t[1:]
    s = v.untyped_storage()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ts = v.storage()
    return dict(
        nbytes=s.nbytes(), size=s.size(), element=s.element_size(), length=len(s),
        shared_ptr=s.data_ptr() == t.data_ptr() == t.untyped_storage().data_ptr(),
        other_ptr=lib.ones(2).untyped_storage().data_ptr() == s.data_ptr(),
        first_bytes=s.tolist()[:8], byte=s[6], typed=(ts.size(), ts.tolist(), ts[1], len(ts),
                                                     ts.element_size()),
        warned=any("TypedStorage is deprecated" in str(w.message) for w in caught),
        is_shared=s.is_shared())


def test_storages_match_torch():
    assert facts(ember) == facts(torch)


def test_a_shared_tensor_has_a_shared_storage():
    t = ember.zeros(3).share_memory_()
    assert t.untyped_storage().is_shared()
    assert "12 bytes" in repr(t.untyped_storage())
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        assert t.storage().dtype == ember.float32
    np.testing.assert_array_equal(ember.tensor([1, 2], dtype=ember.int16).untyped_storage()
                                  .tolist(), [1, 0, 2, 0])
