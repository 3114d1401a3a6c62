"""Command line: ``python -m glyffuser.data {build,map}``."""

from __future__ import annotations

import argparse
import sys

from glyffuser.data.unihan import SourceMissingError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glyffuser.data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="render the glyph dataset (64x64: assets/glyphs.npz)")
    build_cmd.add_argument("--unihan", help="folder of Unihan_*.txt[.bz2] files, or Unihan.zip")
    build_cmd.add_argument("--font", help="path to NotoSansCJK-Regular.ttc (or an SC .otf)")
    build_cmd.add_argument("--size", type=int, default=64, help="glyph side in pixels; 128 is the article's (default 64)")
    build_cmd.add_argument("--out", help="the .npz to write (default: assets/glyphs.npz at 64, data/glyphs<size>.npz otherwise)")
    build_cmd.add_argument("--limit", type=int, default=0, help="only the first N code points of the block (a quick check)")
    build_cmd.add_argument("--extension-a", action="store_true",
                           help="append CJK Extension A for training, without the evaluation prompts' characters "
                                "(default out: data/glyphs<size>_exta.npz)")
    commands.add_parser("map", help="compute the UMAP map into assets/glyph_map.npz")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            from glyffuser.data.build import build

            manifest, report = build(args.unihan, args.font, args.out, args.size, args.limit, args.extension_a)
            print(f"kept {report.kept} glyphs in {report.seconds:.1f} s; skipped {dict(report.skipped)}")
            print(f"wrote {manifest['file']} ({manifest['bytes'] / 1e6:.1f} MB), sha256 {manifest['sha256'][:12]}")
        else:
            from glyffuser.data.map import build_map

            manifest = build_map()
            print(f"mapped {manifest['count']} glyphs in {manifest['seconds']} s -> {manifest['file']}")
    except (SourceMissingError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
