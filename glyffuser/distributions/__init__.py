"""Small distributions the course computes exactly, in one and two dimensions.

    mle          maximum-likelihood fit of a 1-D Gaussian
    mixture      a joint density p(x, y) of 2-D Gaussians, in closed form
    density      kernel density estimates of 2-D point clouds on a grid
    exact_score  the exact score of a Gaussian mixture; probability-flow particles
    mapflow      diffusion on the 2-D glyph map: noised cloud, density, exact score
    score_net    a small network that learns that score by denoising score matching
    score_live   that network learnt live, at one small noise level and over all, against the exact score
"""
