"""Regions painted in the studio: each layer of the region editor (a brush over the picture) is the
mask of one objective, written beside it ("block2b_expand", "class golden retriever"). The masks
become uploads named region1.png, region2.png, ... and the objectives `WHAT@regionN.png`, exactly as
`deepdream dream -l "block2b_expand@region1.png"` takes them from files, so the page's command line
makes the same picture from the saved masks."""

from __future__ import annotations

import io

import numpy as np

from ..errors import SettingsError

#: Regions the editor offers (one editor layer, and one objective box, each).
REGIONS = 3


def mask_name(index: int) -> str:
    return f"region{index + 1}.png"


def painted(editor, index: int) -> np.ndarray | None:
    """Layer `index` of the editor's value as a greyscale mask (uint8: where it is painted, its
    opacity), or None where the layer is missing or blank."""
    layers = (editor or {}).get("layers") or [] if isinstance(editor, dict) else []
    if index >= len(layers) or layers[index] is None:
        return None
    layer = np.asarray(layers[index])
    if layer.ndim == 3 and layer.shape[2] == 4:
        alpha = layer[..., 3]
    else:  # no alpha: painted where it is not black
        alpha = layer.max(axis=2) if layer.ndim == 3 else layer
    alpha = np.asarray(alpha, np.uint8)
    return alpha if alpha.any() else None


def objective(text: str, name: str) -> tuple[str, str]:
    """(setting, value) of a region's objective text: ("target_class", "NAME@MASK") for "class NAME"
    (or "class: NAME"), else ("layers", "LAYER@MASK")."""
    text = text.strip()
    if text.lower().startswith("class"):
        wanted = text[5:].lstrip(" :").strip()
        if not wanted:
            raise SettingsError(f'Name the class of {name}: write e.g. "class golden retriever".')
        return "target_class", f"{wanted}@{name}"
    return "layers", f"{text}@{name}"


#: The mask of the rest of the picture (where no region is painted), beside the regions' own.
REST = "rest.png"


def _png(mask: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(mask, "L").save(buffer, format="PNG")
    return buffer.getvalue()


def region_values(values: dict, read, rest=()) -> tuple[dict, dict]:
    """(settings changes, uploads by mask name) of the regions painted on the page: for each region
    with an objective written and a layer painted, its mask read as an upload (`read(png_bytes,
    name)`) and its objective added to the layers (or set as the class). The rest of the picture
    (where no region is painted) dreams with the layers `rest` in a mask of its own (`REST`). A
    region with one and not the other is a SettingsError saying which."""
    layers, target, uploads, union = [], None, {}, None
    for index in range(REGIONS):
        text = (values.get(f"region_{index + 1}") or "").strip()
        mask = painted(values.get("regions"), index)
        name = mask_name(index)
        if not text and mask is None:
            continue
        if not text:
            raise SettingsError(
                f"Layer {index + 1} of the region editor is painted; write what dreams there in "
                f'region {index + 1}\'s box (a layer, or "class NAME").'
            )
        if mask is None:
            raise SettingsError(
                f"Region {index + 1} names {text!r}; paint where it acts on layer {index + 1} of the region editor."
            )
        field, value = objective(text, name)
        if field == "target_class":
            if target is not None:
                raise SettingsError("One class at a time: give a class to one region only.")
            target = value
        else:
            layers.append(value)
        uploads[name] = read(_png(mask), name)
        union = mask if union is None or union.shape != mask.shape else np.maximum(union, mask)
    if union is not None and rest and (union < 255).any():
        uploads[REST] = read(_png(255 - union), REST)
        layers = [f"{layer}@{REST}" for layer in rest] + layers
    changes: dict = {}
    if layers:
        changes["layers"] = tuple(layers)
    if target is not None:
        changes["target_class"] = target
    return changes, uploads


def editor(picture):
    """The region editor on the page (under the picture, for dreams): the picture as background, one
    brush layer per region, and beside it each region's objective. Returns (its accordion, the
    editor, the objective boxes); a new picture becomes the editor's background."""
    import gradio as gr

    with gr.Accordion(
        "Regions: paint where each objective acts (optional)", open=False, elem_id="regions-panel"
    ) as panel:
        gr.Markdown(
            "Pick **region N** in the editor's layer menu (the stacked-squares icon), paint with the "
            "**brush** (the pencil; the eraser removes) where region N's objective dreams, and write "
            "that objective in region N's box: a layer (`block2b_expand`) or `class golden retriever`. "
            "**Outside the painted regions** the picture dreams as it would without them: with the "
            "Layers chosen above (empty: the preset's or the network's own), in a mask of its own "
            "(`rest.png`, under Download with the regions' masks)."
        )
        painter = gr.ImageEditor(
            type="numpy",
            image_mode="RGBA",
            sources=["upload", "clipboard"],
            transforms=(),
            layers=gr.LayerOptions(allow_additional_layers=False, layers=[f"region {i + 1}" for i in range(REGIONS)]),
            brush=gr.Brush(colors=["#ffffff"], color_mode="fixed", default_size=24),
            label="Regions: choose region N in the layer menu, paint with the brush",
            elem_id="regions",
            height=320,
        )
        with gr.Row():
            boxes = [
                gr.Textbox(
                    "",
                    label=f"Region {i + 1} dreams",
                    placeholder="block2b_expand, or class lemon",
                    elem_id=f"region-{i + 1}",
                )
                for i in range(REGIONS)
            ]
    picture.change(
        lambda path: {"background": path, "layers": [], "composite": path} if path else None, picture, painter
    )
    return panel, painter, boxes
