import atexit
import os
import shutil
import sys
import tempfile

# one BLAS thread (before NumPy loads): the suite's products are small, and spinning BLAS
# threads on a busy 2-core machine slow them down many times
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "1")
sys.path.insert(0, os.path.dirname(__file__))

# numba's loops of the suite's plans (autodiff.fusion) in a folder of the suite's own, not the
# user's cache; removed at exit
if "AUTODIFF_CACHE_DIR" not in os.environ:
    os.environ["AUTODIFF_CACHE_DIR"] = tempfile.mkdtemp(prefix="autodiff-kernels-")
    atexit.register(shutil.rmtree, os.environ["AUTODIFF_CACHE_DIR"], ignore_errors=True)
