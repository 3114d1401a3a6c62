"""The shipped model's sampling defaults, chosen by measurement (``python -m bench.sweep_guidance``
on the README's prompts; results in docs/results). Kept apart from the pipeline so the app's
pages can show them without importing torch.

Guidance w applies only at t ≤ ``GUIDANCE_T_MAX``; above it the conditional model acts alone
(Kynkäänniemi et al. 2024, "Applying guidance in a limited interval improves sample and
distribution quality in diffusion models").
"""

GUIDANCE = 3.0
GUIDANCE_T_MAX = 999
STEPS = 120
SAMPLER = "dpm"
