"""Reading the Unihan database: English definitions and radical-stroke indices.

The Unihan database (Unicode Standard Annex #38) ships as tab-separated files
``U+XXXX<TAB>kField<TAB>value``. We need two fields:

* ``kDefinition``: the English gloss of a character, used as its caption.
* ``kRSUnicode``: its Kangxi radical (1-214) and residual stroke count, written
  ``167.3``; an apostrophe marks the simplified form of the radical
  (``167'.3`` is 钅, the simplified 金), and several values may be listed.
"""

from __future__ import annotations

import bz2
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_UNIHAN_DIRS = ("/usr/share/unicode", "/usr/share/unicode-data")
FIELDS = ("kDefinition", "kRSUnicode")
_RS_PATTERN = re.compile(r"^(\d+)('{0,3})\.(-?\d+)$")


class SourceMissingError(RuntimeError):
    """A data source (Unihan files, the font) could not be found."""


@dataclass(frozen=True)
class RadicalStroke:
    """One ``kRSUnicode`` value: Kangxi radical, simplified marker and residual strokes."""

    radical: int
    simplified: bool
    strokes: int


def parse_radical_stroke(value: str) -> RadicalStroke:
    """Parse the first radical-stroke value of a ``kRSUnicode`` field.

    Args:
        value: e.g. ``"85.5"``, ``"167'.3"`` or ``"120'.6 120.6"``.

    Returns:
        The radical number (1-214), whether it is a simplified form, and the residual strokes.

    Raises:
        ValueError: if the value is not a radical-stroke index.
    """
    first = value.split()[0] if value.split() else ""
    match = _RS_PATTERN.match(first)
    if not match:
        raise ValueError(f"not a kRSUnicode value: {value!r}")
    radical = int(match.group(1))
    if not 1 <= radical <= 214:
        raise ValueError(f"radical {radical} outside 1-214 in {value!r}")
    return RadicalStroke(radical, bool(match.group(2)), int(match.group(3)))


def parse_unihan_lines(lines, fields=FIELDS) -> dict[int, dict[str, str]]:
    """Collect the wanted fields from Unihan lines.

    Args:
        lines: iterable of text lines in the Unihan format (comments allowed).
        fields: field names to keep.

    Returns:
        ``{codepoint: {field: value}}``.
    """
    wanted = set(fields)
    table: dict[int, dict[str, str]] = {}
    for line in lines:
        if not line.startswith("U+"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3 or parts[1] not in wanted:
            continue
        table.setdefault(int(parts[0][2:], 16), {})[parts[1]] = parts[2]
    return table


def _open_texts(source: Path):
    """Yield (name, text stream) for every Unihan file in a folder or a Unihan.zip."""
    if source.is_file() and source.suffix == ".zip":
        with zipfile.ZipFile(source) as archive:
            for name in sorted(archive.namelist()):
                if name.startswith("Unihan") and name.endswith(".txt"):
                    yield name, io.TextIOWrapper(archive.open(name), encoding="utf-8")
        return
    for path in sorted(source.glob("Unihan*.txt*")):
        if path.suffix == ".bz2":
            yield path.name, bz2.open(path, "rt", encoding="utf-8")
        elif path.suffix == ".txt":
            yield path.name, open(path, encoding="utf-8")


def find_unihan(override: str | Path | None = None) -> Path:
    """Locate the Unihan files: the override, else Debian's ``unicode-data`` folder.

    Raises:
        SourceMissingError: naming what to install when nothing is found.
    """
    candidates = [Path(override)] if override else [Path(d) for d in DEFAULT_UNIHAN_DIRS]
    for path in candidates:
        if path.is_file() and path.suffix == ".zip":
            return path
        if path.is_dir() and any(path.glob("Unihan*.txt*")):
            return path
    where = str(override) if override else " or ".join(DEFAULT_UNIHAN_DIRS)
    raise SourceMissingError(
        f"No Unihan files found in {where}. Install them with "
        "`apt-get install unicode-data`, or pass --unihan with a folder of Unihan_*.txt "
        "files or the Unihan.zip from https://www.unicode.org/Public/UCD/latest/ucd/."
    )


def read_unihan(source: str | Path | None = None) -> tuple[dict[int, dict[str, str]], str]:
    """Read definitions and radical-stroke indices from the Unihan database.

    Args:
        source: a folder of ``Unihan_*.txt[.bz2]`` files or a ``Unihan.zip``; default: found.

    Returns:
        ``({codepoint: {"kDefinition": ..., "kRSUnicode": ...}}, version string)``.
    """
    path = find_unihan(source)
    table: dict[int, dict[str, str]] = {}
    version = "unknown"
    for _, stream in _open_texts(path):
        with stream:
            lines = list(stream)
        for line in lines[:30]:
            found = re.match(r"# Unicode version: (\S+)", line)
            if found:
                version = found.group(1)
        for cp, fields in parse_unihan_lines(lines).items():
            table.setdefault(cp, {}).update(fields)
    return table, version
