"""Guidance distillation: the student starts as the teacher, samples in one pass, trains, exports and reloads."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from glyffuser.diffusion.sampling import distilled_guidance, guided_velocity
from glyffuser.model.unet import GlyphUNet, load_model, save_model
from glyffuser.train.trainer import model_config_for, student_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def teacher():
    torch.manual_seed(0)
    return GlyphUNet(model_config_for("tiny")).eval()


def _inputs(batch=3, length=5):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(batch, 1, 32, 32, generator=gen)
    t = torch.tensor([0, 500, 999][:batch])
    states = torch.randn(batch, length, 384, generator=gen)
    mask = torch.ones(batch, length, dtype=torch.bool)
    return x, t, states, mask


def test_student_starts_as_the_teacher_for_every_w(teacher):
    student = student_of(teacher, guidance_max=8.0).eval()
    x, t, states, mask = _inputs()
    with torch.no_grad():
        expected = teacher(x, t, states, mask)
        for w in (0.0, 1.0, 3.0, 8.0):
            got = student(x, t, states, mask, guidance=torch.full((3,), w))
            torch.testing.assert_close(got, expected)
    assert student.config.guidance_embedding and student.config.guidance_max == 8.0


class CountingModel:
    """Records the batch size of every call."""

    def __init__(self, model):
        self.model, self.config, self.batches = model, model.config, []

    def __call__(self, x, *args, **kwargs):
        self.batches.append(len(x))
        return self.model(x, *args, **kwargs)


def test_distilled_model_guides_in_one_pass_within_its_range(teacher):
    student = student_of(teacher, guidance_max=8.0).eval()
    x, _, states, mask = _inputs(2)
    null, null_mask = torch.zeros_like(states), torch.zeros_like(mask)
    counted = CountingModel(student)
    with torch.no_grad():
        guided_velocity(counted, x, 500, states, mask, null, null_mask, 3.0)
        assert counted.batches == [2]
        guided_velocity(counted, x, 500, states, mask, null, null_mask, 12.0)  # beyond the distilled range
        assert counted.batches == [2, 4]
    assert distilled_guidance(student, 8.0) and not distilled_guidance(student, 8.5)
    assert not distilled_guidance(teacher, 3.0)


def test_distilled_checkpoint_round_trip(teacher, tmp_path):
    student = student_of(teacher, guidance_max=6.0).eval()
    with torch.no_grad():
        torch.nn.init.normal_(student.unet.class_embedding.linear_2.weight)  # make w matter
    save_model(student, tmp_path)
    loaded = load_model(tmp_path)
    x, t, states, mask = _inputs()
    w = torch.tensor([0.5, 2.0, 6.0])
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, t, states, mask, guidance=w), student(x, t, states, mask, guidance=w))
        assert not torch.allclose(loaded(x, t, states, mask, guidance=w), loaded(x, t, states, mask))


def test_distillation_run_trains_resumes_and_exports(teacher, tmp_path):
    teacher_dir, out, export = tmp_path / "teacher", tmp_path / "run", tmp_path / "export"
    save_model(teacher, teacher_dir, extra={"steps": 7})
    (teacher_dir / "loss.csv").write_text("step,epoch,loss,glyphs_per_s,elapsed_s\n7,1.0,0.5,10.0,1.0\n")

    def run(steps):
        cmd = [sys.executable, "-m", "glyffuser.train", "--out", str(out), "--teacher", str(teacher_dir), "--limit", "32",
               "--batch-size", "4", "--sample-every", "0", "--log-every", "1", "--max-steps", str(steps),
               "--export", str(export)]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)

    first = run(2)
    assert first.returncode == 0, first.stderr[-2000:]
    second = run(4)
    assert second.returncode == 0 and "resumed at step 2" in second.stdout
    config = json.loads((export / "config.json").read_text())
    assert config["guidance_embedding"] is True and config["guidance_max"] == 8.0
    assert config["extra"]["teacher"]["steps"] == 7 and config["extra"]["steps"] == 4
    assert (export / "loss.csv").read_text() == (teacher_dir / "loss.csv").read_text()
    assert (export / "distill_loss.csv").read_text().count("\n") == 5  # header + steps 1..4
    student = load_model(export)
    x, t, states, mask = _inputs()
    with torch.no_grad():
        assert torch.isfinite(student(x, t, states, mask, guidance=torch.full((3,), 3.0))).all()


def test_a_run_can_start_from_a_saved_students_weights(teacher, tmp_path):
    teacher_dir, student_dir, export = tmp_path / "teacher", tmp_path / "student", tmp_path / "export"
    save_model(teacher, teacher_dir, extra={"steps": 7})
    student = student_of(teacher, 8.0)
    with torch.no_grad():
        for p in student.parameters():
            p.add_(0.01 * torch.randn_like(p))
    save_model(student, student_dir, extra={"steps": 5})
    cmd = [sys.executable, "-m", "glyffuser.train", "--out", str(tmp_path / "run"), "--teacher", str(teacher_dir),
           "--init", str(student_dir), "--limit", "32", "--batch-size", "4", "--sample-every", "0", "--max-steps", "0",
           "--export", str(export)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for name, value in load_model(export).state_dict().items():
        torch.testing.assert_close(value, student.state_dict()[name], msg=name)
    assert json.loads((export / "config.json").read_text())["extra"]["init"]["steps"] == 5

    mismatched = subprocess.run([*cmd[:cmd.index("--init") + 1], str(teacher_dir), *cmd[cmd.index("--init") + 2:]],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert mismatched.returncode == 2 and "do not fit this run's network" in mismatched.stderr
    assert "Traceback" not in mismatched.stderr


def test_a_continued_runs_log_goes_on_from_the_earlier_one(tmp_path):
    from glyffuser.train.trainer import joined_log

    header = "step,epoch,loss,glyphs_per_s,elapsed_s\n"
    earlier, later = tmp_path / "earlier.csv", tmp_path / "later.csv"
    earlier.write_text(header + "25,0.11,1.7,41.8,38.3\n50,0.22,1.5,32.8,87.0\n")
    later.write_text(header + "25,0.11,0.9,40.0,30.0\n")
    assert joined_log([earlier, later]) == header + (
        "25,0.11,1.7,41.8,38.3\n50,0.22,1.5,32.8,87.0\n75,0.33,0.9,40.0,117.0\n")
    assert joined_log([earlier]) == earlier.read_text() and joined_log([]) is None
