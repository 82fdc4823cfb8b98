"""Hypothesis strategies: random layer stacks drawn from every registered primitive.

Parameters are drawn from each primitive's and built-in block's JSON Schema
(its pydantic params model) and its layer fields, so a primitive or built-in
block added later is covered without touching this file:
ints within small ranges above their minimum, lists of the allowed lengths,
enums (``same``/``valid``), booleans, bounded floats, nulls, and nested
``layers`` for primitives that hold layers. Values are kept small so that
forward passes stay cheap; many draws are deliberately invalid (a list
``kernel_size`` of the wrong length, groups that do not divide, a window
larger than the map), which is what the agreement properties need.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

from archspec.frontend.library import prelude
from archspec.primitives.registry import LayerField, primitives

# How far above its minimum an int may go, by field name; others get DEFAULT_SPAN.
INT_SPANS = {
    "kernel_size": 4,
    "stride": 2,
    "padding": 2,
    "dilation": 2,
    "groups": 3,
    "num_convs": 2,
    "output_size": 2,
    "n": 2,
}
DEFAULT_SPAN = 5
# Fields whose schema allows far more than a small tensor has (attention heads up to 4096,
# an index up to 2**31): drawn from these ranges instead, around the sizes drawn inputs have.
INT_RANGES = {"num_heads": (1, 4), "index": (-4, 8), "start": (0, 8), "end": (1, 10)}
MAX_DEPTH = 2  # nesting of primitives that hold layers (sequential)


def _int(field: str, schema: dict[str, Any]) -> st.SearchStrategy[int]:
    if field in INT_RANGES:
        return st.integers(*INT_RANGES[field])
    low = schema.get("minimum", 0)
    return st.integers(low, schema.get("maximum", low + INT_SPANS.get(field, DEFAULT_SPAN)))


def _float(schema: dict[str, Any]) -> st.SearchStrategy[float]:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0.0))
    high = schema.get("maximum", low + 1.0)
    return st.floats(
        low, high, exclude_min="exclusiveMinimum" in schema, allow_nan=False, allow_infinity=False
    )


def value_for(field: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that a JSON Schema property allows (small ones)."""
    if "anyOf" in schema:
        options = [value_for(field, option) for option in schema["anyOf"]]
        # The first option (an int, for sizes) three times as often: per-axis lists
        # of the wrong length are rejected, and a few of those suffice.
        return st.one_of(options[0], options[0], *options)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "integer":
        return _int(field, schema)
    if kind == "number":
        return _float(schema)
    if kind == "boolean":
        return st.booleans()
    if kind == "string" and schema.get("pattern") == "^[A-Za-z_][A-Za-z0-9_]*$":
        return st.sampled_from(["layer", "block", "x_"])  # an identifier (repeat's prefix)
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(
            value_for(field, schema.get("items", {"type": "integer", "minimum": 1})),
            min_size=schema.get("minItems", 0),
            max_size=schema.get("maxItems", 3),
        )
    raise AssertionError(f"no strategy for {field}: {schema}")


def kinds() -> dict[str, tuple[Any, tuple[LayerField, ...]]]:
    """Every primitive and built-in block: its params model and its layer fields."""
    found = {name: (p.params, p.layer_fields) for name, p in primitives().items()}
    found.update({name: (block.params, ()) for name, block in prelude(primitives()).items()})
    return found


@st.composite
def layer(draw: st.DrawFn, depth: int = 0) -> Any:
    """One layer: a bare name or ``{kind: params}``, from every primitive and built-in block."""
    table = kinds()
    names = sorted(n for n, (_, fields) in table.items() if depth < MAX_DEPTH or not fields)
    name = draw(st.sampled_from(names))
    model, layer_fields = table[name]
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    params: dict[str, Any] = {}
    for field, info in schema["properties"].items():
        if field == "name":
            continue  # names are given afterwards, unique within their group
        if info.get("inferred"):
            # Usually left to inference; sometimes stated, rightly or wrongly.
            if draw(st.integers(0, 9)) == 0:
                params[field] = draw(st.integers(1, 8))
        elif field in required or draw(st.booleans()):
            params[field] = draw(value_for(field, info))
    for spec in layer_fields:
        if not spec.required and draw(st.booleans()):
            continue
        size = max(spec.min_items, 1 if spec.required else 0)
        if spec.branches:
            params[spec.name] = draw(st.lists(layer_list(depth + 1, 0, 2), min_size=size, max_size=3))
        else:
            params[spec.name] = draw(layer_list(depth + 1, size, 3))
    if "name" in required:
        params["name"] = "group"
    return {name: params} if params else name


