"""Choose the default guidance by measurement: ``python -m bench.sweep_guidance``.

For each (w, guidance_t_max) setting, samples the README's prompts (never the held-out ones,
which are only reported) and prints radical share, variety against real same-radical glyphs,
copies and distinct nearest glyphs. The setting the pipeline uses by default is the one with
the most variety and novelty whose radical share stays at or above 90%.
"""

from __future__ import annotations

import argparse
import json

SETTINGS = ((3.0, 999), (3.0, 600), (3.0, 400), (2.0, 999), (2.0, 600), (1.5, 999), (1.0, 999))


def main(argv=None) -> None:
    from glyffuser.evaluate.measures import report

    parser = argparse.ArgumentParser(prog="python -m bench.sweep_guidance", description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="a model folder (default: the shipped assets/model)")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--settings", help="w:t_max pairs, comma-separated, e.g. 4:999,5:900 (default: a fixed grid)")
    args = parser.parse_args(argv)
    settings = SETTINGS if not args.settings else tuple(
        (float(w), int(t)) for w, t in (pair.split(":") for pair in args.settings.split(",")))
    rows = []
    for guidance, t_max in settings:
        result = report(n=16, steps=args.steps, guidance=guidance, guidance_t_max=t_max, fd_count=0,
                        model_dir=args.model, sets=("readme",))
        mean = result["sets"]["readme"]["mean"]
        rows.append({"guidance": guidance, "guidance_t_max": t_max, **mean})
        print(f"w = {guidance:g}, t <= {t_max}: radical {mean['share']:.1%}, variety {mean['variety_ratio']:.2f}, "
              f"copies {mean['copies']:.1%}, distinct {mean['distinct_nearest']:.1f}", flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"steps": args.steps, "model": args.model or "assets/model", "rows": rows}, handle, indent=2)


if __name__ == "__main__":
    main()
