"""``archspec import``: an existing ``nn.Module`` as a spec (docs/weights.md).

``api`` makes the spec (torch.fx, one module at a time: ``trace``, ``body``, ``mapping``,
``blocks``, ``writer``); ``command`` is the CLI's subcommand. This package imports no
torch itself, so that the CLI can register the command without it. Importing runs the
user's Python; a spec never reaches it. It sits with the API and the CLI, on the top floor.
"""
