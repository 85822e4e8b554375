"""Benchmarks of the kernel-regime simulations (run by hand: OPENBLAS_NUM_THREADS=1 python benchmarks/bench_kernels.py).

Wall times that size the sweeps of ``asymptotics.validation.kernels.figures``: exact-kernel Gram matrices (closed
form ReLU vs interpolated tanh(z + 1/2)), one KRR seed at n = 4000, and 50 training steps of the
QuadNTK model and of the regularized network (d = 16, m = 512, n = 1024).  Not a test.
"""

from __future__ import annotations

import json
import time

import numpy as np

from asymptotics.kernels.theory import KernelRidge, dot_product_kernel
from asymptotics.validation.kernels.beyond_kernel import TrainConfig, train_quadntk, train_regularized
from asymptotics.validation.kernels.simulation import (
    kernel_gram,
    low_degree_plus_sparse,
    simulate_krr_seed,
    sphere_inputs,
)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    out = {}
    X = sphere_inputs(2000, 40, np.random.default_rng(0))
    out["gram_2000_relu_ntk_s"] = timed(lambda: kernel_gram(dot_product_kernel("relu", "ntk"), X))
    out["gram_2000_tanh_shift_ntk_s"] = timed(lambda: kernel_gram(dot_product_kernel("tanh(z + 1/2)", "ntk"), X))
    s = KernelRidge("ntk", "relu", d=40, n=4000, lam=0.0, noise=0.5, target="1:1,2:1,3:0.25,4:0.25")
    out["krr_seed_n4000_d40_s"] = timed(lambda: simulate_krr_seed(s, 0, 2000))
    tg = low_degree_plus_sparse(16, np.random.default_rng(0))
    cfg = TrainConfig(m=512, steps=50, n_unlabeled=1000, lam_q=0.0)
    out["quadntk_50_steps_d16_n1024_s"] = timed(lambda: train_quadntk(tg, 1024, 0, cfg))
    out["regularized_50_steps_d16_n1024_s"] = timed(lambda: train_regularized(tg, 1024, 0, cfg))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
