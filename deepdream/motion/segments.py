"""Long videos on Ray: the clip cut into segments dreamt in parallel, one per worker at a time.

Every frame of a video dream carries the previous frame's detail, so a clip is a chain; to run it
on many workers it is cut into segments, each a chain of its own. A segment whose frame before it
is already on disk (resumed runs, or a segment that follows a finished one) carries on from that
frame exactly as one long run would. Any other segment starts `warmup` frames early, so that by
its first kept frame the carried detail has settled as it has everywhere else in the clip (no jump
from a fresh dream to a carried one); the last half of those frames are kept beside the frames,
and the movie dissolves through them from the segment before into this one (`movie_frames`): two
chains' patterns differ, and a dissolve over 8 frames hides what a cut would show.

The driver (this process) decodes the frames of every running segment (it needs no GPU and the
workers no shared file system: frames travel through Ray's object store), sends them to the
workers in chunks, and writes the PNGs they send back into the frames folder, as `video_frames`
does. A worker holds the carried state of its segment; one that dies loses it, and its segment
carries on, on a live worker, from its last frame on disk, as `workers.RETRY` allows. The same
driver runs the segments in this process (`pool=LocalPool(SegmentWorker, n)`), frame for frame the
same bytes as on Ray (tests, benchmarks).
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InputError, RenderError, SettingsError
from ..workers import RETRY, RayPool, Worker, WorkerDied, check_workers, import_ray
from .frames import FrameStore, frame_metadata
from .progress import FrameProgress
from .video import FrameDreamer, decode, frame_times, lookahead, probe, video_store

#: Frames sent to a worker in one call, and calls kept waiting at each worker (so it never idles
#: while the driver writes the last chunk and decodes the next).
CHUNK, IN_FLIGHT = 4, 2
#: What a worker answers for a chunk of a segment whose carried state it no longer holds (it died
#: and was restarted): the driver carries the segment on from its frames on disk.
LOST = "lost"
#: What becomes of a frame a worker dreams: kept (a frame of the clip), kept to dissolve through
#: at a seam (a warm-up frame near the seam), or dropped (an earlier warm-up frame).
KEEP, SEAM, DROP = "keep", "seam", "drop"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Segment:
    """Frames `first` to `last` (1-based, both kept) of a clip."""

    first: int
    last: int

    def __len__(self) -> int:
        return self.last - self.first + 1


def cut(total: int, count: int | None = None, length: int | None = None) -> list[Segment]:
    """`total` frames cut into `count` segments of near-equal length, or into segments of
    `length` frames (the last one shorter); one segment when neither is given."""
    if total < 1:
        return []
    if length is None:
        count = max(1, min(total, count or 1))
        bounds = [round(k * total / count) for k in range(count + 1)]
    else:
        bounds = list(range(0, total, max(1, length))) + [total]
    return [Segment(a + 1, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


# ---------------------------------------------------------------------------- the worker's side


class SegmentWorker(Worker):
    """Dreams the frames of one segment at a time, holding its carried state between calls. A
    Ray actor on a cluster, a plain object in a `LocalPool`. Each distinct VideoSettings gets one
    `FrameDreamer` (network prepared once) for the worker's life."""

    def __init__(self):
        super().__init__()
        self.dreamers: dict[str, FrameDreamer] = {}
        self.run = None  # (run id, next chunk number) of the segment whose state is held
        self.encoder = None

    def close(self) -> None:
        """Stop the threads (flow ahead, PNG encoding); a Ray actor's end with its process."""
        for dreamer in self.dreamers.values():
            dreamer.close()
        if self.encoder is not None:
            self.encoder.shutdown()
            self.encoder = None

    def frames(self, run: int, chunk: int, settings, entries: list) -> list | str:
        """Dream a chunk of a segment: `entries` are (index, raw uint8 RGB, frame or None, what),
        in order. An entry with a frame (made before, read from disk) is followed, not dreamt; the
        others are dreamt, and returned as (index, PNG bytes with the frame's settings in them,
        what) unless `what` is DROP (KEEP: a frame of the clip; SEAM: a warm-up frame the movie
        dissolves through). Chunk 0 starts a run afresh; a later chunk of a run this worker does
        not hold (restarted since) gets LOST."""
        from ..images import encode_image

        if chunk == 0:
            self.run = (run, 0)
        elif self.run != (run, chunk):
            return LOST
        key = settings.to_json()
        if key not in self.dreamers:
            self.dreamers[key] = FrameDreamer(settings)
        dreamer = self.dreamers[key]
        if chunk == 0:
            dreamer.forget()
        if self.encoder is None:
            from concurrent.futures import ThreadPoolExecutor

            self.encoder = ThreadPoolExecutor(1, thread_name_prefix="deepdream-png")
        out = []
        for (index, raw, frame, what), following in lookahead(entries):
            next_raw = following[1] if following is not None and following[2] is None else None
            if frame is not None:
                dreamer.follow(raw, frame)
                continue
            made = dreamer.dream(raw, index, next_raw)
            if what != DROP:  # the PNG is made in a thread while the next frame is dreamt
                out.append(
                    (
                        index,
                        self.encoder.submit(encode_image, made, "PNG", metadata=frame_metadata(settings, index)),
                        what,
                    )
                )
        self.run = (run, chunk + 1)
        return [(index, png.result(), what) for index, png, what in out]


