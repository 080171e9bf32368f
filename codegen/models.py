"""attrs models from the schema: reply models (open enums, shared shapes) and request bodies."""

from __future__ import annotations

import json
import keyword
import textwrap
from dataclasses import dataclass, field
from typing import Any

from . import config
from .spec import Operation, camel

# Keys that say nothing of a value's shape.
_NOISE = {"description", "example", "examples", "title", "default", "deprecated"}


def strip(schema: Any, *, names: bool = False) -> Any:
    """`schema` without documentation (for shape keys and the literals of generated code).

    `names`: `schema` maps property names to schemas (every key stays).
    """
    if isinstance(schema, dict):
        return {
            k: strip(v, names=k == "properties" and not names)
            for k, v in schema.items()
            if names or (k not in _NOISE and not k.startswith("x-"))
        }
    if isinstance(schema, list):
        return [strip(v) for v in schema]
    return schema


def shape(schema: Any) -> str:
    return json.dumps(strip(schema), sort_keys=True)


def singular(name: str) -> str:
    """The last word of a CamelCase or snake_case name in the singular."""
    for plural, one in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("statuses", "status")):
        if name.endswith(plural):
            return name[: -len(plural)] + one
        if name.endswith(plural.capitalize()):
            return name[: -len(plural)] + one.capitalize()
    if name.endswith("s") and not name.endswith(("ss", "us")):
        return name[:-1]
    return name


