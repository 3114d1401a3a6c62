"""The loss log of a run: one CSV, appended at each checkpoint, joined across continued runs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from glyffuser.data.store import atomic_write

LOG_FIELDS = ["step", "epoch", "loss", "glyphs_per_s", "elapsed_s"]


def joined_log(paths: list[Path]) -> str | None:
    """One loss CSV from the logs of consecutive runs: each later run's step, epoch and
    elapsed_s go on from where the one before ended. None for no logs; one log as it is."""
    if len(paths) <= 1:
        return paths[0].read_text() if paths else None
    rows, offset = [], {"step": 0, "epoch": 0.0, "elapsed_s": 0.0}
    for path in paths:
        with open(path) as handle:
            part = list(csv.DictReader(handle))
        for row in part:
            rows.append({**row, "step": int(row["step"]) + offset["step"],
                         "epoch": round(float(row["epoch"]) + offset["epoch"], 3),
                         "elapsed_s": round(float(row["elapsed_s"]) + offset["elapsed_s"], 1)})
        if rows:
            offset = {k: type(v)(rows[-1][k]) for k, v in offset.items()}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LOG_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def append_log(path: Path, rows: list[dict], keep_until: int | None = None) -> None:
    """Append loss rows to the CSV; on resume drop rows past the checkpoint's step."""
    old = []
    if path.exists():
        with open(path) as handle:
            old = [r for r in csv.DictReader(handle) if keep_until is None or int(r["step"]) <= keep_until]
    def write(tmp):
        with open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=LOG_FIELDS)
            writer.writeheader()
            writer.writerows(old + rows)
    atomic_write(path, write)
