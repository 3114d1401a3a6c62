"""Cached pictures are written once and atomically (tabs/serving/cache_files.py), so concurrent downloads of the same one stay whole."""

from __future__ import annotations

import os
import threading

from gradio import processing_utils
from PIL import Image

from tabs.serving import cache_files


def test_same_content_is_kept_not_rewritten(tmp_path):
    path = tmp_path / "abc" / "image.png"
    cache_files.write_once(path, b"x" * 1000)
    inode = path.stat().st_ino
    with open(path, "rb") as reader:  # a download in progress
        cache_files.write_once(path, b"x" * 1000)
        assert reader.read() == b"x" * 1000
    assert path.stat().st_ino == inode


def test_a_reader_keeps_whole_bytes_while_the_file_is_replaced(tmp_path):
    path = tmp_path / "image.png"
    cache_files.write_once(path, b"a" * 5000)
    with open(path, "rb") as reader:
        cache_files.write_once(path, b"b" * 7000)  # different size: replaced by rename
        assert reader.read() == b"a" * 5000
    assert path.read_bytes() == b"b" * 7000
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]


def test_concurrent_identical_pictures_never_read_short(tmp_path):
    image = Image.new("L", (64, 64), 128)
    cache_files.install()
    first = processing_utils.save_pil_to_cache(image, str(tmp_path), format="png")
    size = os.path.getsize(first)
    short = []

    def writer():
        for _ in range(200):
            processing_utils.save_pil_to_cache(image, str(tmp_path), format="png")

    def reader():
        for _ in range(400):
            with open(first, "rb") as handle:
                if len(handle.read()) != size:
                    short.append(1)

    threads = [threading.Thread(target=writer) for _ in range(2)] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not short


def test_the_app_installs_it(app_server):
    assert processing_utils.save_pil_to_cache is cache_files.save_pil_to_cache
    assert processing_utils.save_bytes_to_cache is cache_files.save_bytes_to_cache


def test_a_picture_object_saved_again_is_not_encoded_again(tmp_path, monkeypatch):
    encoded = []
    real = cache_files.encode
    monkeypatch.setattr(cache_files, "encode", lambda img, fmt: encoded.append(fmt) or real(img, fmt))
    shared, other = Image.new("L", (32, 32), 10), Image.new("L", (32, 32), 10)
    first = cache_files.save_pil_to_cache(shared, str(tmp_path), format="png")
    assert [cache_files.save_pil_to_cache(shared, str(tmp_path), format="png") for _ in range(4)] == [first] * 4
    assert encoded == ["png"]
    assert cache_files.save_pil_to_cache(other, str(tmp_path), format="png") == first  # same bytes, same file
    assert len(encoded) == 2  # but another object is encoded
    os.remove(first)  # swept from the cache: written again
    assert cache_files.save_pil_to_cache(shared, str(tmp_path), format="png") == first and os.path.exists(first)


def test_pngs_are_encoded_fast_and_decode_to_the_same_pixels(tmp_path):
    import numpy as np

    picture = Image.fromarray((np.random.default_rng(0).random((120, 200)) * 255).astype(np.uint8), "L")
    path = cache_files.save_pil_to_cache(picture, str(tmp_path), format="png")
    assert np.array_equal(np.asarray(Image.open(path)), np.asarray(picture))
    assert cache_files.encode(picture, "png") != processing_utils.encode_pil_to_bytes(picture, "png")  # level 1, not 6
