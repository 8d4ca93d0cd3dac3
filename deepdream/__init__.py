"""deepdream: neural-network art from the terminal and from Python.

    import deepdream
    picture = deepdream.dream("photo.jpg", layers=["block4_conv3"], octaves=4)
    picture.save("dream.png")
"""

from .api import dream, guided_dream
from .backbones import load_backbone
from .errors import DeepDreamError
from .style import stylize, synthesize_texture

__version__ = "0.1.0"
__all__ = ["stylize", "synthesize_texture", "dream", "guided_dream", "load_backbone", "DeepDreamError", "__version__"]
