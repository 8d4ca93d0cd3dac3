"""Frames on disk: one PNG per frame, written as soon as it is made, so a run can be resumed.

A frames folder holds `frame_000001.png`, `frame_000002.png`, ... (six digits: names sort in frame
order up to a million frames, and still parse past that) and `settings.json`, what the frames
depend on. A run finding frames made with other settings refuses to mix them with its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SETTINGS_FILE = "settings.json"
#: Where a clip dreamt in segments keeps, for each seam, the warm-up frames the movie dissolves
#: through: seams/frame_000241/frame_000233.png ... frame_000240.png lead into frame 241.
SEAMS = "seams"
_NAME = re.compile(r"frame_(\d{6,})\.png")


def frame_name(index: int) -> str:
    """The file name of frame `index` (1-based): frame_000001.png."""
    if index < 1:
        raise ValueError(f"frames count from 1 (got {index})")
    return f"frame_{index:06d}.png"


def frame_index(name: str) -> int | None:
    """The frame number a file name holds, or None for any other file."""
    match = _NAME.fullmatch(name)
    return int(match.group(1)) if match else None


def frame_seed(seed: int, index: int) -> int:
    """Frame `index`'s own seed, derived from the run's seed: the same for every run and resume."""
    entropy = [1 if seed < 0 else 0, abs(int(seed)), int(index)]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint32)[0])


def frame_metadata(settings, index: int) -> str:
    """What a frame's PNG carries: the mode, the settings its pixels depend on, and its number
    (fields that do not change it, such as the frame count, left out: a resumed run writes the same)."""
    from .._version import __version__

    return json.dumps(
        {"mode": settings.mode, "version": __version__, "settings": settings.frames_key(), "frame": index},
        sort_keys=True,
    )


def default_frames_dir(output, key: dict | None = None, resume=None) -> Path:
    """OUT_frames/ beside the movie OUT.mp4; where that holds frames of other settings than `key`
    (say, OUT.mp4's, and this is OUT.gif), OUT_gif_frames/: each movie its own frames. resume: as
    `FrameStore`'s (frames of the same clip with other keyframes are this movie's)."""
    output = Path(output)
    folder = output.with_name(f"{output.stem}_frames")
    if key is not None and folder.is_dir() and FrameStore(folder, key, overwrite=True, resume=resume).stale:
        other = output.with_name(f"{output.stem}_{output.suffix.lstrip('.').lower()}_frames")
        if other.parent.is_dir():
            return other
    return folder


def rerun(store: FrameStore, output, count: int | None, resumable: dict, overwrite: bool) -> str:
    """What a run may do about its movie: "new" (no movie there, or --overwrite), "done" (this
    movie was made from these frames with these settings, all still there: nothing to do), "ours"
    (made from these frames, now to be continued or cut: replace it) or "theirs" (another file:
    refuse). count: the frames this run will make, where known."""
    if overwrite or not Path(output).exists():
        return "new"
    made = store.made(output)
    if made is None:
        return "theirs"
    if (
        made.get("resumable") == resumable
        and (count is None or made.get("frames") == count)
        and all(store.has(i) for i in range(1, made["frames"] + 1))
    ):
        return "done"
    return "ours"


@dataclass
class FrameStore:
    """A frames folder for one run's settings (`key`: a JSON-able dict of what frames depend on).

    Nothing is written before the first frame is (the folder and `settings.json` come with it), so
    a run refused or failing before then leaves no folder. `record`: the run's settings JSON kept
    in `settings.json` beside the key.

    resume: `resume(saved key, frame numbers on disk)` -> the first frame that frames made with
    the saved key do not share with these settings (a keyframe changed: it and every later frame
    are dreamt again, the earlier ones kept), or None where they are other settings entirely
    (`ZoomSettings.first_change`). metadata: `metadata(index)`, a frame's PNG metadata: the frames
    kept get it in place of their old settings, so they are the bytes a fresh run makes."""

    folder: Path
    key: dict
    overwrite: bool = False
    record: str = "{}"
    resume: object = None
    metadata: object = None

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self.changed = None  # the first frame that other keyframes made differently (None: none)
        self.check()
        self.stale = self._other_settings()  # frames to discard (only with overwrite) before writing
        self.opened = False

    def check(self) -> None:
        """OutputError when the folder cannot hold these frames: not a folder, or frames of other
        settings there (unless overwrite, which discards them when opened)."""
        from ..errors import OutputError

        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"Frames folder '{folder}' is a file; pass another --frames-dir.")
        if not folder.parent.is_dir():
            raise OutputError(f"Folder '{folder.parent}' for the frames does not exist; create it first.")
        if not self.overwrite and self._other_settings():
            raise OutputError(
                f"Frames folder '{folder}' holds frames made with other settings; pass another "
                f"--frames-dir, or --overwrite to discard them."
            )

    def _other_settings(self) -> bool:
        path = self.folder / SETTINGS_FILE
        if not path.is_file():
            return bool(self.existing())  # frames of unknown settings
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return True
        if not isinstance(saved, dict) or saved.get("frames_key") == json.loads(json.dumps(self.key)):
            return not isinstance(saved, dict)
        if self.resume is not None and isinstance(saved.get("frames_key"), dict):
            self.changed = self.resume(saved["frames_key"], self.existing())
            if self.changed is not None:
                return False
        return True

    def open(self) -> None:
        """Create the folder, discard frames of other settings (when allowed), record the settings."""
        from ..images import atomic_write

        self.check()
        self.folder.mkdir(exist_ok=True)
        if self._other_settings():  # only with overwrite
            for index in self.existing():
                self.path(index).unlink()
            self.drop_seams()
        elif self.changed is not None:  # other keyframes: the frames from the first they change go
            self._keep_before(self.changed)
        movies = self._saved().get("movies", {}) if not self.stale else {}
        self.stale, self.opened = False, True
        record = {"frames_key": self.key, "run": json.loads(self.record), "movies": movies}
        text = json.dumps(record, indent=1, sort_keys=True).encode()
        atomic_write(self.folder / SETTINGS_FILE, lambda f: f.write(text))

    def _keep_before(self, first: int) -> None:
        """Discard frame `first` and every later one (and their seams); the earlier frames get these
        settings' metadata (their pixels are these settings' already)."""
        from ..images import save_image

        for index in self.existing():
            if index >= first:
                self.path(index).unlink()
            elif self.metadata is not None:
                save_image(self.read(index), self.path(index), overwrite=True, metadata=self.metadata(index))
        for seam in self.seams():
            if seam >= first:
                self.drop_seams(seam)
        self.changed = None

    def _saved(self) -> dict:
        try:
            saved = json.loads((self.folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return saved if isinstance(saved, dict) else {}

    # -- the movies made from these frames: what lets a rerun of a finished run do nothing, and a
    # longer one replace the movie it made itself (and only that one)

    def made(self, output) -> dict | None:
        """What this folder's settings.json says about the movie `output` made from these frames
        ({"frames": count, "bytes": size, "resumable": {...}}), if it is still that file; else None."""
        if self.stale:
            return None
        entry = self._saved().get("movies", {}).get(str(Path(output).absolute()))
        try:
            return entry if entry and Path(output).stat().st_size == entry["bytes"] else None
        except (OSError, KeyError, TypeError):
            return None

    def record_movie(self, output, count: int, resumable: dict) -> None:
        """Note in settings.json that `output` was made from frames 1..count with these resumable
        settings (e.g. {"frames": 48} or {"end": 6.0})."""
        from ..images import atomic_write

        saved = self._saved()
        saved.setdefault("movies", {})[str(Path(output).absolute())] = {
            "frames": count,
            "bytes": Path(output).stat().st_size,
            "resumable": resumable,
        }
        text = json.dumps(saved, indent=1, sort_keys=True).encode()
        atomic_write(self.folder / SETTINGS_FILE, lambda f: f.write(text))

    def path(self, index: int) -> Path:
        return self.folder / frame_name(index)

    def existing(self) -> list[int]:
        """Frame numbers on disk, in order."""
        if not self.folder.is_dir():
            return []
        return sorted(i for i in (frame_index(p.name) for p in self.folder.iterdir()) if i is not None)

    def has(self, index: int) -> bool:
        return not self.stale and (self.changed is None or index < self.changed) and self.path(index).is_file()

    def read(self, index: int) -> np.ndarray:
        """Frame `index` as uint8 RGB."""
        from PIL import Image

        with Image.open(self.path(index)) as img:
            return np.asarray(img.convert("RGB"))

    def write(self, index: int, rgb: np.ndarray, metadata: str | None = None) -> Path:
        """Frame `index` (uint8 RGB), atomically."""
        from ..images import save_image

        if not self.opened:
            self.open()
        return save_image(np.asarray(rgb), self.path(index), overwrite=True, metadata=metadata)

    def write_bytes(self, index: int, data: bytes) -> Path:
        """Frame `index` from its PNG file's bytes (made elsewhere, e.g. by a worker), atomically."""
        return self._put(self.path(index), data)

    def _put(self, path: Path, data: bytes) -> Path:
        """A file of the folder from its bytes, atomically (the folder opened first)."""
        from ..images import atomic_write

        if not self.opened:
            self.open()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: f.write(data))
        return path

    def paths(self, count: int) -> list[Path]:
        return [self.path(i) for i in range(1, count + 1)]

    # -- seams: where a clip dreamt in segments (`segments`) joins two chains of frames

    def seam_path(self, seam: int, index: int) -> Path:
        """Frame `index` of the chain that starts at frame `seam`, dreamt while it warmed up."""
        return self.folder / SEAMS / frame_name(seam) / frame_name(index)

    def write_seam(self, seam: int, index: int, data: bytes) -> Path:
        """Warm-up frame `index` leading into frame `seam`, from its PNG file's bytes, atomically."""
        return self._put(self.seam_path(seam, index), data)

    def drop_seams(self, seam: int | None = None) -> None:
        """Forget the warm-up frames leading into frame `seam` (all seams when None): frame `seam`
        now follows the frame before it."""
        import shutil

        folder = self.folder / SEAMS if seam is None else self.folder / SEAMS / frame_name(seam)
        if folder.is_dir():
            shutil.rmtree(folder)

    def seams(self) -> dict[int, list[int]]:
        """{seam frame: [indices of its warm-up frames on disk, in order]}."""
        root = self.folder / SEAMS
        if not root.is_dir():
            return {}
        out = {}
        for sub in root.iterdir():
            seam = frame_index(sub.name)
            if seam is not None and sub.is_dir():
                out[seam] = sorted(i for i in (frame_index(p.name) for p in sub.iterdir()) if i is not None)
        return out

    def movie_frames(self, count: int):
        """Frames 1..count as uint8 RGB for the movie, one at a time: the frames on disk, except
        that before each seam the picture dissolves into the next chain: over its n warm-up
        frames before frame `seam`, the k-th is blended in at k / (n + 1)."""
        fades = {}
        for seam, indices in self.seams().items():
            if seam <= count and self.has(seam) and indices and indices == list(range(indices[0], seam)):
                for k, index in enumerate(indices, 1):
                    fades[index] = (seam, k / (len(indices) + 1))
        for index in range(1, count + 1):
            frame = self.read(index)
            if index in fades:
                from PIL import Image

                seam, weight = fades[index]
                with Image.open(self.seam_path(seam, index)) as img:
                    other = np.asarray(img.convert("RGB"), np.float32)
                frame = np.clip(np.round(frame * (1 - weight) + other * weight), 0, 255).astype(np.uint8)
            yield frame


class Writes:
    """A frames folder's PNGs written in a thread, in order, while the next frame is made (a 1080p
    PNG takes about 0.26 s: on a GPU, a good part of a frame). At most one write waits; its error
    (e.g. a full disk) comes out at the next write or at `close`. Use as a context manager."""

    def __init__(self, store: FrameStore):
        from concurrent.futures import ThreadPoolExecutor

        self.store = store
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="deepdream-frames")
        self.pending = None

    def write(self, index: int, rgb: np.ndarray, metadata: str | None = None) -> None:
        self.wait()
        self.pending = self.pool.submit(self.store.write, index, rgb, metadata)

    def wait(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> Writes:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.wait()
        finally:
            self.pool.shutdown()


def movie_frames(frames_dir):
    """The frames in a frames folder as the movie shows them (uint8 RGB, one at a time): frame 1 on,
    up to the first one missing, dissolving at the seams of a clip dreamt in segments."""
    folder = Path(frames_dir)
    try:
        key = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))["frames_key"]
    except (OSError, ValueError, KeyError):
        key = {}
    store = FrameStore(folder, key, overwrite=True)
    store.stale = False  # read only: whatever made them, these are the frames
    count = 0
    while store.has(count + 1):
        count += 1
    return store.movie_frames(count)
