"""What a query would cost, measured on its document before any validation or execution.

One pass over the document computes depth, aliases and cost together. Each fragment definition
is measured once and remembered, so a spread costs a dictionary look-up: a document of fragments
that spread the next one twice (`fragment F0 on Query { ...F1 ...F1 }` ...) is measured in time
proportional to its length, while its figures grow as its execution would, and it is refused.
The tools we replaced (strawberry's depth and alias limiters) walked every spread again, which
took minutes for a 1.4 KB request.

The cost model, documented in the README:
- every selected field costs 1;
- a field with a `first` argument multiplies the cost of what it selects by its page size
  (the literal or variable value, at most the largest page KEHU_MAX_PAGE_SIZE, which is also
  what it counts when not given);
- introspection fields (names starting with `__`) cost 1 and multiply nothing: the schema is
  small and fixed, and GraphiQL must be able to load it;
- fragments on different types in one selection (a union's members) cost what the costliest
  of them costs, since an object is of one type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

# Fields and fragment spreads open at once, at most: far beyond any real query's depth, and far
# below Python's recursion limit, so a chain of 1,000 fragments is refused, not a crash.
MAX_NESTING = 100

# Figures stop growing here: enough to compare with any budget, small enough to stay cheap.
CEILING = 10**12


def _add(a: int, b: int) -> int:
    return min(CEILING, a + b)


@dataclass(frozen=True)
class Figures:
    depth: int = 0
    aliases: int = 0
    cost: int = 0
    # The most times one response name is selected in one selection set. Standard validation
    # compares every pair of same-named fields, so 800 repeats of one field took 5 s of CPU.
    repeats: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(max(self.depth, other.depth), _add(self.aliases, other.aliases),
                       _add(self.cost, other.cost), max(self.repeats, other.repeats))


@dataclass(frozen=True)
class Budget:
    max_depth: int
    max_aliases: int
    max_cost: int
    max_repeats: int = 20
    introspection_depth: int = 15


class OverBudget(Exception):
    """Raised mid-walk, so a document far over the budget is not measured to its end."""

    def __init__(self, message: str, figures: Figures, limit: int):
        super().__init__(message)
        self.message = message
        self.figures = figures
        self.limit = limit


# The figures of a selection set and how often each response name appears at its top level.
Level = tuple[Figures, dict[str, int]]


class Measure:
    """The figures of one document, given its variables and the largest page size."""

    def __init__(self, document: DocumentNode, variables: Mapping[str, Any] | None,
                 default_page: int, budget: Budget):
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.variables = variables or {}
        self.default_page = default_page
        self.budget = budget
        self._memo: dict[str, Level] = {}
        self._open: list[str] = []  # a cycle is refused by validation; here it counts 0
        self._nesting = 0

    def fragment(self, name: str) -> Level:
        known = self._memo.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self._open:
            return Figures(), {}
        self._open.append(name)
        self.enter()
        level = self.selections(definition.selection_set)
        self._nesting -= 1
        self._open.pop()
        self._memo[name] = level
        return level

    def selections(self, selection_set: SelectionSetNode | None) -> Level:
        total, names = Figures(), dict[str, int]()
        alternatives: dict[str, Figures] = {}  # type condition -> its fragments' figures
        if selection_set is None:
            return total, names
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                key = (node.alias or node.name).value
                names[key] = _add(names.get(key, 0), 1)
                total = total + self.field(node)
                continue
            if isinstance(node, FragmentSpreadNode):
                figures, inner = self.fragment(node.name.value)
                definition = self.fragments.get(node.name.value)
                condition = definition.type_condition if definition is not None else None
            elif isinstance(node, InlineFragmentNode):
                figures, inner = self.selections(node.selection_set)
                condition = node.type_condition
            else:  # pragma: no cover - no other kind of selection exists
                continue
            if condition is None:
                total = total + figures
            else:
                name = condition.name.value
                alternatives[name] = alternatives.get(name, Figures()) + figures
            for key, count in inner.items():
                names[key] = _add(names.get(key, 0), count)
        total = total + _one_of(alternatives)
        repeats = max(names.values(), default=0)
        total = Figures(total.depth, total.aliases, total.cost, max(total.repeats, repeats))
        self.check(total)
        return total, names

    def enter(self) -> None:
        self._nesting += 1
        if self._nesting > MAX_NESTING:
            raise OverBudget(f"the query nests fields and fragments more than {MAX_NESTING}"
                             " deep", Figures(depth=self._nesting), MAX_NESTING)

    def field(self, node: FieldNode) -> Figures:
        self.enter()
        inner, _ = self.selections(node.selection_set)
        self._nesting -= 1
        own_alias = 1 if node.alias is not None else 0
        page = 1 if node.name.value.startswith("__") else self.page_size(node)
        # Aliases count as written (fragments expanded), not once per row of a page.
        return Figures(1 + inner.depth, _add(own_alias, inner.aliases),
                       _add(1, page * inner.cost), inner.repeats)

    def check(self, figures: Figures) -> None:
        budget = self.budget
        if figures.aliases > budget.max_aliases:
            raise OverBudget(f"the query has {figures.aliases} aliases; at most "
                             f"{budget.max_aliases} are allowed", figures, budget.max_aliases)
        if figures.cost > budget.max_cost:
            raise OverBudget(f"the query would cost {figures.cost}; the budget is "
                             f"{budget.max_cost} (each field is 1, times the page size `first`"
                             " of the lists around it)", figures, budget.max_cost)
        if figures.repeats > budget.max_repeats:
            raise OverBudget(f"one field is selected {figures.repeats} times in one place; at "
                             f"most {budget.max_repeats} are allowed", figures,
                             budget.max_repeats)

    def page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return _bounded(value.value, self.default_page)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return max(0, min(given, self.default_page))
            return self.default_page
        return 1


def _one_of(alternatives: dict[str, Figures]) -> Figures:
    """Fragments on different types in one selection: an object is of one type, so at most one
    group applies to it (`data { ... on MealSettled {..} ... on MealRequested {..} }`) and
    the costliest group is what a row can cost. An interface's fragment can apply beside an
    object type's: such overlaps are few in this schema (MutationOk), so the estimate stays
    within a small factor. Aliases, depth and repeats count every group, as written."""
    combined = Figures()
    for figures in alternatives.values():
        combined = combined + figures
    costliest = max((figures.cost for figures in alternatives.values()), default=0)
    return Figures(combined.depth, combined.aliases, costliest, combined.repeats)


def _bounded(text: str, largest: int) -> int:
    # A page beyond the largest is refused by its resolver with a typed error naming `first`
    # before anything is read, so here it counts as the largest page.
    if len(text) > 12:
        return largest
    return max(0, min(int(text), largest))


def refusal(document: DocumentNode, variables: Mapping[str, Any] | None, default_page: int,
            budget: Budget) -> OverBudget | None:
    """Why this document is refused under the budget, or None. Every operation and every
    fragment (used or not: validation reads them all) is measured, each fragment once."""
    measure = Measure(document, variables, default_page, budget)
    try:
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                measure.fragment(definition.name.value)
            elif isinstance(definition, OperationDefinitionNode):
                figures, _ = measure.selections(definition.selection_set)
                introspective = all(isinstance(f, FieldNode) and f.name.value.startswith("__")
                                    for f in definition.selection_set.selections)
                # Depth counts the levels below the root fields, as strawberry's limiter did
                # (so KEHU_MAX_DEPTH keeps its meaning); introspection counts the root field.
                depth = figures.depth if introspective else figures.depth - 1
                limit = budget.introspection_depth if introspective else budget.max_depth
                if depth > limit:
                    raise OverBudget(f"the query exceeds the maximum depth of {limit} (it is "
                                     f"{depth} deep)", figures, limit)
    except OverBudget as over:
        return over
    return None
