"""Training on N processes under Accelerate: the same weights as one process, resume across
process counts, the article preset's network, and the 128x128 dataset build.

The N-process runs are real ``accelerate launch`` commands: two CPU processes joined over
gloo (``--multi_gpu`` is Accelerate's name for its torchrun launcher; without a GPU each
process takes the CPU).
"""

import csv
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from glyffuser.model.unet import GlyphUNet, count_parameters
from glyffuser.train.presets import ARTICLE_DATA
from glyffuser.train.trainer import parse_config, run_model_config

ROOT = Path(__file__).resolve().parents[1]
RUN = ["--size", "tiny", "--limit", "64", "--batch-size", "8", "--sample-every", "0", "--log-every", "2", "--threads", "1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def train(out: Path, processes: int, steps: int) -> subprocess.CompletedProcess:
    """``python -m glyffuser.train`` (1) or ``accelerate launch`` with ``processes`` CPU processes, to ``steps``."""
    if processes == 1:
        launcher = [sys.executable, "-m", "glyffuser.train"]
    else:
        launcher = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
                    "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                    "--main_process_port", str(free_port()), "-m", "glyffuser.train"]
    done = subprocess.run([*launcher, "--out", str(out), *RUN, "--max-steps", str(steps)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def state(out: Path) -> dict:
    return torch.load(out / "state.pt", weights_only=True)


def assert_same_weights(a: dict, b: dict) -> None:
    for part in ("model", "ema"):
        assert a[part].keys() == b[part].keys()  # no "module." prefix from DDP
        for key in a[part]:
            torch.testing.assert_close(a[part][key], b[part][key], atol=1e-6, rtol=1e-5)


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    """A 6-step run on one process; its text cache seeds the other runs' folders."""
    out = tmp_path_factory.mktemp("one") / "run"
    train(out, 1, 6)
    return out


def with_text_cache(folder: Path, source: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(source / "text_states.pt", folder / "text_states.pt")  # the same captions: skip encoding them again
    return folder


def test_two_processes_of_b_rows_train_the_weights_of_one_process_of_2b(one_process, tmp_path):
    out = with_text_cache(tmp_path / "two", one_process)
    done = train(out, 2, 6)
    assert "2 processes (accelerate)" in done.stdout and "4 rows each" in done.stdout
    assert done.stdout.count("new run") == 1  # only the main process speaks
    one, two = state(one_process), state(out)
    assert one.keys() == two.keys() and two["step"] == 6
    assert_same_weights(one, two)
    torch.testing.assert_close(one["noise_gen"], two["noise_gen"])  # the generators are shared, not per process
    with open(one_process / "loss.csv") as a, open(out / "loss.csv") as b:
        losses = [[float(r["loss"]) for r in csv.DictReader(f)] for f in (a, b)]
    assert losses[0] == pytest.approx(losses[1], abs=1e-4)  # the logged loss is the global batch's


def test_a_run_resumes_on_two_processes_and_back_on_one(one_process, tmp_path):
    out = with_text_cache(tmp_path / "switched", one_process)
    train(out, 1, 2)
    assert "resumed at step 2" in train(out, 2, 4).stdout
    assert "resumed at step 4" in train(out, 1, 6).stdout
    assert_same_weights(state(one_process), state(out))
    with open(out / "loss.csv") as handle:
        assert [int(r["step"]) for r in csv.DictReader(handle)] == [2, 4, 6]


def test_a_batch_that_does_not_split_over_the_processes_is_refused(one_process, tmp_path):
    out = with_text_cache(tmp_path / "odd", one_process)
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port()),
           "-m", "glyffuser.train", "--out", str(out), *RUN, "--batch-size", "7", "--max-steps", "1"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "--batch-size 7 does not split over 2 processes" in done.stderr
    assert "Traceback" not in done.stderr.split("does not split")[0][-400:]


def test_the_article_preset_is_the_128px_network_of_about_119M_parameters():
    cfg = parse_config(["--preset", "article"])
    assert (cfg.size, cfg.data) == ("article", str(ARTICLE_DATA))
    assert parse_config(["--preset", "article", "--data", "other.npz"]).data == "other.npz"  # a given flag wins
    config = run_model_config(cfg, None)
    assert (config.image_size, config.patch, config.block_out_channels) == (128, 1, (128, 256, 512, 512))
    assert "CrossAttnDownBlock2D" in config.down_block_types
    with torch.device("meta"):  # the shapes only: no memory, no initialisation
        count = count_parameters(GlyphUNet(config))
    print(f"article network: {count / 1e6:.1f}M parameters")
    assert 100e6 <= count <= 140e6


def test_the_article_preset_without_its_dataset_says_how_to_build_it(tmp_path):
    done = subprocess.run([sys.executable, "-m", "glyffuser.train", "--preset", "article", "--data", str(tmp_path / "none.npz"),
                           "--out", str(tmp_path / "run"), "--max-steps", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "python -m glyffuser.data build" in done.stderr


def test_a_128px_build_renders_the_same_glyphs_as_the_shipped_64px_rows(tmp_path):
    from glyffuser.data import load_glyphs

    for size in (64, 128):
        done = subprocess.run([sys.executable, "-m", "glyffuser.data", "build", "--size", str(size), "--limit", "40",
                               "--out", str(tmp_path / f"g{size}.npz")], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    shipped, small, large = (load_glyphs(p) for p in (ROOT / "assets" / "glyphs.npz", tmp_path / "g64.npz", tmp_path / "g128.npz"))
    rows = len(small)
    assert rows > 20 and large.images.shape == (rows, 128, 128)
    np.testing.assert_array_equal(small.codepoints, shipped.codepoints[:rows])
    np.testing.assert_array_equal(small.images, shipped.images[:rows])  # the builder at 64 is the shipped dataset
    np.testing.assert_array_equal(large.codepoints, small.codepoints)
    pooled = large.images.reshape(rows, 64, 2, 64, 2).mean(axis=(2, 4))
    assert np.abs(pooled - small.images).mean() < 0.05  # the same glyphs, drawn at twice the size
