"""The language server (``archspec lsp``): archspec in the editor, as the user types.

analysis.py checks a document as ``archspec validate`` does and keeps plain
facts; worker.py runs the checks in a child process within a time budget;
answers.py and completion.py turn facts into protocol values; server.py wires
them to pygls. See docs/editors.md.
"""
