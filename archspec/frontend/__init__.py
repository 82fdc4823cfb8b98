"""The front end: spec text to validated layer trees, with every problem located.

The bottom layer of the package: the loader (YAML with a source map and the
safety rules), the parameter types, expressions, block definitions and the
layer parser. It imports nothing else of archspec but the diagnostics and the
limits; the table of primitives is handed to it (see ``Kinds``), so that
plugins and tests can parse against another table.
"""