# ---------------------------------------------------------------------------- the driver


@dataclass
class _Run:
    """One segment being dreamt by one worker: the entries still to send, made as they are sent."""

    id: int
    segment: Segment
    worker: object
    start: _Start
    entries: object  # iterator of entries
    chunk: int = 0
    out: int = 0  # calls in flight
    done: bool = False  # every entry sent
    dead: bool = False


@dataclass
class _Start:
    """Where a run of a segment starts: dreaming from frame `begin` (a frame on disk followed, or
    the first of the warm-up, or the clip's first frame) to make the missing frames from `first`
    on; `seam` is `first` when the run warms up into it (a seam), else None."""

    begin: int
    first: int
    seam: int | None


def _start(store: FrameStore, segment: Segment, before: Segment | None, warmup: int) -> _Start | None:
    """How to dream a segment's missing frames: from its last frame on disk before the first
    missing one, else `warmup` frames early, else from the clip's first frame. None when the
    segment is complete. A run warming up never reaches back past the start of the segment
    before (`before`), so seams never overlap."""
    missing = next((i for i in range(segment.first, segment.last + 1) if not store.has(i)), None)
    if missing is None:
        return None
    if missing > 1 and store.has(missing - 1):
        return _Start(missing - 1, missing, None)
    if missing == 1 or warmup == 0:
        return _Start(missing, missing, None)
    floor = before.first + 1 if before is not None else 1
    return _Start(max(1, floor, missing - warmup), missing, missing)


def _entries(path, settings, times: list[float], store: FrameStore, segment: Segment, start: _Start, fade: int):
    """The (index, raw, frame or None, what) entries that dream a segment's missing frames from
    `start`: frames on disk are sent only where the next frame follows them, warm-up frames are
    dreamt and dropped except the last `fade`, kept to dissolve through (SEAM)."""
    end = times[segment.last] if segment.last < len(times) else settings.end
    index = start.begin - 1
    for index, raw in enumerate(decode(path, times[start.begin - 1], end, settings.dream.max_side), start.begin):
        if index > segment.last:
            break
        if store.has(index):
            if index + 1 <= segment.last and not store.has(index + 1):
                yield index, raw, store.read(index), DROP
            continue
        if index >= start.first:
            yield index, raw, None, KEEP
        else:
            yield index, raw, None, SEAM if index >= start.first - fade else DROP
    if index < segment.last:
        raise InputError(f"'{path}' ended after frame {index} of {len(times)}; it may be damaged.")


