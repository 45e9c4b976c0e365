"""Every type, field and argument of the schema has a description. The ones written beside
the code win; the rest come from schema/descriptions_text.py (by name) and from the naming
conventions (`XInput` is the input of mutation `x`, `XResult` what it returns, `XEdge` an item
of a page). `missing()` lists what is still undescribed (a test requires it to be empty)."""

from __future__ import annotations

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)

from schema.descriptions_text import ARGUMENTS, FIELDS, TYPES

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _type_text(t: GraphQLNamedType, mutations: set[str]) -> str | None:
    name = t.name
    if name in TYPES:
        return TYPES[name]
    if name.endswith("Input") and _lower_first(name[:-5]) in mutations:
        return f"The input of `{_lower_first(name[:-5])}`."
    if name.endswith("Input"):
        return f"Input: {name[:-5]}."
    if isinstance(t, GraphQLUnionType) and name.endswith("Result"):
        ok = [m.name for m in t.types if m.name.endswith("Ok")]
        errors = [m.name for m in t.types if not m.name.endswith("Ok")]
        return (f"What `{_lower_first(name[:-6])}` returns: {' or '.join(ok)} when carried "
                f"out, else the expected error that refused it ({', '.join(errors)}).")
    if name.endswith("Edge"):
        return f"One {name[:-4]} of a cursor page, with the cursor to continue after it."
    if name.endswith("Ok"):
        return "The command was carried out; what it wrote."
    return None


def _fields(t: GraphQLNamedType) -> dict[str, object]:
    if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        return dict(t.fields)
    return {}


def fill(schema: GraphQLSchema) -> None:
    mutation = schema.mutation_type
    mutations = set(mutation.fields) if mutation else set()
    for name, t in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not t.description:
            t.description = _type_text(t, mutations)
        for field_name, field in _fields(t).items():
            if not field.description:  # type: ignore[attr-defined]
                field.description = (FIELDS.get(f"{name}.{field_name}")  # type: ignore[attr-defined]
                                     or FIELDS.get(field_name))
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    arg.description = ARGUMENTS.get(arg_name)


def missing(schema: GraphQLSchema) -> list[str]:
    found = []
    for name, t in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not t.description:
            found.append(name)
        for field_name, field in _fields(t).items():
            if not field.description:  # type: ignore[attr-defined]
                found.append(f"{name}.{field_name}")
            found += [f"{name}.{field_name}({a})" for a, arg in
                      getattr(field, "args", {}).items() if not arg.description]
    return found
