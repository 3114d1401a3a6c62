"""The diffusion process itself, for any data: noise schedules and the forward process, its
posterior, the reverse-process samplers, what a sampling run keeps, and one training example opened up.

    schedule    noise schedules and q(x_t | x_0) (Ho et al. 2020)
    forward     the forward process on single glyphs, for the explorer
    posterior   q(x_{t-1} | x_t, x_0)
    sampling    the reverse process as one generator of steps (DDPM, DDIM, DPM-Solver++)
    trajectory  what the explorer keeps of a run; the model's first step
    objective   one training example of the denoiser; the shipped loss log
"""
