"""TensorFlow, imported once with its start-up chatter (CUDA probing, CPU features, oneDNN notes)
kept off the terminal, for the CLI and the Python API alike."""

from __future__ import annotations

import os
import sys
import threading

_done = False
#: One import at a time: two threads importing TensorFlow's modules at once can meet in Python's
#: import locks, which then hand one of them a half-initialised module.
_lock = threading.Lock()


def quiet_tensorflow():
    """Import TensorFlow quietly (its C++ start-up logs go to the null device); return the module,
    or None where TensorFlow is not installed. Safe from several threads: the first imports, the
    others wait until the import is whole."""
    with _lock:
        return _import_quietly()


def _import_quietly():
    global _done
    if _done or "tensorflow" in sys.modules:
        try:
            import tensorflow  # whole by now, or being finished by the thread that started it
        except ImportError:
            return None
        return tensorflow
    _done = True
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence
        saved = None
    try:
        if saved is not None:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
        try:
            import tensorflow
        except ImportError:
            return None
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass
    return tensorflow
