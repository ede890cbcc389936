import sys

import numpy as np
import pytest

import ember
from ember.backend import threads


def test_set_num_threads_changes_blas_threads_and_matmul_still_works():
    pytest.importorskip("threadpoolctl")
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
        a = ember.ones(64, 64)
        assert float((a @ a)[0, 0]) == 64.0
    finally:
        ember.set_num_threads(before)
    assert ember.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(ValueError, match=r"set_num_threads: expected a positive integer, got"):
        ember.set_num_threads(bad)


def test_without_threadpoolctl_it_warns_and_reports_the_cpu_count(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import now fails
    with pytest.warns(RuntimeWarning, match="threadpoolctl is not installed"):
        ember.set_num_threads(1)
    assert threads.get_num_threads() >= 1
    assert np.ones(3).sum() == 3  # nothing else broken
