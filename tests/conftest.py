import os
import sys

sys.path.insert(0, os.path.dirname(__file__))  # tests import the shared `reference` helpers

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    try:
        import ember
        has_cuda = ember.cuda.is_available()
    except Exception:
        has_cuda = False
    if not has_cuda:
        skip = pytest.mark.skip(reason="needs an NVIDIA GPU with CuPy")
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)