def split(segments: list[Segment], count: int) -> list[collections.deque]:
    """The segments dealt into `count` runs of consecutive segments (a block per worker), as even
    in frames as segment boundaries allow."""
    total = sum(len(s) for s in segments)
    blocks = [collections.deque() for _ in range(count)]
    seen = 0
    for seg in segments:
        blocks[min(count - 1, seen * count // max(1, total))].append(seg)
        seen += len(seg)
    return blocks


def steal(blocks: list[collections.deque]) -> collections.deque:
    """Half (rounded up) of the segments still waiting in the fullest block, taken from its end:
    a free worker's new block. Empty when nothing waits."""
    victim = max(blocks, key=len, default=collections.deque())
    taken = collections.deque()
    for _ in range((len(victim) + 1) // 2):
        taken.appendleft(victim.pop())
    return taken


def video_segments(
    path,
    settings=None,
    *,
    frames_dir,
    overwrite: bool = False,
    ray: str | None = "local",
    workers: int | None = None,
    segment: float | None = None,
    warmup: int | None = None,
    pool=None,
    progress: Callable[[object], None] | None = None,
    **options,
) -> int:
    """Dream a clip's frames on Ray workers, in segments, into `frames_dir` (one PNG per frame, as
    `video_frames` writes them); returns the number of frames. Frames already there are kept,
    and a segment carries on from them, so a run resumes.

    Each worker gets a block of consecutive segments and dreams them in order, each carrying on
    from the one before: the clip has a seam only where a block starts. There the segment starts
    `warmup` frames early; the last half of those frames are kept in `frames_dir/seams/`, and
    `movie_frames` dissolves through them into the segment. A worker that runs out of segments
    takes half of those still waiting in the fullest block, so a slow or lost worker holds
    nobody up. Write the movie with `write_movie(movie_frames(frames_dir), ...)`.

    ray: "local" (a local cluster of `workers` CPUs) or a cluster's address. workers: how many
    (default: one per GPU of the cluster, else one per CPU). segment: seconds of clip per segment,
    the unit of work (default: `SegmentSettings`'s, shorter where the clip is short, so that every
    worker gets a block). warmup: frames dreamt before a segment with nothing before it on disk.
    pool: where the workers are instead (a `workers.Pool` of SegmentWorkers, closed at the end;
    `LocalPool(SegmentWorker, n)`: the same bytes, in this process). progress: `Stage` events,
    then a `FrameProgress` per frame (first the frames already on disk, as resumed)."""
    from ..render.events import Stage
    from ..settings import SegmentSettings, VideoSettings

    def say(text: str) -> None:
        if progress is not None:
            progress(Stage(text))

    def report(resumed: bool) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(FrameProgress(done, total, resumed))

    try:
        if pool is None:
            import_ray()  # says how to install it, before any work
        check_workers(workers)
        settings = VideoSettings.of(settings, **options)
        layout = SegmentSettings.of(
            None, **{k: v for k, v in (("segment", segment), ("warmup", warmup)) if v is not None}
        )
        warmup = layout.warmup
        if settings.independent or settings.blend == 0:
            warmup = 0  # nothing is carried: a frame is the same bytes whichever worker dreams it
        info, times, store = _clip(path, settings, frames_dir, overwrite)
        total = len(times)
        done = 0
        for index in range(1, total + 1):
            if store.has(index):
                report(True)
        if done == total:
            return total
        pool = pool or RayPool(SegmentWorker, ray, workers, say)
        length = max(1, round(layout.segment * float(info.rate)))
        _drive(pool, path, settings, times, store, length, warmup, report)
        if done < total:  # every worker gone
            raise RenderError(
                f"Every worker died; {done} of {total} frames are made, in '{store.folder}': run the "
                f"same command again to go on."
            )
        return total
    finally:
        if pool is not None:
            pool.close()


def _clip(path, settings, frames_dir, overwrite: bool):
    """(the clip's probe, its frame times, the frame store), checked before any work: frames in
    the range, schedules in frames and within the clip, the layers on the network."""
    from ..planning import check_layers

    info = probe(path, settings)
    times = frame_times(path, settings.start, settings.end)
    if not times:
        raise SettingsError(f"There are no frames of '{path}' between --start and --end; widen the range.")
    store = video_store(frames_dir, settings, path, info, overwrite)
    if any(schedule.seconds for schedule in settings.timeline().values()):
        raise SettingsError("--ray takes schedules in frames (0:VALUE, 48:VALUE); write the seconds as frames.")
    settings.check_clip(len(times), float(info.rate))
    check_layers(settings.dream.keyframe_looks())  # here, not in every worker
    return info, times, store


def _drive(
    pool,
    path,
    settings,
    times: list[float],
    store: FrameStore,
    length: int,
    warmup: int,
    report: Callable[[bool], None],
) -> None:
    """Dream the missing frames in segments of at most `length` frames on the pool's workers
    (see `video_segments`), writing what comes back; report(False) after each frame written. A
    segment whose worker died or failed carries on from its frames on disk, as RETRY allows."""
    total, count = len(times), len(pool.workers)
    segments = cut(total, length=min(length, -(-total // count)))
    before = dict(zip(segments[1:], segments, strict=False))
    blocks = dict(zip(pool.workers, split(segments, count), strict=False))
    failures: collections.Counter = collections.Counter()
    causes: dict = {}  # segment -> the last error a worker raised on it
    idle = list(pool.workers)
    calls: dict = {}  # handle -> run
    runs = 0
    while True:
        for worker in list(idle):  # a free worker takes its block's next segment, or half of another's
            block = blocks[worker]
            while True:
                if not block:
                    block.extend(steal(list(blocks.values())))
                if not block:
                    break
                seg = block.popleft()
                start = _start(store, seg, before.get(seg), warmup)
                if start is None:  # complete
                    continue
                if start.seam is not None:
                    store.drop_seams(start.seam)  # any left by an earlier run: these replace them
                runs += 1
                entries = _entries(path, settings, times, store, seg, start, warmup // 2)
                if _send(pool, _Run(runs, seg, worker, start, entries), settings, calls):
                    idle.remove(worker)
                    break
        if not calls:
            return
        handle = pool.wait(list(calls))
        run = calls.pop(handle)
        run.out -= 1
        try:
            result = pool.get(handle)
        except WorkerDied as e:
            result, error = LOST, e
            causes[run.segment] = e  # what a later "restarted" reports, so the user sees the cause
        else:
            error = causes.get(run.segment) or WorkerDied("the worker was restarted")
        if run.dead:
            pass
        elif isinstance(result, str):  # LOST: the worker died, or was restarted and lost the state
            _lost(run, error, failures, store)
            blocks[run.worker].appendleft(run.segment)  # carried on from its frames on disk
        else:
            _write(store, run, result, report)
            _send(pool, run, settings, calls)
        if run.out == 0 and (run.done or run.dead) and (not run.dead or pool.alive(run.worker)):
            idle.append(run.worker)


def _lost(run: _Run, error: Exception, failures: collections.Counter, store: FrameStore) -> None:
    """A run whose worker died: marked dead and counted; a RenderError once RETRY gives up on its
    segment (the frames made so far stay on disk)."""
    run.dead = True
    failures[run.segment] += 1
    log.warning(
        "a worker failed dreaming frames %d-%d (%s); they carry on from the frames on disk",
        run.segment.first,
        run.segment.last,
        error,
    )
    if not RETRY.again(error, failures[run.segment]):
        raise RenderError(
            f"Workers failed {failures[run.segment]} times dreaming frames "
            f"{run.segment.first}-{run.segment.last} ({error}); the frames made so far are "
            f"in '{store.folder}': run the same command again to go on."
        )


def _write(store: FrameStore, run: _Run, result, report: Callable[[bool], None]) -> None:
    """Write the frames (and seam frames) a worker sent back; report(False) after each frame."""
    for index, data, what in result:
        if what == SEAM:
            store.write_seam(run.start.seam, index, data)
            continue
        if index != run.start.seam:
            store.drop_seams(index)  # it follows the frame before: no seam here now
        store.write_bytes(index, data)
        report(False)


def _send(pool, run: _Run, settings, calls: dict) -> bool:
    """Keep up to IN_FLIGHT chunks of the run at its worker; False if the run had nothing to send."""
    while not run.done and not run.dead and run.out < IN_FLIGHT:
        chunk = [entry for _, entry in zip(range(CHUNK), run.entries, strict=False)]
        if len(chunk) < CHUNK:
            run.done = True
        if not chunk:
            break
        calls[pool.call(run.worker, "frames", run.id, run.chunk, settings, chunk)] = run
        run.chunk += 1
        run.out += 1
    return run.out > 0
