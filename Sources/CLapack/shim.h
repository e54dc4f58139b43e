// OpenBLAS's CBLAS and the reference LAPACKE interface (Debian: libopenblas-dev, liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
