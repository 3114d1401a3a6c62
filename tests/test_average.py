"""Averaging checkpoints (glyffuser.train.average): the weighted mean, checked against a hand-made one."""

import json
from dataclasses import replace

import pytest
import torch

from glyffuser.data.store import trained_on_extension_a
from glyffuser.model.unet import GlyphUNet, load_model, save_model
from glyffuser.train.average import average_models, main
from glyffuser.train.trainer import model_config_for


def _model(seed: int, **changes) -> GlyphUNet:
    torch.manual_seed(seed)
    return GlyphUNet(replace(model_config_for("tiny"), **changes)).eval()


def test_weighted_mean_of_every_parameter():
    a, b = _model(0), _model(1)
    mean = average_models([a, b], [3.0, 1.0])  # normalised: 0.75 and 0.25
    for key, value in mean.state_dict().items():
        expected = 0.75 * a.state_dict()[key].double() + 0.25 * b.state_dict()[key].double()
        torch.testing.assert_close(value, expected.to(value.dtype))
    assert not torch.equal(mean.state_dict()["unet.conv_in.weight"], a.state_dict()["unet.conv_in.weight"])


def test_averaging_one_model_gives_it_back():
    a = _model(0)
    for key, value in average_models([a], [1.0]).state_dict().items():
        torch.testing.assert_close(value, a.state_dict()[key])


@pytest.mark.parametrize("models, weights, message", [
    (lambda: [_model(0), _model(1, prediction_type="epsilon")], [1, 1], "differ in prediction_type"),
    (lambda: [_model(0), _model(1)], [1], "one weight per model"),
    (lambda: [_model(0), _model(1)], [1, -1], "non-negative"),
    (lambda: [_model(0), _model(1)], [0, 0], "not all zero"),
])
def test_bad_averages_say_why(models, weights, message):
    with pytest.raises(ValueError, match=message):
        average_models(models(), weights)


def test_the_cli_keeps_every_sources_record(tmp_path, capsys):
    save_model(_model(0), tmp_path / "late", extra={"steps": 30, "train_config": {"data": "data/glyphs64_exta.npz"}})
    save_model(_model(1), tmp_path / "early", extra={"steps": 20, "train_config": {"data": ""}})
    (tmp_path / "late" / "loss.csv").write_text("step,epoch,loss\n10,0.1,0.2\n")
    main([str(tmp_path / "late"), str(tmp_path / "early"), "--out", str(tmp_path / "soup"), "--dtype", "float32"])
    soup = load_model(tmp_path / "soup")  # its checksum written and verified
    extra = soup.config.extra
    assert extra["steps"] == 30 and [s["weight"] for s in extra["averaged"]] == [0.5, 0.5]
    assert [s["record"]["steps"] for s in extra["averaged"]] == [30, 20]
    assert trained_on_extension_a(extra)
    assert trained_on_extension_a({"train_config": {}, "averaged": [{"record": {"train_config": {"data": "x"}}}]})
    assert json.loads(capsys.readouterr().out)["out"] == str(tmp_path / "soup")
    assert (tmp_path / "soup" / "loss.csv").read_text() == (tmp_path / "late" / "loss.csv").read_text()
