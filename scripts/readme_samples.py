"""Make the pictures of the README and the docs again with the commands shown beside them, and compare
each with the one in docs/images/ byte for byte (or, with --write, replace it). Run from anywhere;
renders go to a temporary folder holding samples/ and docs/images/, as a reader's clone does.

    python scripts/readme_samples.py                 # every picture: same bytes or not (JSON out)
    python scripts/readme_samples.py chelsea_dream coffee_classic
    python scripts/readme_samples.py --write rocket_regions   # make it again into docs/images/

A picture renders the same bytes on the same machine and TensorFlow (the README says so); on another
CPU (its instruction set picks float32 or bfloat16 kernels) the numbers may differ slightly.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Where the pictures the pages show live (apart from the input photos in samples/).
FIGURES = ROOT / "docs" / "images"

#: docs/images/NAME.png -> the command that makes it (its output renamed to the figure).
COMMANDS = {
    "chelsea_dream": "deepdream dream samples/chelsea.png -o OUT",
    "chelsea_dream_preserve": "deepdream dream samples/chelsea.png --preserve-colors -o OUT",
    "chelsea_dream_vgg16": "deepdream dream samples/chelsea.png -b vgg16 -o OUT",
    "chelsea_dream_laplacian": "deepdream dream samples/chelsea.png --normalize laplacian -o OUT",
    "chelsea_portrait": "deepdream dream samples/chelsea.png --preset portrait -o OUT",
    **{
        f"coffee_{name}": f"deepdream dream samples/coffee.png --preset {name} -o OUT"
        for name in ("classic", "subtle", "portrait", "intense", "swirls", "edges")
    },
    **{
        f"class_{name.replace(' ', '_')}": f'deepdream class "{name}" -o OUT'
        for name in ("golden retriever", "lemon", "goldfish", "tarantula", "volcano")
    },
    "visualize_block5a_expand_12": "deepdream visualize block5a_expand:12 -o OUT",
    "coffee_golden_retriever": 'deepdream dream samples/coffee.png --class "golden retriever" -o OUT',
    "guided_chelsea_brick": "deepdream dream samples/chelsea.png --guide samples/brick.png --preset subtle -o OUT",
    "guided_chelsea_gravel": "deepdream dream samples/chelsea.png --guide samples/gravel.png --preset subtle -o OUT",
    "style_chelsea": "deepdream style samples/chelsea.png --style docs/images/class_goldfish.png --max-side 320 -o OUT",
    "texture_gravel": "deepdream texture samples/gravel.png --sample-scale 0.5 --size 320x256 -o OUT",
    "rocket_layers": 'deepdream dream samples/rocket.jpg -l "block5a_expand@samples/rocket_sky.png" '
    '-l "block3a_expand@samples/rocket_ground.png" -o OUT',
    "rocket_regions": 'deepdream dream samples/rocket.jpg --class "golden retriever@samples/rocket_sky.png" '
    '-l "block3a_expand@samples/rocket_ground.png" -o OUT',
}


def make(name: str, folder: Path) -> tuple[Path, float]:
    """Render figure `name` into `folder` (holding the repository's samples/ and docs/images/); (path, seconds)."""
    from deepdream.cli import run

    out = folder / f"{name}.png"
    words = [w.replace("OUT", str(out)) for w in shlex.split(COMMANDS[name])[1:]] + ["-q", "--overwrite"]
    import contextlib

    start = time.perf_counter()
    with contextlib.chdir(folder):
        code = run(words)
    if code != 0:
        raise SystemExit(f"{name}: `{COMMANDS[name]}` exited {code}")
    return out, time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"samples to make (default: all): {', '.join(COMMANDS)}")
    parser.add_argument("--write", action="store_true", help="replace docs/images/NAME.png with the new picture")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in COMMANDS]
    if unknown:
        parser.error(f"unknown sample {unknown[0]!r}; known: {', '.join(COMMANDS)}")
    report = {}
    with tempfile.TemporaryDirectory(prefix="deepdream-samples-") as temp:
        folder = Path(temp)
        (folder / "samples").symlink_to(ROOT / "samples")
        (folder / "docs").mkdir()
        (folder / "docs" / "images").symlink_to(FIGURES)
        for name in args.names or list(COMMANDS):
            made, seconds = make(name, folder)
            kept = FIGURES / f"{name}.png"
            same = kept.is_file() and kept.read_bytes() == made.read_bytes()
            report[name] = {"same_bytes": same, "seconds": round(seconds, 1), "command": COMMANDS[name]}
            if args.write and not same:
                shutil.copyfile(made, kept)
                report[name]["written"] = str(kept.relative_to(ROOT))
            print(json.dumps({name: report[name]}), file=sys.stderr)
    print(json.dumps(report, indent=1))
    return 0 if args.write or all(r["same_bytes"] for r in report.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
