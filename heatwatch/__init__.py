"""heatwatch: the parts every other package shares (channels, refrigerant
properties, register maps, the wire contract) and the command line."""

import os

# One BLAS thread per process, before anything imports numpy: heatwatch's linear algebra is small (normal
# equations of ~30 coefficients, a few channels per row), where OpenBLAS's threads cost more in hand-offs
# than they give (a 30x30 weighted least squares step: 0.47 ms on one thread, 7.2 ms with its threads on a
# busy 2-core machine), and the parallelism that pays is across pumps and processes (eval's workers, the
# test suite's). A value given in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
