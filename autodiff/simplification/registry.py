"""The rule registry: each rewrite is registered where it is written, with its one-line identity.

A family module (`rules_algebra`, `rules_shape`, `rules_einsum`, `collector`) keeps one
`RuleTable`; ``@rule("x * 1 -> x", Multiply)`` on a function adds a row naming the function,
the node classes it looks at and the identity it carries out, in the order rows are written.
Identities carried out by another piece of code (the term collector, the batching pass,
or a case of another rule) are rows without a function that say who carries them
(`RuleTable.row`). The driver
(`driver.RULES`) lists the families' rows in a fixed order, which is the order in which the
rules of one node class are tried.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Protocol

from ..node import Node

__all__ = ["BATCHING", "COLLECTOR", "Context", "Rewrite", "Rule", "RuleTable"]

COLLECTOR = "the term collector"  # `Rule.by` of the identities the collector carries out
BATCHING = "the batching pass"  # `Rule.by` of what `batching` does once the passes are done


class Context(Protocol):
    """What a rewrite may ask of the pass that applies it."""

    def single_use(self, node: Node) -> bool:
        """Whether `node` (of the new graph) has one consumer, as far as the pass knows."""
        ...


# A rewrite looks at one node, whose inputs are already simplified, and returns a
# replacement with the same shape and dtype, or None.
Rewrite = Callable[[Node, Context], "Node | None"]


@dataclasses.dataclass(frozen=True)
class Rule:
    """One identity: the node classes it looks at, its rewrite, and what it says."""

    name: str
    ops: tuple[type, ...]
    rewrite: Rewrite | None  # None: carried out by `by`
    comment: str  # the identity, one line
    module: str = ""  # the module it is written in
    by: str | None = None  # for a row without a rewrite: the collector or the rule doing it


class RuleTable:
    """One family's rows, in the order they are written.

    >>> from autodiff.ops.elementwise import Negative
    >>> table = RuleTable("example")
    >>> @table.rule("-(-x) -> x", Negative)
    ... def double_negation(node, ctx):
    ...     return None
    >>> [(r.name, r.comment, r.ops) for r in table]
    [('double_negation', '-(-x) -> x', (<class 'autodiff.ops.elementwise.Negative'>,))]
    """

    def __init__(self, module: str):
        self.module = module
        self.rows: list[Rule] = []

    def rule(self, identity: str, *ops: type) -> Callable[[Rewrite], Rewrite]:
        """A decorator: register the function as the rule carrying out `identity` on `ops`."""

        def register(rewrite: Rewrite) -> Rewrite:
            name = rewrite.__name__
            self.rows.append(Rule(name, tuple(ops), rewrite, identity, self.module))
            return rewrite

        return register

    def row(self, name: str, identity: str, *ops: type, by: str = COLLECTOR) -> None:
        """Register an identity that `by` (the collector, or another rule) carries out."""
        self.rows.append(Rule(name, tuple(ops), None, identity, self.module, by))

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rows)
