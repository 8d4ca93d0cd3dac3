"""One worker pool, in this process or on Ray, with one retry policy: batch, gallery and video --ray.

A pool holds `workers` made from one `Worker` class: plain objects here (`LocalPool`), or Ray
actors, one per GPU of the cluster, else one per CPU (`RayPool`, the `ray` extra). It calls their
methods: `call(worker, method, *args)` gives a handle, `wait(handles)` the first handle answered,
`get(handle)` its answer. A user's error raised in a worker (a `DeepDreamError`) comes back as
itself; a worker that died (or is gone) comes back as `WorkerDied`, one that raised any other
error as `WorkerFailed`; `alive(worker)` says whether it is back (Ray restarts an actor up to
`RETRY.attempts` times, its state lost). `RETRY` decides what is sent again, for every caller.

`Pool.run` sends independent jobs (a batch's renders) to the workers, a few at a time each, and
sends a job whose worker died or failed again, on a live worker, as `RETRY` allows. Chained work
(a video's segments, each carrying state from frame to frame) drives `call`/`wait`/`get` itself,
with the same `RETRY`. Skipping finished work (resuming) is the callers' part: they know what
"finished" means (an output there, with the same settings).
"""

from __future__ import annotations

import collections
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ._install import extra_hint
from .errors import DeepDreamError, SettingsError

RAY_MISSING = f"Ray is not installed; --ray needs it: {extra_hint('ray')}."

log = logging.getLogger(__name__)


class WorkerDied(Exception):
    """A worker died (or is gone) while it held a call; the message says why."""


class WorkerFailed(WorkerDied):
    """A worker raised an error of its own (not the user's) while it held a call: `Type: message`."""


@dataclass(frozen=True)
class Retry:
    """What is sent again: work whose worker died or failed (`on`), until it has failed
    `attempts` + 1 times. A user's error (DeepDreamError) is never sent again."""

    attempts: int = 3
    on: tuple = (WorkerDied,)

    def again(self, error: BaseException, failures: int) -> bool:
        """Whether work that has now failed `failures` times, the last time with `error`, goes again."""
        return isinstance(error, self.on) and failures <= self.attempts


#: The one retry policy: batch, gallery and video --ray. Ray restarts a dead actor as often.
RETRY = Retry()


class Worker:
    """What a pool's workers have in common: a name (host:pid) and `ready`, which a pool calls to
    see a restarted worker back, and `close` at the end."""

    def __init__(self):
        self.name = f"{os.uname().nodename}:{os.getpid()}"

    def ready(self) -> str:
        return self.name

    def close(self) -> None:
        pass


class Pool:
    """Workers to call (see the module's help). Subclasses: LocalPool, RayPool; tests subclass them
    to fail chosen calls."""

    workers: list
    in_flight: int = 1  # calls kept waiting at each worker by `run`
    where: str = "in process"  # for reports

    def call(self, worker, method: str, *args):
        raise NotImplementedError

    def wait(self, handles: list):
        raise NotImplementedError

    def get(self, handle):
        raise NotImplementedError

    def alive(self, worker) -> bool:
        return True

    def share(self, value):
        """`value` as the workers' calls take it (on Ray: put once in the object store)."""
        return value

    def close(self) -> None:
        pass

    def run(
        self, jobs: Iterable, method: str, args: Callable, done: Callable, failed: Callable, retry: Retry = RETRY
    ) -> None:
        """Call `method(*args(job))` on some worker for every job, in order, `in_flight` calls at a
        time per worker. args(job) is made when the job is sent; a DeepDreamError from it fails the
        job unsent. Every job ends once, in `done(job, answer)` or `failed(job, error, tries, False)`
        (tries: the times it was sent); a job whose worker died or failed goes again, on a live
        worker, as `retry` allows, told first by `failed(job, error, tries, True)`."""
        queue = collections.deque(jobs)
        tries: collections.Counter = collections.Counter()
        calls: dict = {}  # handle -> (job, worker)
        out: collections.Counter = collections.Counter()  # worker -> calls in flight
        live = list(self.workers)

        def fill() -> None:
            for worker in live:
                while queue and out[worker] < self.in_flight:
                    job = queue.popleft()
                    try:
                        given = args(job)
                    except DeepDreamError as e:
                        failed(job, e, 0, False)
                        continue
                    tries[job] += 1
                    calls[self.call(worker, method, *given)] = (job, worker)
                    out[worker] += 1

        fill()
        while calls:
            handle = self.wait(list(calls))
            job, worker = calls.pop(handle)
            out[worker] -= 1
            try:
                answer = self.get(handle)
            except DeepDreamError as e:
                failed(job, e, tries[job], False)
            except WorkerDied as e:
                if worker in live and not self.alive(worker):
                    live.remove(worker)  # gone for good: its restarts are spent
                again = bool(live) and retry.again(e, tries[job])
                failed(job, e, tries[job], again)
                if again:
                    queue.appendleft(job)
            else:
                done(job, answer)
            fill()
        for job in queue:  # every worker gone
            failed(job, WorkerDied("no worker is left"), tries[job], False)


class LocalPool(Pool):
    """`count` workers made by `make()` in this process; a call runs when it is made."""

    def __init__(self, make: Callable[[], Worker], count: int = 1):
        self.workers = [make() for _ in range(count)]
        self._done: dict[int, tuple] = {}
        self._next = 0

    def call(self, worker, method: str, *args):
        self._next += 1
        try:
            self._done[self._next] = (getattr(worker, method)(*args), None)
        except Exception as e:
            self._done[self._next] = (None, e)
        return self._next

    def wait(self, handles: list):
        return handles[0]

    def get(self, handle):
        result, error = self._done.pop(handle)
        if error is not None:
            raise error  # as it is: a bug in this process shows its traceback
        return result

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


