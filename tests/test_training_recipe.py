"""The recipe against copying: caption variants, the refit to a larger patch, self-guided
training targets, guidance on an interval of t, and the 64x64 pipeline's shapes."""

import dataclasses

import numpy as np
import pytest
import torch

from glyffuser.diffusion.sampling import guidance_at, iter_denoise
from glyffuser.model.unet import GlyphUNet, repatch_state, save_model
from glyffuser.train.captions import augment, caption_variants, senses
from glyffuser.train.trainer import TrainConfig, Trainer, model_config_for, student_of

DEFINITION = "metal; gold, money; (same as 鋆) precious"


def test_senses_split_at_semicolons_and_commas_without_notes():
    assert senses(DEFINITION) == ["metal", "gold", "money", "precious"]
    assert senses("(same as 鋆)") == ["(same as 鋆)"]  # a note alone is kept
    assert senses("seven") == ["seven"]


def test_caption_variants_are_deterministic_and_drawn_from_the_definition():
    a = caption_variants([DEFINITION, "seven"], 6, seed=3)
    assert a == caption_variants([DEFINITION, "seven"], 6, seed=3)
    assert a != caption_variants([DEFINITION, "seven"], 6, seed=4)
    assert a[0][0] == DEFINITION and a[1] == ["seven"] * 6
    words = set(" ".join(senses(DEFINITION)).split())
    for caption in a[0][1:]:
        assert caption and set(caption.replace(";", " ").replace(",", " ").split()) <= words
    # subsets and orders both vary
    assert len({c for c in a[0][1:]}) > 1


def test_word_dropout_keeps_a_word_of_every_kept_sense():
    rng = np.random.default_rng(0)
    for _ in range(200):
        caption = augment("a b c; d e; f", rng, word_dropout=0.9)
        parts = [p for p in caption.replace(";", ",").split(",")]
        assert all(p.strip() for p in parts)


@pytest.fixture(scope="module")
def tiny32():
    torch.manual_seed(0)
    return GlyphUNet(model_config_for("tiny")).eval()


def test_repatch_gives_the_old_model_on_the_pooled_image(tiny32):
    """A 64x64 model refitted from a 32x32 one: on a glyph constant over 2x2 blocks, its output
    pooled 2x2 is the old output; inside a block its weights already tell the pixels apart."""
    config = dataclasses.replace(tiny32.config, image_size=64, patch=4)
    big = GlyphUNet(config).eval()
    state = repatch_state(tiny32.state_dict(), tiny32.config, config)
    big.load_state_dict(state)
    small = torch.rand(3, 1, 32, 32) * 2 - 1
    x = torch.nn.functional.interpolate(small, scale_factor=2)  # constant over 2x2 blocks
    t, text, mask = torch.tensor([0, 400, 999]), torch.randn(3, 4, 384), torch.ones(3, 4, dtype=torch.bool)
    with torch.no_grad():
        out = big(x, t, text, mask)
        reference = tiny32(small, t, text, mask)
    assert out.shape == (3, 1, 64, 64)
    torch.testing.assert_close(torch.nn.functional.avg_pool2d(out, 2), reference, atol=1e-4, rtol=1e-4)
    # the four input and output channels of one 2x2 block are not copies of each other (no saddle)
    w_in = state["unet.conv_in.weight"]
    assert not torch.allclose(w_in[:, 0], w_in[:, 1]) and not torch.allclose(state["unet.conv_out.weight"][0], state["unet.conv_out.weight"][1])
    assert repatch_state(tiny32.state_dict(), tiny32.config, config)["unet.conv_in.weight"].equal(w_in)  # seeded
    with pytest.raises(ValueError, match="patch"):
        repatch_state(tiny32.state_dict(), tiny32.config, dataclasses.replace(tiny32.config, image_size=64, patch=3))


def test_guidance_applies_only_at_or_below_its_interval():
    assert guidance_at(999, 3.0, 600) == 1.0 and guidance_at(600, 3.0, 600) == 3.0
    assert guidance_at(999, 0.0, 600) == 0.0  # unconditional stays unconditional
    assert guidance_at(999, 3.0, 999) == 3.0


def test_an_interval_below_every_step_is_the_conditional_model(tiny32):
    text, mask = torch.randn(2, 4, 384), torch.ones(2, 4, dtype=torch.bool)
    null, null_mask = torch.zeros(2, 4, 384), torch.zeros(2, 4, dtype=torch.bool)
    null_mask[:, 0] = True
    x_T = torch.randn(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))

    def last(guidance, t_max):
        return list(iter_denoise(tiny32, text, mask, null, null_mask, x_T, "ddim", 4, guidance, guidance_t_max=t_max))[-1].x_prev

    torch.testing.assert_close(last(3.0, 0), last(1.0, 999))  # the steps sit at t = 999, 749, 499, 249
    assert not torch.allclose(last(3.0, 500), last(1.0, 999))


