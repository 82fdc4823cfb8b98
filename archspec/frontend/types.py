"""Field types shared by the parameter models: strict, bounded, documented."""

from __future__ import annotations

import keyword
from typing import Annotated, Any

from archspec.frontend.model import AfterValidator, Field, Model, StringConstraints

# Attributes of nn.Module, nn.Sequential and nn.ModuleDict (torch 2.x), and the
# two that archspec's modules set: a layer with one of these names would
# clobber it (or fail to register), in archspec.build and in emitted source.
MODULE_ATTRIBUTES = frozenset(
    {
        "T_destination",
        "_apply",
        "_backward_hooks",
        "_backward_pre_hooks",
        "_buffers",
        "_call_impl",
        "_compiled_call_impl",
        "_forward_hooks",
        "_forward_hooks_always_called",
        "_forward_hooks_with_kwargs",
        "_forward_pre_hooks",
        "_forward_pre_hooks_with_kwargs",
        "_get_abs_string_index",
        "_get_backward_hooks",
        "_get_backward_pre_hooks",
        "_get_item_by_idx",
        "_get_name",
        "_is_full_backward_hook",
        "_load_from_state_dict",
        "_load_state_dict_post_hooks",
        "_load_state_dict_pre_hooks",
        "_maybe_warn_non_full_backward_hook",
        "_modules",
        "_named_members",
        "_non_persistent_buffers_set",
        "_parameters",
        "_register_load_state_dict_pre_hook",
        "_register_state_dict_hook",
        "_replicate_for_data_parallel",
        "_save_to_state_dict",
        "_slow_forward",
        "_state_dict_hooks",
        "_state_dict_pre_hooks",
        "_version",
        "_wrapped_call_impl",
        "add_module",
        "append",
        "apply",
        "_archspec_block",
        "_archspec_inputs",
        "_archspec_outputs",
        "_archspec_steps",
        "bfloat16",
        "buffers",
        "call_super_init",
        "children",
        "clear",
        "compile",
        "cpu",
        "cuda",
        "double",
        "dump_patches",
        "eval",
        "extend",
        "extra_repr",
        "float",
        "forward",
        "get_buffer",
        "get_extra_state",
        "get_parameter",
        "get_submodule",
        "half",
        "insert",
        "ipu",
        "items",
        "keys",
        "load_state_dict",
        "modules",
        "mtia",
        "named_buffers",
        "named_children",
        "named_modules",
        "named_parameters",
        "out_channels",
        "parameters",
        "pop",
        "register_backward_hook",
        "register_buffer",
        "register_forward_hook",
        "register_forward_pre_hook",
        "register_full_backward_hook",
        "register_full_backward_pre_hook",
        "register_load_state_dict_post_hook",
        "register_load_state_dict_pre_hook",
        "register_module",
        "register_parameter",
        "register_state_dict_post_hook",
        "register_state_dict_pre_hook",
        "requires_grad_",
        "set_extra_state",
        "set_submodule",
        "share_memory",
        "state_dict",
        "to",
        "to_empty",
        "train",
        "training",
        "type",
        "update",
        "values",
        "xpu",
        "zero_grad",
    }
)


NAME_LIMIT = 64
"""The longest name (layer, block, block parameter, spec, input symbol): no real one is longer,
and a name is echoed in messages and written into generated source."""


def _not_keyword(name: str) -> str:
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ValueError(f"{name!r} is a Python keyword")
    if name.startswith("__") and name.endswith("__"):
        raise ValueError(f"{name!r} is a dunder name")
    return name


def _not_module_attribute(name: str) -> str:
    if name in MODULE_ATTRIBUTES:
        raise ValueError(f"{name!r} is an attribute of torch's nn.Module; pick another name")
    return name


Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=NAME_LIMIT),
    AfterValidator(_not_keyword),
]
"""An ASCII Python identifier, not a keyword or a dunder: safe in emitted source."""

LayerName = Annotated[Identifier, AfterValidator(_not_module_attribute)]
"""A layer's name: an Identifier that is also free to be a module attribute."""

TENSOR_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|[0-9]+))?$"

TensorName = Annotated[
    str,
    StringConstraints(pattern=TENSOR_NAME_PATTERN, max_length=2 * NAME_LIMIT + 1),
    Field(
        description="A tensor: a layer's name, an input's, 'call.output' (an output of a block "
        "call) or 'split.0' (a part of a split)."
    ),
]
"""A tensor reference, as ``from`` and ``outputs`` take it."""

PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]

# Sizes are an int for every axis, or one int per spatial axis (1 to 3).
KernelSize = PositiveInt | Annotated[list[PositiveInt], Field(min_length=1, max_length=3)]
Padding = NonNegativeInt | Annotated[list[NonNegativeInt], Field(min_length=1, max_length=3)]


class LayerParams(Model):
    """The parameters every layer takes; each primitive's model extends it."""

    name: LayerName | None = Field(
        None, description="The module's attribute name (defaults to the layer's index)."
    )


def inferred_size(what: str) -> Any:
    """A field the compiler infers from the input (in_channels, …); a given value is checked.

    The JSON Schema marks it ``"inferred": true``, so tools can tell it apart.
    """
    return Field(
        None,
        description=f"{what}: inferred; a given value is checked.",
        json_schema_extra={"inferred": True},
    )