def _name_groups(layers: list[Any], prefix: str = "g") -> list[Any]:
    """Give every layer that needs a name a unique one (g0, g0_1, …)."""
    for index, item in enumerate(layers):
        if isinstance(item, dict):
            (params,) = item.values()
            if params.get("name") == "group":
                params["name"] = f"{prefix}{index}"
            for value in params.values():
                if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
                    for branch, inner in enumerate(value):
                        _name_groups(inner, f"{prefix}{index}_{branch}_")
                elif isinstance(value, list) and value and isinstance(value[0], (dict, str)):
                    _name_groups(value, f"{prefix}{index}_")
    return layers


def layer_list(depth: int = 0, min_size: int = 1, max_size: int = 4) -> st.SearchStrategy[list[Any]]:
    return st.lists(layer(depth), min_size=min_size, max_size=max_size)


def input_dims(min_size: int = 1, max_size: int = 24) -> st.SearchStrategy[list[int]]:
    """Channels 1 to 4, then 1 to 3 spatial sizes (1-D/2-D/3-D), tiny and odd included."""
    return st.tuples(
        st.integers(1, 4),
        st.lists(st.integers(min_size, max_size), min_size=1, max_size=3),
    ).map(lambda t: [t[0], *t[1]])


@st.composite
def symbolic_dims(draw: st.DrawFn) -> list[int | str]:
    """An input with some spatial sizes left as symbols (H, W, D, L …)."""
    dims = draw(input_dims(min_size=8))
    symbols = iter(["H", "W", "D"])
    keep = draw(st.lists(st.booleans(), min_size=len(dims) - 1, max_size=len(dims) - 1))
    if not any(keep):
        keep[0] = True
    return [dims[0], *(next(symbols) if k else size for k, size in zip(keep, dims[1:], strict=True))]


@st.composite
def spec_data(draw: st.DrawFn, dims: st.SearchStrategy[list[Any]] | None = None) -> dict[str, Any]:
    """A whole spec as plain data."""
    return {
        "archspec": 1,
        "name": "drawn",
        "input": draw(dims if dims is not None else input_dims()),
        "layers": _name_groups(draw(layer_list())),
    }


def as_yaml(data: dict[str, Any]) -> str:
    """The spec as YAML a person can paste into a file and rerun."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)


@st.composite
def token_layer(draw: st.DrawFn) -> Any:
    """A layer of a transformer on tokens [L, D]: attention (of 1 to 4 heads), a layer norm
    over the features, an MLP's linear and activation, a token taken; or any drawn layer."""
    heads = draw(st.integers(1, 4))
    transformer = st.sampled_from(
        [
            {"multihead_attention": {"num_heads": heads, "bias": draw(st.booleans())}},
            {"layernorm": {"dims": 1}},
            {"linear": {"out_features": draw(st.sampled_from([4, 6, 8, 12]))}},
            "gelu",
            {"select": {"dim": draw(st.sampled_from([1, 2])), "index": draw(st.integers(-2, 3))}},
            {"select": {"start": draw(st.integers(0, 3))}},
        ]
    )
    return draw(st.one_of(transformer, transformer, transformer, layer()))


@st.composite
def token_spec_data(draw: st.DrawFn) -> dict[str, Any]:
    """A spec on tokens [L, D] (L 1 to 12; D 4, 8 or 12, divisible by several head counts),
    mostly of transformer layers."""
    return {
        "archspec": 1,
        "name": "drawn",
        "input": [draw(st.integers(1, 12)), draw(st.sampled_from([4, 8, 12]))],
        "layers": _name_groups(draw(st.lists(token_layer(), min_size=1, max_size=4))),
    }


MERGES = ("add", "mul", "concat")


@st.composite
def dataflow_spec_data(draw: st.DrawFn, dims: st.SearchStrategy[list[Any]] | None = None) -> dict[str, Any]:
    """A spec whose layers read named tensors: each a drawn layer reading any earlier
    tensor (``from``), or a merge of two or three of them; every tensor nobody reads is
    an output, so a spec returns one tensor or several."""
    names = ["input"]
    read: set[str] = set()
    layers: list[Any] = []
    for index in range(draw(st.integers(2, 6))):
        name = f"t{index}"
        if len(names) > 1 and draw(st.integers(0, 2)) == 0:
            sources = draw(st.lists(st.sampled_from(names), min_size=2, max_size=3))
            layers.append({draw(st.sampled_from(MERGES)): {"name": name, "from": sources}})
        else:
            drawn = _name_groups([draw(layer())], f"g{index}_")[0]
            kind, params = (drawn, {}) if isinstance(drawn, str) else next(iter(drawn.items()))
            if primitives().get(kind) is not None and primitives()[kind].control is not None:
                kind, params = "identity", {}  # a splice stands for layers: it reads nothing itself
            sources = [draw(st.sampled_from(names))]
            layers.append({kind: {**params, "name": name, "from": sources[0]}})
        read.update(sources)
        names.append(name)
    return {
        "archspec": 1,
        "name": "drawn",
        "input": draw(dims if dims is not None else input_dims()),
        "outputs": [n for n in names[1:] if n not in read],
        "layers": layers,
    }