def merged(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema with its oneOf/anyOf variants folded in: every property of any
    variant, required where every variant requires it."""
    variants = schema.get("oneOf") or schema.get("anyOf")
    if not variants or not all(v.get("type") == "object" for v in variants):
        return schema
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    required = set(variants[0].get("required", ()))
    for variant in variants:
        required &= set(variant.get("required", ()))
        for name, prop in variant.get("properties", {}).items():
            if name not in properties:
                properties[name] = prop
            elif shape(properties[name]) != shape(prop):
                properties[name] = {}  # the variants disagree: any value
    out = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf", "discriminator")}
    out.update(type="object", properties=properties, required=sorted(required))
    return out


def docstring(text: str | None, fallback: str, indent: str = "    ") -> str:
    """A docstring from a schema description's first paragraph (wrapped), else `fallback`."""
    first = (text or "").strip().split("\n\n")[0].replace("\n", " ").replace("``", "`")
    first = " ".join(first.replace('"""', "'''").replace("\\", "/").split()) or fallback
    if not first.endswith("."):
        first += "."
    lines = textwrap.wrap(first, width=92 - len(indent))
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""'
    body = f"\n{indent}".join(lines)
    return f'{indent}"""{body}\n{indent}"""'


@dataclass
class Field:
    name: str
    annotation: str
    default: str | None  # source text of the default, None when required


@dataclass
class Model:
    name: str
    origin: str
    doc: str
    fields: list[Field] = field(default_factory=list)
    deps: set[str] = field(default_factory=set)  # models and enum tokens referred to
    areas: set[str] = field(default_factory=set)
    request: bool = False
    module: str = ""


@dataclass
class Enum:
    token: str
    prop: str
    values: tuple[str, ...]
    owners: list[str] = field(default_factory=list)
    name: str = ""
    module: str = ""


@dataclass
class Reused:
    module: str  # under heygen_async.models
    name: str


class Models:
    """Every model the generated code needs, named, deduplicated by shape, placed in modules."""

    def __init__(self) -> None:
        self.models: dict[str, Model] = {}
        self.by_shape: dict[str, str] = {}
        self.reused: dict[str, Reused] = {}  # shape -> the hand-written model
        self.enums: dict[tuple[str, tuple[str, ...]], Enum] = {}

    # -- replies -------------------------------------------------------------------------

    def reuse(self, schema: dict[str, Any], module: str, name: str) -> None:
        self.reused[shape(schema)] = Reused(module, name)

    def reply(self, schema: dict[str, Any], origin: str, name: str, area: str) -> str:
        """The annotation of a reply object (a model's name); creates the model if new."""
        schema = merged(schema)
        key = shape(schema)
        if key in self.reused:
            reused = self.reused[key]
            return f"{reused.name}"
        if key in self.by_shape:
            model = self.models[self.by_shape[key]]
            model.areas.add(area)
            return model.name
        name = config.MODEL_NAMES.get(origin, name)
        if name in self.models:
            raise SystemExit(
                f"model name {name!r} of {origin} is also {self.models[name].origin}'s, "
                "a different shape: name one in codegen/config.py MODEL_NAMES"
            )
        model = Model(name, origin, docstring(schema.get("description"), f"`{origin}`."))
        model.areas.add(area)
        self.models[name] = model
        self.by_shape[key] = name
        required = set(schema.get("required", ()))
        fields = []
        for prop, sub in schema.get("properties", {}).items():
            _check_name(prop, origin)
            hint = name + camel(prop)
            annotation = self._annotation(sub, f"{origin}.{prop}", hint, area, prop, model)
            nullable = bool(sub.get("nullable"))
            if annotation.startswith("tuple["):
                default = None if prop in required else "()"
            elif prop in required:
                default = None
                if nullable and annotation != "Any":
                    annotation += " | None"
            else:
                default = "None"
                if annotation != "Any":
                    annotation += " | None"
            fields.append(Field(prop, annotation, default))
        # Required fields first (documentation order within each), as a reader expects.
        model.fields = [f for f in fields if f.default is None] + [
            f for f in fields if f.default is not None
        ]
        return name

    def _annotation(
        self, schema: dict[str, Any], origin: str, hint: str, area: str, prop: str, owner: Model
    ) -> str:
        schema = merged(schema)
        kind = schema.get("type")
        if kind == "string" and "enum" in schema:
            token = self._enum(prop, tuple(schema["enum"]), owner.name)
            owner.deps.add(token)
            return f"{token} | str"
        if prop.endswith("_at") and kind in ("integer", "number", "string"):
            return "datetime"
        scalar = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
        if kind in scalar:
            return scalar[kind]
        if kind == "array":
            items = schema.get("items") or {}
            inner = self._annotation(
                items, f"{origin}[]", singular(hint), area, singular(prop), owner
            )
            return f"tuple[{inner}, ...]"
        if kind == "object" or "properties" in schema:
            if not schema.get("properties"):
                return "dict[str, Any]"
            name = self.reply(schema, origin, hint, area)
            owner.deps.add(name)
            return name
        return "Any"

    def _enum(self, prop: str, values: tuple[str, ...], owner: str) -> str:
        key = (prop, values)
        found = self.enums.get(key)
        if found is None:
            found = self.enums[key] = Enum(f"@enum{len(self.enums)}@", prop, values)
        if owner not in found.owners:
            found.owners.append(owner)
        return found.token

    # -- requests ------------------------------------------------------------------------

    def request(self, op: Operation, area: str) -> Model:
        """The request model of a JSON body: one field per property, named as in the API."""
        assert op.body is not None
        schema = merged(op.body)
        name = f"{op.var}Request"
        model = Model(name, op.var, f'    """The JSON body of {op.method} {op.path}."""')
        model.request = True
        model.areas.add(area)
        if name in self.models:
            raise SystemExit(f"request model {name!r} collides with a reply model")
        self.models[name] = model
        required = set(schema.get("required", ()))
        for prop, sub in schema.get("properties", {}).items():
            _check_name(prop, op.var)
            annotation = request_annotation(sub)
            if prop in required:
                model.fields.append(Field(prop, annotation, None))
            else:
                model.fields.append(Field(prop, f"{annotation} | None", "None"))
        model.fields = [f for f in model.fields if f.default is None] + [
            f for f in model.fields if f.default is not None
        ]
        return model

    # -- placing -------------------------------------------------------------------------

    def place(self) -> None:
        """Name the enums and put every model and enum in a module: its area's, or
        `_gen_common` when more than one area uses it."""
        changed = True
        while changed:
            changed = False
            for model in self.models.values():
                for dep in model.deps:
                    if dep in self.models and not model.areas <= self.models[dep].areas:
                        self.models[dep].areas |= model.areas
                        changed = True
        for model in self.models.values():
            area = next(iter(model.areas)) if len(model.areas) == 1 else "common"
            model.module = f"_gen_{area}"
        keys_per_prop: dict[str, int] = {}
        for prop, _ in self.enums:
            keys_per_prop[prop] = keys_per_prop.get(prop, 0) + 1
        taken = set(self.models)
        for enum in self.enums.values():
            shared = len(enum.owners) > 1 and keys_per_prop[enum.prop] == 1
            default = camel(enum.prop) if shared else enum.owners[0] + camel(enum.prop)
            enum.name = config.ENUM_NAMES.get(default, default)
            if enum.name in taken:
                raise SystemExit(f"enum name {enum.name!r} is taken: see config.ENUM_NAMES")
            taken.add(enum.name)
            areas = set().union(*(self.models[o].areas for o in enum.owners))
            enum.module = f"_gen_{next(iter(areas))}" if len(areas) == 1 else "_gen_common"

    def resolve(self, text: str) -> str:
        """`text` with enum tokens replaced by the enums' names."""
        for enum in self.enums.values():
            text = text.replace(enum.token, enum.name)
        return text

    def where(self, name: str) -> str:
        """The module (under heygen_async.models) that defines model or enum `name`."""
        if name == "FileInput":
            return "files"
        if name in LITERALS:
            return LITERALS[name][0]
        if name in self.models:
            return self.models[name].module
        for enum in self.enums.values():
            if enum.name == name or enum.token == name:
                return enum.module
        for reused in self.reused.values():
            if reused.name == name:
                return reused.module
        raise KeyError(name)


# Long request enums named once (config.LITERAL_ALIASES), so signatures stay readable:
# alias name -> (its module under heygen_async.models, the values).
LITERALS: dict[str, tuple[str, tuple[str, ...]]] = {}


def request_annotation(schema: dict[str, Any]) -> str:
    """What a caller passes for a body field: closed enums as Literal, nested objects as
    mappings (the schema checks their content)."""
    kind = schema.get("type")
    if kind == "string" and "enum" in schema:
        values = tuple(schema["enum"])
        alias = config.LITERAL_ALIASES.get(values[0])
        if alias is not None:
            name, module = alias
            LITERALS[name] = (module, values)
            return name
        return "Literal[" + ", ".join(json.dumps(v) for v in values) + "]"
    if _is_asset_input(schema):
        # An asset given as the API's JSON, or as the SDK's AssetUrl / AssetId / AssetBase64.
        return "FileInput | Mapping[str, Any]"
    scalar = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
    if kind in scalar:
        return scalar[kind]
    if kind == "array":
        return f"Sequence[{request_annotation(schema.get('items') or {})}]"
    if kind == "object" or "properties" in schema or "oneOf" in schema:
        return "Mapping[str, Any]"
    return "Any"


def _is_asset_input(schema: dict[str, Any]) -> bool:
    """A oneOf of HeyGen's asset inputs (url / asset_id / base64, by `type`)."""
    mapping = set(schema.get("discriminator", {}).get("mapping", {}))
    return bool(mapping) and mapping <= {"url", "asset_id", "base64"}


def _check_name(name: str, origin: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise SystemExit(f"{origin}: field {name!r} is not a Python name")
