"""Monte Carlo, comparison and figures of the kernels family."""
