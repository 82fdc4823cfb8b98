"""Primitives: one file per family, each registering into ``registry``."""
