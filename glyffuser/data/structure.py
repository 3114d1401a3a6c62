"""A glyph's structure, side by side (明 = 日 + 月) or stacked (草 = 艹 over 早), read from its ink.

The data has no structure field, so it is derived from the pictures. A side-by-side glyph
leaves a column with little ink between its parts, a stacked one a row:
:func:`structure_scores` takes each glyph's ink per column and per row, divides each profile
by its mean, smooths it over three pixels and compares the emptiest row with the emptiest
column within the middle half of the picture. :func:`side_by_side` calls a glyph side by
side when its emptiest column holds less ink than its emptiest row (score > 0), stacked
otherwise; there is no third class, so glyphs of one part or of other layouts land in
whichever family their gaps favour.

How accurate it is: checked against the radicals' usual places (:func:`structure_check`),
on the shipped 14,486 glyphs the rule calls 76% of the 3,208 glyphs with a left-side radical
(亻 氵 扌 讠 纟 钅) side by side and 92% of the 1,012 with a top radical (艹 ⺮ 雨 宀) stacked,
so about one glyph in six is sorted wrongly. On the shipped UMAP map, 79% of each glyph's 15
nearest neighbours share its structure, against 55% if the map ignored it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEFT_RADICALS = (9, 85, 64, 149, 120, 167)  # 亻 氵 扌 讠/言 纟/糸 钅/金: on the left in most of their glyphs
TOP_RADICALS = (140, 118, 173, 40)  # 艹 ⺮ 雨 宀: on top in most of their glyphs
NEIGHBOURS = 15
BAND = (16, 48)  # the middle half of a 64-pixel side


def structure_scores(images: np.ndarray, band: tuple[int, int] = BAND) -> np.ndarray:
    """How much more a glyph splits into left and right than into top and bottom.

    A side-by-side glyph (明 = 日 + 月) leaves a column of little ink between its parts,
    a stacked one (草 = 艹 over 早) a row. For each glyph the ink per column and per row
    is divided by its mean and smoothed over three pixels; the score is the emptiest row
    minus the emptiest column, both within ``band`` (the middle half). Positive: a
    clearer vertical gap (side-by-side); negative: a clearer horizontal one (stacked).

    Args:
        images: ``(N, H, W)`` ink in [0, 1].
        band: the rows and columns searched for a gap, ``[lo, hi)``.

    Returns:
        ``(N,)`` float32 scores.
    """
    images = np.asarray(images, dtype=np.float32)

    def emptiest(profile: np.ndarray) -> np.ndarray:  # (N, L) -> (N,)
        p = profile / (profile.mean(axis=1, keepdims=True) + 1e-6)
        p = (p[:, :-2] + p[:, 1:-1] + p[:, 2:]) / 3.0  # p[:, j] is centred on pixel j + 1
        return p[:, band[0] - 1 : band[1] - 1].min(axis=1)

    return (emptiest(images.sum(axis=2)) - emptiest(images.sum(axis=1))).astype(np.float32)


def side_by_side(images: np.ndarray, band: tuple[int, int] = BAND) -> np.ndarray:
    """Which glyphs are side by side (else stacked): :func:`structure_scores` above zero.

    Args:
        images: ``(N, H, W)`` ink in [0, 1].
        band: the rows and columns searched for a gap, ``[lo, hi)``.

    Returns:
        ``(N,)`` bool.
    """
    return structure_scores(images, band) > 0


@dataclass(frozen=True)
class StructureCheck:
    """How well the ink rule agrees with the map and with the radicals' usual places.

    Attributes:
        agree: share of each glyph's map neighbours with the same structure.
        chance: that share if the map ignored structure, ``p^2 + (1 - p)^2`` with ``p``
            the share of side-by-side glyphs.
        left_ok: share of glyphs with a left-side radical called side by side.
        left_n: how many glyphs have a left-side radical.
        top_ok: share of glyphs with a top radical called stacked.
        top_n: how many glyphs have a top radical.
        one_in: one glyph in this many sorted wrongly, from the two checks' mean error.
    """

    agree: float
    chance: float
    left_ok: float
    left_n: int
    top_ok: float
    top_n: int
    one_in: int


def structure_check(
    side: np.ndarray,
    radicals: np.ndarray,
    points: np.ndarray,
    neighbours: int = NEIGHBOURS,
    left_radicals: tuple[int, ...] = LEFT_RADICALS,
    top_radicals: tuple[int, ...] = TOP_RADICALS,
) -> StructureCheck:
    """Check the side-by-side/stacked split against the map and the radicals.

    Args:
        side: ``(N,)`` bool from :func:`side_by_side`.
        radicals: ``(N,)`` Kangxi radical numbers of the glyphs.
        points: ``(N, 2)`` map coordinates.
        neighbours: nearest map neighbours compared with each glyph (itself left out).
        left_radicals: radicals on the left in most of their glyphs.
        top_radicals: radicals on top in most of their glyphs.

    Returns:
        The agreements, see :class:`StructureCheck`.
    """
    from scipy.spatial import cKDTree

    side = np.asarray(side, dtype=bool)
    points = np.asarray(points)
    near = cKDTree(points).query(points, neighbours + 1)[1][:, 1:]  # (N, k), itself left out
    left, top = np.isin(radicals, left_radicals), np.isin(radicals, top_radicals)  # (N,), (N,)
    share = side.mean()
    return StructureCheck(
        agree=float((side[near] == side[:, None]).mean()),
        chance=float(share**2 + (1 - share) ** 2),
        left_ok=float(side[left].mean()),
        left_n=int(left.sum()),
        top_ok=float(1 - side[top].mean()),
        top_n=int(top.sum()),
        one_in=round(2 / (side[top].mean() + 1 - side[left].mean())),
    )
