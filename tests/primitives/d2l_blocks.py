"""The d2l (Dive into Deep Learning) blocks, written by hand in PyTorch as the book
does: the references for archspec's composites. They live in tests/d2l.py,
with the seed networks that the seed tests and the benchmarks share (the benchmarks import them from there)."""

from tests.d2l import Inception, Residual, nin_block, vgg_block

__all__ = ["Inception", "Residual", "nin_block", "vgg_block"]
