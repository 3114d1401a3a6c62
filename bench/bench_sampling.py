"""Sampling speed on this machine: ``python -m bench.bench_sampling``.

Prints, for 16 glyphs with classifier-free guidance (a batch of 32 through the
U-Net): one step, the first frame, 120 DPM-Solver++ steps; FLOPs per step and
the achieved GFLOP/s beside the CPU's measured matrix-multiply peak; and the
same steps run by a stock diffusers loop on the same weights (baseline).
"""

from __future__ import annotations

import platform
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

import glyffuser


def median_ms(fn, repeats: int = 9, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def matmul_peak_gflops(size: int = 1536) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    ms = median_ms(lambda: a @ b, repeats=7)
    return 2 * size**3 / (ms / 1000) / 1e9


def stock_diffusers_loop(pipe, prompt: str, n: int, steps: int, guidance: float) -> float:
    """Seconds for the textbook loop: full-length text states, no trimming, diffusers scheduler."""
    from diffusers import DPMSolverMultistepScheduler

    unet = pipe.model.unet
    enc = pipe.encoder.encode([prompt] * n + [""] * n)  # 32 padded tokens each
    scheduler = DPMSolverMultistepScheduler(beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction",
                                            algorithm_type="dpmsolver++", timestep_spacing="leading")
    scheduler.set_timesteps(steps)
    x = torch.randn(n, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    start = time.perf_counter()
    with torch.no_grad():
        for t in scheduler.timesteps:
            h = pipe.model.unshuffle(torch.cat([x, x]))
            out = unet(h, t, encoder_hidden_states=enc.states, encoder_attention_mask=enc.mask.float()).sample
            v_cond, v_null = pipe.model.shuffle(out).chunk(2)
            x = scheduler.step(v_null + guidance * (v_cond - v_null), t, x).prev_sample
    return time.perf_counter() - start


def main() -> None:
    torch.set_num_threads(max(1, torch.get_num_threads()))
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    pipe = glyffuser.load_pipeline()
    n, prompt = 16, "gold"
    pipe("gold", n=1, steps=2)  # warm caches
    peak = matmul_peak_gflops()

    request = glyffuser.pipeline.check_request(prompt, n=n)
    cond, mask, null, null_mask, _ = pipe.conditions(request)
    x = pipe.initial_noise(request) * 1.0
    from glyffuser.sampling import guided_velocity
    from glyffuser.text_cache import TextFixedModel

    cached = TextFixedModel(pipe.model)  # as in a sampling run: the text's share computed once

    def one_step():
        with torch.inference_mode():
            guided_velocity(cached, x, 500, cond, mask, null, null_mask, 3.0)

    one_step()  # fills the text cache, so the count below is one step of a run
    with FlopCounterMode(display=False) as counter:
        one_step()
    gflop = counter.get_total_flops() / 1e9
    step_ms = median_ms(one_step)

    def first_frame():
        next(iter(pipe.iter_steps(prompt, n=n, steps=120, guidance=3.0, seed=1)))

    first_ms = median_ms(first_frame, repeats=5, warmup=1)
    start = time.perf_counter()
    pipe(prompt, n=n, steps=120, guidance=3.0, seed=0, sampler="dpm")
    full_s = time.perf_counter() - start
    stock_s = stock_diffusers_loop(pipe, prompt, n, 120, 3.0)
    print(f"CPU matmul peak (fp32, {1536}^3): {peak:.1f} GFLOP/s")
    print(f"one guided step, 16 glyphs (batch 32): {step_ms:.1f} ms; {gflop:.2f} GFLOP/step "
          f"({gflop / 32 * 1000:.0f} MFLOP per glyph-pass) -> {gflop / (step_ms / 1000):.1f} GFLOP/s = {gflop / (step_ms / 1000) / peak:.0%} of peak")
    print(f"first frame (encode + noise + one step): {first_ms:.0f} ms")
    print(f"120 DPM-Solver++ steps, 16 glyphs: {full_s:.2f} s (ours) vs {stock_s:.2f} s (stock diffusers loop, same weights): "
          f"{stock_s / full_s:.2f}x")


if __name__ == "__main__":
    main()
