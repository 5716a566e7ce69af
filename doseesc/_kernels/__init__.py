"""Private numba kernels. Nothing here validates input: the public layer does that."""
