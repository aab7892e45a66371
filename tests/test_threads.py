"""The app pins OpenBLAS to one thread per process, before numpy loads it (see app/__init__.py)."""

import os
import subprocess
import sys

# Prints the variable, then what OpenBLAS itself reports when it is numpy's own bundled copy (pip's
# wheels; "-" for another build).
PROBE = """
import app, ctypes, glob, os, numpy
libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__) + ".libs", "libscipy_openblas64_*.so"))
threads = ctypes.CDLL(libs[0]).scipy_openblas_get_num_threads64_() if libs else "-"
print(os.environ["OPENBLAS_NUM_THREADS"], threads)
"""


def _probe(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"} | env
    out = subprocess.run([sys.executable, "-c", PROBE], env=clean, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_importing_the_app_first_gives_openblas_one_thread():
    setting, threads = _probe()
    assert setting == "1" and threads in ("1", "-")


def test_a_thread_count_in_the_environment_wins():
    setting, _ = _probe(OPENBLAS_NUM_THREADS="2")  # OpenBLAS itself may hold fewer on a one-core machine
    assert setting == "2"