@pytest.fixture(scope="module")
def tiny_student(tiny32, tmp_path_factory):
    folder = tmp_path_factory.mktemp("student")
    save_model(student_of(tiny32, 5.0), folder)
    return folder


def test_self_guided_targets(tiny_student, tmp_path):
    """w = 1 and null-prompt examples keep the plain v target; guided ones add (w − 1)(v_c − v_∅) of the EMA model."""
    cfg = TrainConfig(out=str(tmp_path), init=str(tiny_student), limit=32, batch_size=8, caption_variants=2,
                      self_guidance=0.5, guidance_max=5.0, text_noise=0.1, sample_every=0)
    trainer = Trainer(cfg)
    assert trainer.states.shape[:2] == (32, 2)
    idx = torch.arange(8)
    text, mask, captioned = trainer.captions_for(idx)
    x_t, t = torch.randn(8, 1, 32, 32), torch.full((8,), 500)
    plain = torch.randn(8, 1, 32, 32)
    guidance, target = trainer.self_guided_target(x_t, t, text, mask, captioned, plain)
    same = (guidance == 1) | ~captioned
    torch.testing.assert_close(target[same], plain[same])
    guided = ~same
    if guided.any():
        with torch.no_grad():
            ones = torch.ones(int(guided.sum()))
            v_c = trainer.ema(x_t[guided], t[guided], text[guided], mask[guided], ones)
            null = trainer.null.float()[None].expand(int(guided.sum()), -1, -1)
            v_n = trainer.ema(x_t[guided], t[guided], null, trainer.null_mask[None].expand(int(guided.sum()), -1), ones)
        expected = plain[guided] + (guidance[guided] - 1)[:, None, None, None] * (v_c - v_n)
        torch.testing.assert_close(target[guided], expected, atol=1e-5, rtol=1e-4)


def test_a_run_refits_a_saved_model_to_64_pixels(tiny_student, tmp_path):
    cfg = TrainConfig(out=str(tmp_path / "run"), init=str(tiny_student), image_size=64, patch=4, limit=16, batch_size=4,
                      max_steps=2, minutes=5, caption_variants=2, self_guidance=0.5, guidance_max=5.0, sample_every=0,
                      log_every=1, export=str(tmp_path / "model"))
    from glyffuser.train.trainer import train

    trainer = train(cfg)
    assert trainer.images.shape[-1] == 64 and trainer.step == 2
    from glyffuser.model.unet import load_model

    model = load_model(tmp_path / "model")
    assert (model.config.image_size, model.config.patch, model.config.guidance_max) == (64, 4, 5.0)


def test_the_pipeline_samples_at_the_models_size(tiny_student, tmp_path):
    import glyffuser
    from glyffuser.model.pipeline import GlyphPipeline
    from glyffuser.model.text import load_text_encoder
    from glyffuser.model.unet import load_model

    small = load_model(tiny_student)
    config = dataclasses.replace(small.config, image_size=64, patch=4)
    big = GlyphUNet(config).eval()
    big.load_state_dict(repatch_state(small.state_dict(), small.config, config))
    pipe = GlyphPipeline(big, load_text_encoder())
    steps = list(pipe.iter_steps("gold", n=3, steps=2, guidance=2.0, seed=0, guidance_t_max=500))
    assert steps[0].x_t.shape == (3, 64, 64) and steps[0].pred_x0.shape == (3, 64, 64)
    out = pipe("gold", n=3, steps=2, guidance=2.0, seed=0, guidance_t_max=500)
    assert out.shape == (3, 64, 64) and 0 <= out.min() and out.max() <= 1
    assert glyffuser  # the package imports


def test_a_self_guided_run_resumes_without_its_init(tiny_student, tmp_path):
    """The resume command is the run's own: --init is needed only to start it."""
    from glyffuser.train.trainer import train

    options = dict(out=str(tmp_path / "run"), limit=16, batch_size=4, minutes=5, caption_variants=2, self_guidance=0.5,
                   guidance_max=5.0, sample_every=0, log_every=1)
    first = train(TrainConfig(init=str(tiny_student), max_steps=2, **options))
    again = train(TrainConfig(max_steps=3, **options))
    assert again.step == 3 and again.model_config == first.model_config and again.model_config.guidance_embedding
    assert again.init_record == first.init_record is not None  # the starting weights' history is kept for exports
