"""The processes of one training run: one plain PyTorch process, or N under Hugging Face Accelerate.

``python -m glyffuser.train`` runs one process; ``accelerate launch -m glyffuser.train`` runs
N (one per GPU, or CPU processes talking over gloo) with the same flags. Accelerate wraps
``torch.distributed``: the model in DistributedDataParallel, whose backward all-reduces
(averages) the gradients, so every process takes the same optimiser step.

How a global batch of B rows is split (B = ``--batch-size`` whatever N is):

    every process draws the same B rows, timesteps, noise and captions from the same
    generators, then computes the loss on its own slice rows[r·B/N : (r+1)·B/N]

The mean of the N slice losses is the loss of the whole batch, so the averaged gradient
is the gradient of one process on B rows: 1 process × B and 2 processes × B/2 train the
same weights, up to float rounding. The generators' states are therefore the same on
every process and a checkpoint holds one copy of them, whatever N was.

Only the main process writes files (logs, sample grids, checkpoints, exports).
"""

from __future__ import annotations

import contextlib

import torch


def pick_device(name: str) -> torch.device:
    """``auto``: CUDA when there is one, else the CPU; any other name as it is."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class Processes:
    """This process's place in the run, and the few collective operations the trainer needs.

    Args:
        engine: ``"accelerate"`` (the default: one code path for 1 or N processes) or
            ``"plain"`` (today's single-process loop without Accelerate, for comparison).
        device: ``auto``, ``cpu``, ``cuda`` or a named device (one process only).
    """

    def __init__(self, engine: str = "accelerate", device: str = "auto"):
        if engine not in ("accelerate", "plain"):
            raise ValueError(f"--engine {engine!r}: choose 'accelerate' or 'plain'")
        self.accelerator = None
        self.index, self.count = 0, 1
        self.device = pick_device(device)
        if engine == "accelerate":
            from accelerate import Accelerator

            # cpu=True is what makes N launched processes without a GPU join as gloo CPU processes
            self.accelerator = Accelerator(cpu=device == "cpu" or (device == "auto" and not torch.cuda.is_available()))
            self.index, self.count = self.accelerator.process_index, self.accelerator.num_processes
            if self.count > 1 or device in ("auto", "cuda"):
                device = self.accelerator.device  # cuda:<local rank> on N GPUs
                self.device = torch.device("cpu") if device.type == "cpu" else device  # "cpu:0" is no map_location
        self.is_main = self.index == 0

    def __repr__(self) -> str:
        engine = "accelerate" if self.accelerator else "plain"
        return f"{self.count} process{'es' if self.count > 1 else ''} ({engine}) on {self.device}"

    # --- batches --------------------------------------------------------------
    def part(self, batch: int) -> slice:
        """This process's rows of a global batch of ``batch`` rows.

        Raises:
            ValueError: when ``batch`` does not split evenly over the processes.
        """
        if batch % self.count:
            raise ValueError(f"--batch-size {batch} does not split over {self.count} processes: use a multiple of {self.count}")
        size = batch // self.count
        return slice(self.index * size, (self.index + 1) * size)

    # --- the model and its step -----------------------------------------------
    def prepare(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer):
        """(model to call, optimiser to step): the model DDP-wrapped across N processes, unchanged for one.

        The optimiser stays bare: Accelerate's wrapper only matters for its gradient scaler
        and gradient accumulation, which this loop does not use, and it looks up an optional
        package on every step (0.3–0.6 ms a step here; ``bench/bench_accelerate.py``).
        """
        if self.accelerator is None:
            return model, optimizer
        return self.accelerator.prepare_model(model, device_placement=False), optimizer

    def backward(self, loss: torch.Tensor) -> None:
        """Gradients of this slice's loss, averaged over the processes."""
        if self.accelerator is None:
            loss.backward()
        else:
            self.accelerator.backward(loss)

    # --- agreeing ---------------------------------------------------------------
    def mean(self, value: float) -> float:
        """The mean of a number over all processes (the logged loss of the whole batch)."""
        if self.count == 1:
            return value
        return self.accelerator.reduce(torch.tensor(value, device=self.device, dtype=torch.float64), "mean").item()

    def main_says(self, flag: bool) -> bool:
        """The main process's ``flag`` on every process (stopping must be agreed, or the others hang)."""
        if self.count == 1:
            return flag
        from accelerate.utils import broadcast

        return bool(broadcast(torch.tensor([int(flag)], device=self.device), from_process=0).item())

    def wait(self) -> None:
        """Barrier: every process gets here before any goes on."""
        if self.count > 1:
            self.accelerator.wait_for_everyone()

    @contextlib.contextmanager
    def main_first(self):
        """The main process runs the block first (it writes a cache), then the others (they read it)."""
        if not self.is_main:
            self.wait()
        yield
        if self.is_main:
            self.wait()