def import_ray():
    """The ray module, or a SettingsError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise SettingsError(RAY_MISSING) from None
    return ray


#: The session folders of the local Ray clusters this process started (removed by `stop_ray`).
_ray_folders: list[str] = []


def start_ray(address: str, workers: int | None):
    """Start a local Ray cluster ("local": `workers` CPUs, default this machine's) or join the
    cluster at `address`, its own log lines kept off the terminal. True if this call started the
    connection (and so should end it, with `stop_ray`). A local cluster keeps its session files
    (sockets, logs) in a temporary folder of its own, which `stop_ray` removes."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    quiet = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
    try:
        if address == "local":
            cpus = workers or os.cpu_count() or 1
            folder = tempfile.mkdtemp(prefix="deepdream-ray-")
            _ray_folders.append(folder)
            ray.init(num_cpus=cpus, object_store_memory=512 * 1024**2, _temp_dir=folder, **quiet)
        else:
            ray.init(address=address, **quiet)
    except Exception as e:
        stop_ray(ray)
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SettingsError(f"Cannot start or join Ray at {address!r} ({reason}).") from None
    return True


def stop_ray(ray) -> None:
    """End this process's Ray connection and remove the session folders of the local clusters it
    started."""
    ray.shutdown()
    while _ray_folders:
        shutil.rmtree(_ray_folders.pop(), ignore_errors=True)


def check_workers(workers) -> None:
    """SettingsError unless `workers` is None (the cluster's own count) or a whole number >= 1."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SettingsError(f"--workers must be a whole number of at least 1 (got {workers!r}).")


def worker_plan(resources: Mapping, workers: int | None) -> tuple[int, dict, str | None]:
    """(actors to start, what each asks Ray for, a note or None) for a cluster with `resources`
    (`ray.cluster_resources()`): one GPU each where the cluster has GPUs, else one CPU; `workers`
    of them (default: one per GPU, else per CPU), but never more than the cluster can place, since
    the others would wait forever (the note says so)."""
    gpus = int(resources.get("GPU", 0))
    capacity = gpus or max(1, int(resources.get("CPU", 1)))
    count, note = workers or capacity, None
    if count > capacity:
        note = (
            f"--workers {count}: the cluster has room for {capacity} (one {'GPU' if gpus else 'CPU'} each); "
            f"starting {capacity}"
        )
        count = capacity
    return count, (dict(num_gpus=1, num_cpus=0) if gpus else dict(num_cpus=1)), note


class RayPool(Pool):
    """`make` (a Worker class) as actors on the Ray cluster at `address` ("local": start one on
    this machine): one GPU each where the cluster has GPUs, else one CPU, `workers` of them
    (default: as many as fit). Ray restarts an actor that dies, RETRY.attempts times (its state
    lost); the pool never resends a call itself: `run` and the callers do, by RETRY. say: told
    what is being done ("starting Ray", "2 workers (1 CPU each)")."""

    in_flight = 2  # so a worker never idles while the driver writes one answer and sends the next

    def __init__(
        self, make: type, address: str = "local", workers: int | None = None, say: Callable[[str], None] | None = None
    ):
        self.ray = ray = import_ray()
        say = say or (lambda text: None)
        say("starting Ray" if address == "local" else f"joining Ray at {address}")
        self.started_here = start_ray(address, workers)
        try:
            count, ask, note = worker_plan(ray.cluster_resources(), workers)
            if note:
                log.warning("%s", note)
            actor = ray.remote(**ask, max_restarts=RETRY.attempts, max_task_retries=0)(make)
            self.workers = [actor.remote() for _ in range(count)]
        except BaseException:
            if self.started_here:
                stop_ray(ray)
            raise
        gpus = "num_gpus" in ask
        say(f"{count} worker{'s' * (count != 1)} ({'1 GPU' if gpus else '1 CPU'} each)")
        self.where = f"Ray, {count} worker{'s' * (count != 1)}" + (", GPUs" if gpus else "")

    def call(self, worker, method: str, *args):
        return getattr(worker, method).remote(*args)

    def wait(self, handles: list):
        done, _ = self.ray.wait(handles, num_returns=1)
        return done[0]

    def share(self, value):
        return self.ray.put(value)

    def get(self, handle):
        from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

        try:
            return self.ray.get(handle)
        except (RayActorError, WorkerCrashedError):
            raise WorkerDied("out of memory? see the Ray logs") from None
        except RayTaskError as e:  # an exception in the worker: the user's error as it is, else its last line
            cause = getattr(e, "cause", None)
            if isinstance(cause, DeepDreamError):
                raise cause from None
            if cause is not None:
                text = str(cause).strip().splitlines()
                raise WorkerFailed(f"{type(cause).__name__}: {text[-1]}" if text else type(cause).__name__) from None
            lines = [line for line in str(e).strip().splitlines() if line.strip()]
            raise WorkerFailed(lines[-1].strip() if lines else type(e).__name__) from None

    def alive(self, worker) -> bool:
        """Whether the worker answers (after Ray restarted it), within two minutes."""
        try:
            self.ray.get(worker.ready.remote(), timeout=120)
            return True
        except Exception:
            return False

    def close(self) -> None:
        for worker in self.workers:
            self.ray.kill(worker)
        if self.started_here:
            stop_ray(self.ray)
