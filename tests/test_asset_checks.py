"""Broken assets and bad CLI outputs are reported with what to do, before any work and without a traceback.

* model weights: ``save_model`` keeps their sha256 beside them, ``load_model`` checks it;
  the shipped model's checksum matches its file;
* the dataset and the map: restore hints that work from the repository root, and a
  missing file is named as itself;
* ``python -m glyffuser.sample --out``: the extension in any case, a folder refused
  before sampling.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glyffuser.data import store
from glyffuser.model.unet import CHECKSUM_FILE, WEIGHTS_FILE, GlyphUNet, ModelConfig, ModelFileError, load_model, save_model

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "assets" / "model"


@pytest.fixture()
def tiny_checkpoint(tmp_path) -> Path:
    config = ModelConfig(image_size=16, patch=2, block_out_channels=(8, 16, 16), norm_num_groups=4, attention_heads=2)
    save_model(GlyphUNet(config), tmp_path / "tiny")
    return tmp_path / "tiny"


def test_shipped_weights_match_their_checksum():
    recorded = (SHIPPED / CHECKSUM_FILE).read_text().split()
    assert recorded[1] == WEIGHTS_FILE
    assert hashlib.sha256((SHIPPED / WEIGHTS_FILE).read_bytes()).hexdigest() == recorded[0]


def test_saved_checkpoint_round_trip_and_checksum(tiny_checkpoint):
    digest = hashlib.sha256((tiny_checkpoint / WEIGHTS_FILE).read_bytes()).hexdigest()
    assert (tiny_checkpoint / CHECKSUM_FILE).read_text() == f"{digest}  {WEIGHTS_FILE}\n"
    assert load_model(tiny_checkpoint).config.image_size == 16


def test_a_flipped_byte_is_detected(tiny_checkpoint):
    weights = tiny_checkpoint / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01  # inside a tensor: safetensors alone would load it
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="(?i)do not match their sha256.*retrain with `python -m glyffuser.train"):
        load_model(tiny_checkpoint)


def test_a_corrupt_header_says_what_to_do(tiny_checkpoint):
    (tiny_checkpoint / CHECKSUM_FILE).unlink()  # an older checkpoint without a checksum
    weights = tiny_checkpoint / WEIGHTS_FILE
    weights.write_bytes(b"\xff" * 8 + weights.read_bytes()[8:])
    with pytest.raises(ModelFileError, match="(?i)cannot be read.*retrain"):
        load_model(tiny_checkpoint)


def test_shipped_model_hint_restores_from_the_repo_root(tmp_path):
    from glyffuser.model.unet import restore_hint

    hint = restore_hint(SHIPPED)
    assert "git checkout -- assets/model/model.safetensors" in hint
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", "assets/model/model.safetensors"], cwd=ROOT,
                             capture_output=True, text=True)
    assert tracked.returncode == 0


def test_corrupt_dataset_hint_names_the_path_from_the_repo_root():
    assert store.repo_path(store.GLYPHS_FILE) == "assets/glyphs.npz"
    assert (ROOT / store.repo_path(store.GLYPHS_FILE)).is_file()


def test_missing_map_is_reported_as_itself(tmp_path):
    shutil.copy(store.MAP_FILE.with_suffix(".json"), tmp_path / "glyph_map.json")
    with pytest.raises(store.DatasetError) as err:
        store.read_arrays(tmp_path / "glyph_map.npz", "glyph map", "python -m glyffuser.data map")
    message = str(err.value)
    assert "glyph_map.npz" in message and "glyph_map.json" not in message


def test_corrupt_dataset_message(tmp_path):
    copy = tmp_path / "glyphs.npz"
    shutil.copy(store.GLYPHS_FILE, copy)
    shutil.copy(store.GLYPHS_FILE.with_suffix(".json"), tmp_path / "glyphs.json")
    data = bytearray(copy.read_bytes())
    data[1000] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(store.DatasetError, match="does not match its manifest's sha256.*git checkout"):
        store.read_arrays(copy, "glyph dataset", "python -m glyffuser.data build")


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "glyffuser.sample", "gold", "--n", "2", "--steps", "2", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_cli_upper_case_extensions(tmp_path):
    npy, png = tmp_path / "x.NPY", tmp_path / "x.PNG"
    for out in (npy, png):
        run = run_cli("--out", str(out))
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert np.load(npy).shape[0] == 2
    from PIL import Image

    with Image.open(png) as image:  # the final grid of 2 glyphs side by side, not an x_t | x0 frame
        assert image.format == "PNG" and getattr(image, "n_frames", 1) == 1
        assert image.width < 2 * image.height  # a frame (two grids and a gap) is wider


def test_cli_refuses_a_folder_before_sampling(tmp_path):
    folder = tmp_path / "some_dir.png"
    folder.mkdir()
    run = run_cli("--out", str(folder), timeout=60)
    assert run.returncode == 2 and "is a folder" in run.stderr and "Traceback" not in run.stderr
    assert "wrote" not in run.stdout
