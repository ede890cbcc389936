"""The allocator setting applied at import (ember.backend.memory)."""

import os
import platform
import subprocess
import sys

import pytest

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _tuned_in_fresh_process(**env):
    code = "import ember; from ember.backend import memory; print(memory.malloc_tuned())"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


@pytest.mark.skipif(not GLIBC, reason="the setting applies to glibc's malloc only")
def test_import_keeps_freed_blocks_in_the_heap_on_glibc():
    assert _tuned_in_fresh_process(EMBER_MALLOC_TUNING="1")


def test_environment_variable_leaves_the_allocator_alone():
    assert not _tuned_in_fresh_process(EMBER_MALLOC_TUNING="0")


@pytest.mark.skipif(not GLIBC, reason="page faults are counted on Linux")
def test_reallocating_large_arrays_no_longer_faults_pages_in():
    # Ten 4 MiB arrays alive at once, then all freed: glibc's defaults trim
    # the heap's top and fault every page in again next time; tuned, the
    # pages stay in the process.
    code = (
        "import resource, numpy as np, ember\n"
        "def churn():\n"
        "    for _ in range(3):\n"
        "        held = [np.ones(1 << 20, np.float32) for _ in range(10)]\n"
        "        del held\n"
        "churn()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "churn()\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n")
    faults = {}
    for flag in ("1", "0"):
        out = subprocess.run([sys.executable, "-c", code],
                             env={**os.environ, "EMBER_MALLOC_TUNING": flag},
                             capture_output=True, text=True, check=True)
        faults[flag] = int(out.stdout)
    assert faults["1"] < faults["0"] / 10
