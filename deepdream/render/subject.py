"""Where the picture's subject is, as the network sees it: the map `--keep-subject` dreams less on.

The map is the class activation map (Zhou et al., CVPR 2016) of the network's own answer for the
picture: the head's features weighted by the classifier's weights for its five most likely classes
(each by its probability). Global average pooling followed by one dense layer makes that map exact:
the classes' logits are its mean. It marks what the network recognises (the cat's face, the cup,
the motorcycle), is smooth (one value per 32 pixels, then blurred) and costs one forward pass at the
network's own resolution, whatever the picture's size.
"""

from __future__ import annotations

import numpy as np

#: The classes whose evidence makes the subject: the network's first five answers.
TOP_CLASSES = 5
#: The map is soft-thresholded: below LOW of its peak nothing is kept, above LOW + WIDTH all of it,
#: so the subject's whole area (not only its most telling part) is kept.
LOW, WIDTH = 0.1, 0.3
#: The shorter side the picture is seen at: EfficientNet-Lite2's training resolution.
SIDE = 260


def check_subject(backbone: str) -> None:
    """A SettingsError unless backbone `backbone` has an ImageNet classifier (the map needs its
    weights), said before the network loads."""
    from ..backbones import check_classifier

    check_classifier(backbone, "--keep-subject finds the subject with the network's classifier")


def subject_map(net, rgb: np.ndarray) -> np.ndarray:
    """float32 [H, W] in [0, 1]: 1 on the subject of `rgb` (float RGB [0, 255]), 0 away from it."""
    from PIL import Image
    from scipy.ndimage import gaussian_filter

    from ..images import resize_array

    check_subject(net.name)
    h, w = rgb.shape[:2]
    scale = SIDE / min(h, w)
    small = resize_array(rgb, (max(32, round(h * scale)), max(32, round(w * scale))), Image.BICUBIC)
    head, logits = net.feature_model(["head", "logits"])(net.preprocess(small)[None])
    head = np.asarray(head, np.float64)[0]
    logits = np.asarray(logits, np.float64).reshape(-1)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    top = np.argsort(p)[::-1][:TOP_CLASSES]
    import tensorflow as tf

    # the classifier's columns of those classes only (a copy of the whole kernel would be 1000)
    kernel = np.asarray(tf.gather(net.model.get_layer("logits").kernel, top, axis=1), np.float64)
    cam = np.maximum(head @ (kernel @ p[top]), 0.0)
    if cam.max() <= 0:
        return np.zeros((h, w), np.float32)
    full = resize_array((cam / cam.max()).astype(np.float32), (h, w), Image.BICUBIC)
    full = gaussian_filter(full, max(h, w) / 20.0)
    full /= max(float(np.percentile(full, 99)), 1e-6)
    return np.clip((full - LOW) / WIDTH, 0.0, 1.0).astype(np.float32)


def keep_subject(net, rgb: np.ndarray, keep: float, mask: np.ndarray | None) -> np.ndarray:
    """The dream's mask with the subject kept: `mask` (or everywhere) times 1 - keep x the map."""
    weight = 1.0 - float(keep) * subject_map(net, rgb)
    return weight if mask is None else (mask * weight).astype(np.float32)
