import os
import sys

# one BLAS thread (before NumPy loads): the suite's products are small, and spinning BLAS
# threads on a busy 2-core machine slow them down many times
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "1")
sys.path.insert(0, os.path.dirname(__file__))
