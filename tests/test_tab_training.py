"""Tabs 5 and 6 say what their pictures show: the t convention, the posterior view, the
training logs as the model's config describes them, the late guesses, and the network
diagram drawn from the shipped config (checked against the network diffusers builds)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tabs import resources


def cosine_alpha_bar(t: int, T: int = 1000, s: float = 0.008) -> float:
    """ᾱ_t of the cosine schedule from its clipped β (Nichol & Dhariwal 2021), in float64."""
    f = lambda u: math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    return float(np.prod([1 - min(1 - f(i + 1) / f(i), 0.999) for i in range(t + 1)]))


@pytest.fixture(scope="module")
def training_tab():
    from tabs.training import TrainingTab

    return TrainingTab(resources)


@pytest.fixture(scope="module")
def overview_tab():
    from tabs.overview import OverviewTab

    return OverviewTab(resources)


# --- the t convention ---------------------------------------------------------------------------

def test_texts_state_the_first_step_and_the_late_signal():
    from tabs.training import intro_texts

    intro, late = intro_texts(resources.schedule("cosine"))
    assert f"= {cosine_alpha_bar(0):.5f}$" in intro and "0.99996" in intro
    assert f"is {cosine_alpha_bar(900) ** 0.5:.2f} at $t = 900$" in late and "0.15 at" in late
    assert f"{cosine_alpha_bar(999) ** 0.5:.5f} at $t = 999$" in late


def test_chain_never_labels_a_noised_step_as_alpha_bar_one(overview_tab):
    _, caption = overview_tab.overview_chain("锂", 1, "cosine", 0)
    assert f"ᾱ = {cosine_alpha_bar(0):.5f} at t − 1 = 0" in caption and "1.0000" not in caption


# --- the posterior q(x_{t−1} | x_t, x0) ---------------------------------------------------------

@pytest.mark.parametrize("t", [1, 500])
def test_posterior_view_is_the_formula(overview_tab, t):
    from glyffuser.diffusion.forward import glyph_x0
    from glyffuser.diffusion.posterior import posterior

    glyphs = resources.glyphs()
    fig, caption = overview_tab.overview_posterior("锂", "金", t, "cosine", 0)
    post = posterior(resources.schedule("cosine"), t)
    assert f"μ̃ = {post.coef_x0:.4f}·x₀ + {post.coef_xt:.4f}·xₜ" in caption
    diff = fig.axes[3].images[0].get_array()
    x0 = glyph_x0(glyphs.images[glyphs.index_of("锂")]).numpy()
    x0_b = glyph_x0(glyphs.images[glyphs.index_of("金")]).numpy()
    np.testing.assert_allclose(diff, post.coef_x0 * (x0 - x0_b), atol=1e-6)
    ratio = float(np.sqrt(np.mean(np.asarray(diff, dtype=np.float64) ** 2))) / post.variance**0.5
    assert f"{ratio:.2f} times the step's own noise" in caption
    assert ("small against" in caption) == (ratio < 1)


# --- the training tab ---------------------------------------------------------------------------

def test_logs_are_described_from_the_config():
    from tabs.training import MODEL_DIR, describe_logs, model_record

    config = model_record()
    extra = config["extra"]
    logs = describe_logs(config)
    assert all((MODEL_DIR / info.file).exists() for info in logs)
    assert sum(info.own for info in logs) == 1  # exactly one line is the shipped network's own training
    own = next(info for info in logs if info.own)
    assert f"batch {extra['train_config']['batch_size']:,}" in own.label
    if "teacher" in extra:
        teacher = next(info for info in logs if not info.own)
        assert teacher.file == "loss.csv" and own.file == "distill_loss.csv" and not own.target_is_v
        assert f"batch {extra['teacher']['train_config']['batch_size']:,}" in teacher.label


def test_a_self_guided_run_is_described_as_its_own_log():
    from tabs.training import describe_logs

    config = {"guidance_max": 5.0, "extra": {"train_config": {"batch_size": 64, "self_guidance": 0.3}, "init": {}}}
    (info,) = describe_logs(config)
    assert info.own and info.file == "loss.csv" and not info.target_is_v and "30%" in info.about
    (plain,) = describe_logs({"extra": {"train_config": {"batch_size": 256}}})
    assert plain.own and plain.target_is_v and "batch 256" in plain.label
    (averaged,) = describe_logs({"extra": {"train_config": {"batch_size": 64}, "averaged": [{}, {}, {}]}})
    assert "mean of 3 checkpoints" in averaged.about and "not this run's last weights alone" in averaged.about


def test_loss_plot_has_one_labelled_line_per_log(training_tab):
    from tabs.training import describe_logs, model_record

    _, curve, caption = training_tab.training_example("锂", 0, 500, False)
    infos = [info for info, _ in training_tab.logs()]
    assert [trace.name for trace in curve.data] == [info.label for info in infos]
    assert len(infos) == len(describe_logs(model_record()))
    for trace, (_, log) in zip(curve.data, training_tab.logs()):
        np.testing.assert_array_equal(trace.y, log.loss)
    if resources.pipeline().model.config.guidance_embedding:
        assert "w = 1" in caption


def test_late_guesses_caption_matches_the_pictures(training_tab):
    fig, caption = training_tab.late_guesses("锂", 0)
    pictures = [np.asarray(ax.images[0].get_array()) for ax in fig.axes]  # rows: text, empty; columns: 900, 999
    crisp = [float(np.abs(p).mean()) for p in pictures]  # the pictures show −x̂0
    text, empty = np.mean(crisp[:2]), np.mean(crisp[2:])
    assert f"{text:.2f} with the text, {empty:.2f} with the empty prompt" in caption
    # the verdict follows the numbers; at the default glyph and noise the text narrows the guess
    verdict = ("crisper than those from the empty prompt" if text > empty + 0.1 else
               "the empty prompt's guesses are the crisper ones" if empty > text + 0.1 else "about as crisp")
    assert verdict in caption and text > empty


def test_network_diagram_matches_the_network_diffusers_builds():
    from glyffuser.model.unet import GlyphUNet, ModelConfig
    from tabs.training import model_record
    from viz.unet import unet_layout

    config = ModelConfig.from_dict(model_record())
    layout = unet_layout(config)
    unet = GlyphUNet(config).unet
    assert unet.config.sample_size == layout.core_size
    assert unet.time_embedding.linear_1.out_features == layout.time_dim
    assert len(unet.down_blocks) == len(layout.levels)
    for level, down, up in zip(layout.levels, unet.down_blocks, reversed(unet.up_blocks)):
        assert down.resnets[-1].out_channels == level.channels
        assert len(down.resnets) == level.down_blocks and len(up.resnets) == level.up_blocks
        assert hasattr(down, "attentions") == level.attention == hasattr(up, "attentions")
    assert (unet.add_embedding is not None) == layout.pooled_text
    assert (unet.class_embedding is not None) == layout.guidance
    sizes = [layout.core_size]
    for down in unet.down_blocks[:-1]:
        assert down.downsamplers is not None
        sizes.append(sizes[-1] // 2)
    assert sizes == [level.size for level in layout.levels]


def test_the_model_comparison_reads_the_shipped_config():
    from tabs.common import shipped_model_config
    from tabs.overview import model_differences

    config = shipped_model_config()
    table = model_differences(config)
    size = config["image_size"]
    assert f"{size} × {size}" in table and "128 × 128" in table and "cross-attention only" in table
    assert ("one pass" in table) == bool(config.get("guidance_embedding"))
