"""The U-Net, its checkpoint format, the sampling loop on a tiny model, and training resume."""

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from glyffuser.diffusion.sampling import SAMPLERS, iter_denoise
from glyffuser.model.unet import GlyphUNet, load_model, save_model
from glyffuser.train.trainer import model_config_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return GlyphUNet(model_config_for("tiny")).eval()


def _text(batch, length=5):
    gen = torch.Generator().manual_seed(1)
    states = torch.randn(batch, length, 384, generator=gen)
    mask = torch.ones(batch, length, dtype=torch.bool)
    mask[:, 3:] = False
    return states, mask


def test_forward_shape(tiny):
    states, mask = _text(3)
    out = tiny(torch.randn(3, 1, 32, 32), torch.tensor([0, 500, 999]), states, mask)
    assert out.shape == (3, 1, 32, 32) and torch.isfinite(out).all()


def test_checkpoint_round_trip(tiny, tmp_path):
    save_model(tiny, tmp_path, extra={"note": "x"})
    loaded = load_model(tmp_path)
    assert loaded.config == tiny.config or loaded.config.block_out_channels == tiny.config.block_out_channels
    states, mask = _text(2)
    x, t = torch.randn(2, 1, 32, 32), torch.tensor([10, 700])
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, t, states, mask), tiny(x, t, states, mask))
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary files left


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_sampling_loop_yields_every_step(tiny, sampler):
    states, mask = _text(2)
    null, null_mask = _text(2, 2)
    x_T = torch.randn(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    steps = list(iter_denoise(tiny, states, mask, null, null_mask, x_T, sampler, 4, 2.0, torch.Generator().manual_seed(0)))
    assert [s.index for s in steps] == [0, 1, 2, 3]
    assert steps[0].t > steps[-1].t
    torch.testing.assert_close(steps[0].x_t, x_T)
    for before, after in zip(steps, steps[1:]):
        torch.testing.assert_close(after.x_t, before.x_prev)
    assert all(torch.isfinite(s.pred_x0).all() for s in steps)


def _train(out, *extra):
    cmd = [sys.executable, "-m", "glyffuser.train", "--out", str(out), "--size", "tiny", "--limit", "64",
           "--batch-size", "8", "--sample-every", "0", "--log-every", "2", *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_resume_gives_the_same_weights_as_one_run(tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert _train(straight, "--max-steps", "12").returncode == 0
    assert _train(split, "--max-steps", "6").returncode == 0
    second = _train(split, "--max-steps", "12")
    assert "resumed at step 6" in second.stdout
    a = torch.load(straight / "state.pt", weights_only=True)
    b = torch.load(split / "state.pt", weights_only=True)
    for key in a["ema"]:
        torch.testing.assert_close(a["ema"][key], b["ema"][key])
    with open(split / "loss.csv") as handle:
        steps = [int(r["step"]) for r in csv.DictReader(handle)]
    assert steps == sorted(set(steps)) and steps[-1] == 12


def test_kill_minus_nine_then_resume(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "glyffuser.train", "--out", str(out), "--size", "tiny", "--limit", "64",
           "--batch-size", "8", "--sample-every", "0", "--log-every", "2", "--checkpoint-seconds", "0.5", "--minutes", "5"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and not (out / "state.pt").exists():
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = torch.load(out / "state.pt", weights_only=True)  # intact after the kill
    assert state["step"] > 0
    again = _train(out, "--max-steps", str(state["step"] + 4))
    assert again.returncode == 0 and "resumed at step" in again.stdout
    assert torch.load(out / "state.pt", weights_only=True)["step"] == state["step"] + 4
    leftovers = [p for p in out.iterdir() if p.name.startswith(".")]
    assert len(leftovers) <= 1  # at most the temp file the killed write was making
