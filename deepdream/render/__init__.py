"""The render loop: octaves x steps x random-shift tiled gradients of an objective."""
