"""Error codes: each a named constant, so that a typo is an error at import.

A code is a ``str`` (``E205 == "E205"``), so diagnostics compare, sort and
serialize as before; ``CODES`` is the one table, which docs/errors.md is
checked against (tests/test_docs.py).
"""

from __future__ import annotations


class ErrorCode(str):
    """A stable code (``E205``) with the one-line summary docs/errors.md gives it."""

    summary: str

    def __new__(cls, code: str, summary: str) -> ErrorCode:
        made = super().__new__(cls, code)
        made.summary = summary
        return made


E100 = ErrorCode("E100", "the file cannot be read or is not valid YAML")
E101 = ErrorCode("E101", "a key is given twice in one mapping")
E102 = ErrorCode("E102", "an explicit YAML tag (tags could name code; archspec refuses them all)")
E103 = ErrorCode("E103", "the document is not one YAML mapping")
E104 = ErrorCode("E104", "a plain YAML value that YAML 1.1 reads otherwise than it looks (012, 1:2, a date)")
E105 = ErrorCode("E105", "a mapping key is not a string (yes:, on:, 1:, ~:, a list)")
E106 = ErrorCode("E106", "a character a spec file cannot hold (control characters, bidi overrides)")
E200 = ErrorCode("E200", "a value has the wrong type or is out of range")
E201 = ErrorCode("E201", "an unknown key")
E202 = ErrorCode("E202", "a required key is missing")
E203 = ErrorCode("E203", "an unknown primitive")
E204 = ErrorCode("E204", "a layer is neither a primitive name nor a one-key mapping")
E205 = ErrorCode("E205", "a name is used twice in one scope")
E206 = ErrorCode("E206", "an expression cannot be parsed or evaluated")
E207 = ErrorCode("E207", "a block definition is wrong (a shadowed name, a cycle, a bad parameter)")
E208 = ErrorCode("E208", "an import cannot be resolved (missing, outside its root, unknown library, a cycle)")
E209 = ErrorCode("E209", "compile -o cannot write this spec as Python (a name clash, an unsupported layout)")
E210 = ErrorCode("E210", "a tensor reference is wrong (unknown, later, or a bad from, inputs or outputs)")
E211 = ErrorCode("E211", "a layer's output is never used")
E212 = ErrorCode("E212", "an init rule cannot be read (a function, argument, tensor name or pattern)")
E213 = ErrorCode(
    "E213",
    "an init rule does not fit the network (it matches no layer with weights, names a tensor they "
    "lack, or gives a tensor a function its shape cannot take)",
)
E300 = ErrorCode("E300", "a shape does not fit the layer")
E301 = ErrorCode("E301", "a dimension falls below 1")
E302 = ErrorCode(
    "E302",
    "a given input (in_channels, in_features, num_features) disagrees with the inferred one",
)
E303 = ErrorCode("E303", "a layer needs a concrete size where the input is symbolic")
E304 = ErrorCode("E304", "no size of an input symbol makes the network valid")
E305 = ErrorCode("E305", "the input has the wrong number of dims for the layer")
E306 = ErrorCode("E306", "the branches of a join give sizes that no input size makes equal")
E307 = ErrorCode("E307", "attention's num_heads does not divide its embedding dim")
E308 = ErrorCode("E308", "a position embedding's length is not the number of tokens the input makes")
E309 = ErrorCode("E309", "an index or slice reaches past the size of its dim")
E310 = ErrorCode("E310", "a learned token or embedding does not fit the tokens it joins")
E311 = ErrorCode("E311", "the input is not of the size a layer expects (expect_size)")
E312 = ErrorCode("E312", "a layer reads a tensor of the wrong dtype (embedding needs token ids, int64)")
E400 = ErrorCode("E400", "the file is larger than the byte budget (Limits.max_bytes)")
E401 = ErrorCode("E401", "the document expands past the node budget, as alias bombs do (Limits.max_nodes)")
E402 = ErrorCode("E402", "lists and mappings nest deeper than the depth budget (Limits.max_depth)")
E403 = ErrorCode("E403", "more layers after block and repeat expansion than the budget (Limits.max_layers)")
E404 = ErrorCode("E404", "more parameters than the budget (Limits.max_params)")
E405 = ErrorCode("E405", "a tensor of one sample larger than the budget (Limits.max_activation)")
E406 = ErrorCode("E406", "more symbolic dims computed than the work budget (Limits.max_symbolic_dims)")
E407 = ErrorCode(
    "E407",
    "the exact valid sizes of an input symbol are past what archspec derives (a period past 2**16, "
    "too many probes, sizes not affine in the symbol)",
)
E500 = ErrorCode(
    "E500",
    "a family's params are wrong (a reserved name, a default of the wrong type), or a parameter "
    "has no default where the family is compiled on its own",
)
E501 = ErrorCode(
    "E501", "a member's values do not fit the family (an unknown parameter, a missing value, a wrong type)"
)
E502 = ErrorCode(
    "E502", "a sweep's grid file is wrong (not lists, ranges or distributions of the family's params)"
)
E503 = ErrorCode("E503", "a sweep's --where filter cannot be read or evaluated")
E600 = ErrorCode("E600", "a checkpoint cannot be read (missing, empty, truncated or corrupt)")
E601 = ErrorCode(
    "E601", "a checkpoint's pickle needs more than tensors and plain data (it could run code): refused"
)
E602 = ErrorCode("E602", "a checkpoint is no state_dict (an entry is not a tensor, a key is not a name)")
E603 = ErrorCode("E603", "a checkpoint tensor meant for a layer has another shape than the layer's")
E604 = ErrorCode(
    "E604", "no tensor of the checkpoint fits the network (a checkpoint of another architecture)"
)
E605 = ErrorCode("E605", "--strict: a tensor of the network is new, or one of the checkpoint is dropped")
E620 = ErrorCode(
    "E620", "archspec import: MODULE:FACTORY is malformed, or names no importable module or callable"
)
E621 = ErrorCode("E621", "archspec import: the factory raised, or returned something other than an nn.Module")
E622 = ErrorCode("E622", "archspec import: torch.fx cannot trace a module's forward")
E623 = ErrorCode("E623", "archspec import: a module or call does something no archspec layer expresses")
E624 = ErrorCode("E624", "archspec import: the module does not run on the example input")
E625 = ErrorCode("E625", "archspec import: the spec it wrote does not compile (a bug of the importer)")

E700 = ErrorCode(
    "E700", "the editor's check of a document took longer than its time budget (archspec lsp --timeout)"
)
E701 = ErrorCode("E701", "the editor's checker stopped while checking a document (out of memory, or a crash)")
E702 = ErrorCode(
    "E702", "a setting of [tool.archspec] (or of the --config file) is wrong: an unknown key, a bad value"
)

CODES: dict[str, str] = {
    code: code.summary
    for code in (
        E100,
        E101,
        E102,
        E103,
        E104,
        E105,
        E106,
        E200,
        E201,
        E202,
        E203,
        E204,
        E205,
        E206,
        E207,
        E208,
        E209,
        E210,
        E211,
        E212,
        E213,
        E300,
        E301,
        E302,
        E303,
        E304,
        E305,
        E306,
        E307,
        E308,
        E309,
        E310,
        E311,
        E312,
        E400,
        E401,
        E402,
        E403,
        E404,
        E405,
        E406,
        E407,
        E500,
        E501,
        E502,
        E503,
        E600,
        E601,
        E602,
        E603,
        E604,
        E605,
        E620,
        E621,
        E622,
        E623,
        E624,
        E625,
        E700,
        E701,
        E702,
    )
}
"""Every code and its summary, in order."""
