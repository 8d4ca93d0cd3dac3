"""What the studio keeps of a visit: the render wrapped for the page (the previous result marked as
such while the next runs, the picture in progress labelled, an error shown once in the status line
without wiping the last result, each result added to the session's history), the Cancel button's
token, and the history gallery with "dream again on this result"."""

from __future__ import annotations

import uuid
from pathlib import Path

import gradio as gr
import numpy as np

#: How many results the history keeps (the oldest go first).
HISTORY = 24
#: The result pane's labels: the last result, the one before while a new render runs, the picture in progress.
RESULT, PREVIOUS, IN_PROGRESS = "Result", "Previous result (a new render is running)", "In progress"

CSS = """
#command textarea { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
#status { min-height: 2em; }
#status.error, #status .error { color: #b91c1c; }
.stale img, .stale textarea { opacity: 0.45; filter: grayscale(60%); transition: opacity 0.2s; }
#render-row button { min-width: 8em; }
#mode .wrap { gap: 3px; }
#mode label { padding-left: 5px; padding-right: 5px; gap: 3px; }
"""


def token() -> str:
    """A page's own token, so that its Cancel stops its own render (set when the page loads)."""
    return uuid.uuid4().hex


def page_render(render):
    """The render as the page runs it: (token, history, *page values) -> yields (result, status,
    download, command, history gallery, history)."""

    def run(key, history, *page):
        history = list(history or [])
        stale = gr.update(label=PREVIOUS, elem_classes=["stale"])
        yield stale, "Reading the settings ...", gr.skip(), gr.update(elem_classes=["stale"]), gr.skip(), gr.skip()
        last = None
        try:
            for picture, status, download, command in render(*page, token=key):
                if isinstance(picture, np.ndarray):
                    picture = gr.update(value=picture, label=IN_PROGRESS, elem_classes=[])
                last = (picture, status, download, command)
                yield picture, status, download, command, gr.skip(), gr.skip()
        except gr.Error as e:  # said once, in the status line; the last result stays
            again = gr.update(label=RESULT, elem_classes=[])
            yield again, f"**Error:** {e.message}", gr.skip(), gr.update(elem_classes=[]), gr.skip(), gr.skip()
            return
        if last is None or not isinstance(last[0], str):  # cancelled: the last result stays
            yield (
                gr.update(label=RESULT, elem_classes=[]),
                gr.skip(),
                gr.skip(),
                gr.update(elem_classes=[]),
                *[gr.skip()] * 2,
            )
            return
        path, status, download, command = last
        history = [(path, f"{Path(path).name}: {command}"), *history][:HISTORY]
        shown = gr.update(label=RESULT, elem_classes=[]), gr.update(elem_classes=[])
        yield shown[0], status, gr.skip(), shown[1], gr.skip(), gr.skip()
        yield path, status, download, command, history, history  # plain values: the API's last answer

    return run


def history_panel():
    """The history gallery (newest first; a picture's caption is its name and command), the button that
    dreams again on the chosen one, and the state holding (path, command) pairs and the choice."""
    gallery = gr.Gallery(
        label="This session's results (click one: its command, a download)",
        elem_id="history",
        columns=6,
        fit_columns=False,  # thumbnails stay small with few results
        height=210,
        allow_preview=True,
        object_fit="cover",
        buttons=["download"],
        interactive=False,
    )
    again = gr.Button("Dream again on the chosen result", elem_id="again", size="sm")
    return gallery, again, gr.State([]), gr.State(0)


def chosen(event: gr.SelectData) -> int:
    return event.index


def again(history, index):
    """The chosen result (else the latest) as the picture to dream on."""
    if not history:
        gr.Warning("Render a picture first: the history is empty.")
        return gr.skip()
    return history[index if 0 <= (index or 0) < len(history) else 0][0]
