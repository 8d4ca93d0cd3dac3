"""TensorFlow, imported once with its start-up chatter (CUDA probing, CPU features, oneDNN notes)
kept off the terminal, for the CLI and the Python API alike."""

from __future__ import annotations

import os
import sys

_done = False


def quiet_tensorflow():
    """Import TensorFlow quietly (its C++ start-up logs go to the null device); return the module,
    or None where TensorFlow is not installed."""
    global _done
    if "tensorflow" in sys.modules or _done:
        return sys.modules.get("tensorflow")
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
