"""Sampling speed on this machine: ``python -m bench.bench_sampling``.

Prints, for 16 glyphs with classifier-free guidance w = 3: one step, the first
frame, 120 DPM-Solver++ steps; FLOPs per step and the achieved GFLOP/s beside
the CPU's measured matrix-multiply peak; and the same steps run by a stock
diffusers loop on the same weights (baseline). One step is timed as sampling runs
it (the TorchScript graph, the batch in halves on the cores) beside the graph as
one batch on intra-op threads, and the eager model in halves and as one batch. A
guidance-distilled model takes one pass of 16 per step; the textbook two-pass
guidance (a batch of 32: prompt and null prompt) on the same weights is timed beside it.
"""

from __future__ import annotations

import argparse
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


def interleaved_median_ms(fns: dict, rounds: int = 5, block: int = 5) -> dict:
    """Median ms of each function, timed in turn in blocks of ``block`` calls per round,
    so that a noisy neighbour on the machine slows all of them alike. The first call of
    each block is not timed: it pays for switching between thread pools."""
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            fn()
            for _ in range(block - 1):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values) * 1000) for name, values in times.items()}


def matmul_peak_gflops(size: int = 1536) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    ms = median_ms(lambda: a @ b, repeats=7)
    return 2 * size**3 / (ms / 1000) / 1e9


