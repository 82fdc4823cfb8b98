"""Weights: load a checkpoint into a changed architecture, and diff two architectures.

- :mod:`~archspec.weights.checkpoint`: read a checkpoint without running code from it
  (``torch.load(weights_only=True)`` or safetensors), write one whole or not at all;
- :mod:`~archspec.weights.match`: pair the network's layers with the checkpoint's, by
  name and by structure (pure Python);
- :mod:`~archspec.weights.transfer`: copy what fits and report on every tensor;
- :mod:`~archspec.weights.diff`: what changed between two specs, or a spec and a checkpoint;
- :mod:`~archspec.weights.reportformat`, :mod:`~archspec.weights.diffformat`: the two
  reports as text, JSON or Markdown;
- :mod:`~archspec.weights.commands`: the `archspec weights` and `archspec diff` commands.

On the top floor of the package line, beside the API and the CLI, which call it; it
imports nothing from either (docs/weights.md).
"""

REPORT_FORMATS = ("text", "json", "markdown")
"""The forms of the transfer and diff reports, named here (not in
:mod:`~archspec.weights.reportformat`, which imports the report and the renderer) so that
the command line offers them without importing either before a command runs."""
MATCH_MODES: tuple[str, ...] = ("auto", "name", "structure")
"""How layers are paired (:mod:`~archspec.weights.match`'s ``MatchMode``), named here for the
same reason: the command line's choices, without importing the matcher in every process."""
