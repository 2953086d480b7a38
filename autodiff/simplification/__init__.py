"""Graph simplification: rewrite rules kept as data, applied until nothing changes.

`simplify(outputs)` returns a graph that evaluates to the same values (to float rounding),
with the same shapes and dtypes, and is usually much smaller and cheaper. `RULES` is the
table of identities, one row each with a one-line comment, each registered where it is
written (`registry`). Most rows are *local*: a function that looks at one node, whose inputs
are already simplified, and returns a replacement or None. A row without a function says
what carries it out (`Rule.by`): one is a case of another rule, and the others are carried
out together by a term collector: a region of float sums, differences, products, quotients
and integer powers is read as a sum of monomials over the nodes it is built from (its
atoms), like terms are merged, and the sum is written back factored (Horner's rule, largest
arrays multiplied last) when that is no more work than the region was. Einsums are fused
into n-ary einsums whose contraction order opt_einsum picks when the graph is planned
(`autodiff.compile`).

The driver visits the graph in topological order, rebuilding each node from its simplified
inputs, and repeats whole passes until the outputs no longer change. Every pass is
iterative and linear in the size of the graph.

Values are kept exactly, nan and inf included: a simplified graph and the graph it came from
give the same numbers (to float rounding) for every input. A rewrite is made only where its
identity holds for every float, or where the graph shows it does for the values at hand:

- ``x * 0 -> 0``, ``0 / y -> 0`` and einsums with a zero operand fold only with constant,
  finite partners (``nan * 0`` is nan); ``log(exp(x)) -> x`` only where exp cannot overflow.
- The term collector does its full algebra (``x - x -> 0``, expanding products of sums,
  factoring ``x*y + x*z -> x*(y + z)``) only in regions that the graph bounds (built from
  tanh, sin, cos, sigmoid and finite constants), which never hold inf; an atom that cancels
  out there is kept as ``0 * atom`` so that nan stays nan. Elsewhere it only reorders terms and
  factors, gathers powers, merges like terms of one sign and combines constants, and factors
  a sum only by a bounded atom.
- What the graph was *built* with stays as built: the factories fold a structural zero (a
  Fill of zeros: `zeros` and the zero cotangents of `grad`) with anything, so both graphs
  hold that fold; a Constant zero (``x * 0.0``) is an IEEE number everywhere. The one rewrite
  that treats a graph node as structural is the identity: ``einsum(eye, y)`` selects ``y``
  (the jacobian seed), as a jacobian should, where a plan without it gives nan at inf.
- Not yet exact: fused einsums contract in the order opt_einsum picks, and a factor can move
  out of a sum (``sum_k s * c_k -> s * sum_k c_k``); where an operand holds inf, one order
  can give +-inf and the other nan. Powers are gathered: ``(x / r) / r`` is written
  ``x / square(r)`` (one division of the larger array), which overflows to 0 for |r| > 1e154
  where the two divisions give x / r**2 (kept: dividing the large array twice costs a
  full-size pass in Hessians such as the logistic regression's).

Once the passes are done, independent einsums of one equation that share an operand (the
products ``W @ x_t`` of a loop over time steps) are batched into one einsum over the stack of
their other operands, and the readers doing the same to each of its rows into one op over all
rows (`batching`); products that depend on each other stay apart.

The modules: `driver` (the passes, `simplify`, `simplify_in_order` and `RULES`), `registry`
(`Rule` and the ``@rule(identity, *classes)`` decorator), the local rules by family
(`rules_algebra`, `rules_shape`, `rules_einsum`), the term collector with its identities
(`collector`), the batching pass (`batching`), and `base`, what they share (thresholds,
bounds, IEEE-safe factories).
"""

from .driver import RULES, paused_gc, simplify, simplify_in_order
from .registry import Rule

__all__ = ["RULES", "Rule", "paused_gc", "simplify", "simplify_in_order"]
