"""Shapes: dims that are ints or symbolic expressions, the window formula, TensorShape."""

from archspec.shapes.dims import Dim, N, dims_equal, floordiv, is_concrete, product
from archspec.shapes.tensor import TensorShape
from archspec.shapes.window import Window, window_output

__all__ = [
    "Dim",
    "N",
    "TensorShape",
    "Window",
    "dims_equal",
    "floordiv",
    "is_concrete",
    "product",
    "window_output",
]