def stock_diffusers_loop(pipe, prompt: str, n: int, steps: int, guidance: float, one_pass: bool) -> float:
    """Seconds for the textbook loop: full-length text states, no text cache, diffusers scheduler.

    ``one_pass``: the distilled model reads w (a batch of n); otherwise prompt and null prompt
    go through together (a batch of 2n) and are combined as v̂ = v∅ + w (v_c − v∅).
    """
    from diffusers import DPMSolverMultistepScheduler

    from glyffuser.model.unet import GUIDANCE_TO_TIMESTEP

    unet = pipe.model.unet
    enc = pipe.encoder.encode([prompt] * n + [""] * n)  # 32 padded tokens each
    scheduler = DPMSolverMultistepScheduler(beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction",
                                            algorithm_type="dpmsolver++", timestep_spacing="trailing")
    scheduler.set_timesteps(steps)
    x = torch.randn(n, 1, pipe.size, pipe.size, generator=torch.Generator().manual_seed(0))
    distilled = pipe.model.config.guidance_embedding
    batch = n if one_pass else 2 * n
    states, mask = enc.states[:batch], enc.mask[:batch].float()
    labels = torch.full((batch,), (guidance if one_pass else 1.0) * GUIDANCE_TO_TIMESTEP) if distilled else None
    start = time.perf_counter()
    with torch.no_grad():
        for t in scheduler.timesteps:
            h = pipe.model.unshuffle(x if one_pass else torch.cat([x, x]))
            out = pipe.model.shuffle(unet(h, t, encoder_hidden_states=states, encoder_attention_mask=mask,
                                          class_labels=labels).sample)
            if not one_pass:
                v_cond, v_null = out.chunk(2)
                out = v_null + guidance * (v_cond - v_null)
            x = scheduler.step(out, t, x).prev_sample
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_sampling", description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="a model folder (default: the shipped assets/model)")
    parser.add_argument("--baseline", help="another model folder whose 120-step run is timed in the same rounds")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    pipe = glyffuser.load_pipeline(args.model)
    print(f"model: {args.model or 'assets/model'} ({pipe.size}x{pipe.size})")
    n, prompt = 16, "gold"
    pipe("gold", n=1, steps=2)  # warm caches
    peak = matmul_peak_gflops()

    request = glyffuser.model.pipeline.check_request(prompt, n=n)
    cond, mask, null, null_mask, _ = pipe.conditions(request)
    x = pipe.initial_noise(request) * 1.0
    from glyffuser.diffusion.sampling import distilled_guidance, guided_velocity, velocity_pair
    from glyffuser.model.batch_split import SplitBatchModel
    from glyffuser.model.text_cache import TextFixedModel

    cached = pipe.run_model()  # as in a sampling run: the traced graph, the batch in halves on the cores
    one_pass = distilled_guidance(pipe.model, 3.0)
    batch = n if one_pass else 2 * n

    def guided_step(model):
        """One guided step of the 16 glyphs through ``model``, as a function to time."""
        def run():
            with torch.inference_mode():
                guided_velocity(model, x, 500, cond, mask, null, null_mask, 3.0)
        return run

    one_step = guided_step(cached)
    graph_whole_step = guided_step(pipe.traced)  # the graph, the whole batch on the calling thread
    eager_halves_step = guided_step(SplitBatchModel(pipe.model))  # the eager model (text share cached) in halves
    whole_batch_step = guided_step(TextFixedModel(pipe.model))  # the eager model, the whole batch (intra-op threads)

    def two_pass_step():
        with torch.inference_mode():
            v_cond, v_null = velocity_pair(cached, x, 500, cond, mask, null, null_mask)
            return v_null + 3.0 * (v_cond - v_null)

    one_step()  # traces the graph and fills the text caches, so the count below is one step of a run
    graph_whole_step()
    eager_halves_step()
    whole_batch_step()
    # FLOPs of one step, counted on the eager model (the counter cannot look inside a graph): as the
    # graph computes it, the text's keys, values and pooled embedding included, and as the eager
    # model runs with those cached for the run.
    with FlopCounterMode(display=False) as counter:
        guided_step(pipe.model)()
    gflop = counter.get_total_flops() / 1e9
    with FlopCounterMode(display=False) as counter:
        whole_batch_step()
    gflop_cached = counter.get_total_flops() / 1e9
    timed = {"step": one_step, "graph_whole": graph_whole_step, "eager_halves": eager_halves_step, "whole": whole_batch_step,
             **({"two_pass": two_pass_step} if one_pass else {})}
    medians = interleaved_median_ms(timed)
    step_ms, eager_ms, whole_ms = medians["step"], medians["eager_halves"], medians["whole"]
    two_pass_ms = medians.get("two_pass", step_ms)

    def first_frame():
        next(iter(pipe.iter_steps(prompt, n=n, steps=120, guidance=3.0, seed=1)))

    first_ms = median_ms(first_frame, repeats=5, warmup=1)

    def full_run(sampler_pipe=pipe) -> float:
        start = time.perf_counter()
        sampler_pipe(prompt, n=n, steps=120, guidance=3.0, seed=0, sampler="dpm")
        return time.perf_counter() - start

    baseline = glyffuser.load_pipeline(args.baseline) if args.baseline else None
    if baseline is not None:
        full_run(baseline)  # traces its graph
    runs = [(full_run(), stock_diffusers_loop(pipe, prompt, n, 120, 3.0, one_pass),
             full_run(baseline) if baseline is not None else 0.0) for _ in range(3)]  # interleaved
    full_s, stock_s, baseline_s = (float(np.median(values)) for values in zip(*runs))
    gflops = gflop / (step_ms / 1000)
    print(f"CPU matmul peak (fp32, {1536}^3): {peak:.1f} GFLOP/s")
    print(f"one guided step, 16 glyphs ({'one distilled pass, ' if one_pass else ''}batch {batch}): {step_ms:.1f} ms; "
          f"{gflop:.2f} GFLOP/step ({gflop / batch * 1000:.0f} MFLOP per glyph-pass) -> {gflops:.1f} GFLOP/s = {gflops / peak:.0%} of peak; "
          f"{gflop_cached:.2f} GFLOP with the text's share cached, as the eager model runs")
    print(f"the same step, graph as one batch on {torch.get_num_threads()} intra-op threads: {medians['graph_whole']:.1f} ms "
          f"-> halves are {medians['graph_whole'] / step_ms:.2f}x faster")
    print(f"the same step, eager model in halves: {eager_ms:.1f} ms -> the graph is {eager_ms / step_ms:.2f}x faster")
    print(f"the same step, eager model as one batch on {torch.get_num_threads()} intra-op threads: {whole_ms:.1f} ms "
          f"-> {whole_ms / step_ms:.2f}x")
    if one_pass:
        print(f"two-pass guidance on the same weights (batch {2 * n}): {two_pass_ms:.1f} ms -> {two_pass_ms / step_ms:.2f}x")
    print(f"first frame (encode + noise + one step): {first_ms:.0f} ms")
    print(f"120 DPM-Solver++ steps, 16 glyphs (median of 3, interleaved): {full_s:.2f} s (ours) vs {stock_s:.2f} s "
          f"(stock diffusers loop, same weights and passes): {stock_s / full_s:.2f}x")
    if baseline is not None:
        print(f"120 steps, 16 glyphs, baseline {args.baseline} ({baseline.size}x{baseline.size}), same rounds: {baseline_s:.2f} s "
              f"-> ours is {baseline_s / full_s:.2f}x its speed")
    if one_pass:
        two_pass_s = stock_diffusers_loop(pipe, prompt, n, 120, 3.0, one_pass=False)
        print(f"120 steps with two-pass guidance (stock loop, same weights): {two_pass_s:.2f} s")


if __name__ == "__main__":
    main()
