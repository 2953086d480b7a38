"""What each mechanism buys: ``python benchmarks/run.py --ablation``.

Every autodiff workload is planned again with one mechanism switched off, and its time per
call is compared with the full plan in the same interleaved rounds (median of per-round
ratios; above 1 means the mechanism helps). The switches reach into the modules' internals
here, for measuring only; the library has no such options besides ``function(simplify=...)``.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time

import numpy as np

import autodiff as ad
import workloads
from autodiff.ops.einsum import Einsum
from autodiff.ops.elementwise import Elementwise

compile_module = sys.modules["autodiff.compile"]
simplify_module = sys.modules["autodiff.simplification.driver"]
batching_module = sys.modules["autodiff.simplification.batching"]
einsum_plan_module = sys.modules["autodiff.ops.einsum_plan"]
collector_module = sys.modules["autodiff.simplification.collector"]
fusion_module = sys.modules["autodiff.fusion"]


class Interpreted:
    """The plan before code generation: a loop calling each node's own `eval` (opt_einsum
    expressions for einsums), freeing values after their last use."""

    def __init__(self, outputs, inputs=()):
        self.single = isinstance(outputs, ad.Node)
        outputs = [outputs] if self.single else list(outputs)
        outputs = ad.simplify(outputs)
        self.nodes = ad.toposort(outputs)
        slot = {id(n): i for i, n in enumerate(self.nodes)}
        self.inputs = [(x, slot.get(id(x))) for x in inputs]
        fed = {id(x) for x in inputs}
        self.leaves = [(slot[id(n)], n) for n in self.nodes if not n.inputs and id(n) not in fed]
        self.output_slots = [slot[id(n)] for n in outputs]
        last = {}
        for i, node in enumerate(self.nodes):
            for x in node.inputs:
                last[slot[id(x)]] = i
        keep = set(self.output_slots)
        self.steps = [
            (node.eval, [slot[id(x)] for x in node.inputs], slot[id(node)],
             [s for s in {slot[id(x)] for x in node.inputs} if last[s] == i and s not in keep])
            for i, node in enumerate(self.nodes) if node.inputs
        ]

    @property
    def node_count(self):
        return len(self.nodes)

    def __call__(self, *arrays):
        values = [None] * len(self.nodes)
        for (x, s), a in zip(self.inputs, arrays):
            a = x.check_value(a)
            if s is not None:
                values[s] = a
        for s, leaf in self.leaves:
            values[s] = leaf.eval()
        for fn, args, out, free in self.steps:
            values[out] = fn(*[values[a] for a in args])
            for a in free:
                values[a] = None
        results = [np.asarray(values[s]) for s in self.output_slots]
        return results[0] if self.single else results


@contextlib.contextmanager
def patched(module, name, value):
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


@contextlib.contextmanager
def without_rules(*names):
    rules = [r for r in simplify_module.RULES if r.name not in names]
    with patched(simplify_module, "RULES", rules), patched(simplify_module, "_LOCAL", {}):
        yield


@contextlib.contextmanager
def plans_made_by(make):
    """Every `ad.function` call inside builds its plan with `make` instead."""
    with patched(ad, "function", make):
        yield


# name -> (what is switched off, a context manager factory)
SWITCHES = {
    "simplify": ("no simplification (plan the graph as grad built it)",
                 lambda: plans_made_by(lambda o, inputs=(), simplify=True: ad.Function(o, inputs, simplify=False))),
    "codegen": ("the plan as a loop over nodes calling each op's eval (no generated code)",
                lambda: plans_made_by(lambda o, inputs=(), simplify=True: Interpreted(o, inputs))),
    "lowering": ("einsums evaluated by their opt_einsum expression, not lowered to matmul",
                 lambda: patched(Einsum, "lower", lambda self, w, operands, target: False)),
    "inplace": ("no result written over a dead input (out=)",
                lambda: plans_made_by(lambda o, inputs=(), simplify=True: ad.Function(o, inputs, inplace=False))),
    "collector": ("no term collection (commute, like terms, powers, factor, stack_*)",
                  lambda: patched(simplify_module, "_collectable", lambda node: False)),
    "fusion": ("no einsum fusion (einsum_einsum, einsum_multiply, multiply_into_einsum)",
               lambda: without_rules("einsum_einsum", "einsum_multiply", "multiply_into_einsum")),
    "identity": ("no identity/fill elimination in einsums (einsum_eye, einsum_fill, reshape_eye)",
                 lambda: without_rules("einsum_eye", "einsum_fill", "reshape_eye")),
    "stacking": ("no horizontal stacking of sums (stack_einsums, stack_scatters, stack_sum)",
                 lambda: patched(collector_module._Writer, "stack", lambda self, items: items)),
    "batching": ("no batching of independent einsums sharing an operand, nor of their readers",
                 lambda: patched(batching_module, "batch", lambda roots, place: roots)),
    "scaling": ("batched cotangents multiplied op by op through elementwise chains (not base * scale)",
                lambda: patched(Elementwise, "elementwise", False)),
    "gram": ("x.T diag(w) x as a general matrix product, not a symmetric one",
             lambda: patched(einsum_plan_module, "_write_gram", lambda w, node, operands, target: False)),
    "sparse": ("products with a mostly-zero constant (one-hot seeds) computed dense, not scattered",
               lambda: patched(einsum_plan_module, "_write_sparse", lambda w, node, operands, target, into: False)),
    "numba": ("no elementwise groups as numba loops (autodiff.fusion.jit = False; numexpr from 2**22)",
              lambda: patched(fusion_module, "jit", False)),
    "elementwise fusion": ("no elementwise groups at all (autodiff.fusion.enabled = False)",
                           lambda: patched(fusion_module, "enabled", False)),
}


def ablate(cases: list[workloads.Case], rounds: int = 9, budget: float = 0.6) -> str:
    rng = np.random.default_rng(0)
    lines = ["| workload | full plan | " + " | ".join(f"no {s}" for s in SWITCHES) + " |",
             "|" + "---|" * (len(SWITCHES) + 2)]
    for case in cases:
        pool = [case.inputs(rng) for _ in range(32)]
        calls, nodes = {}, {}
        for name in ["full", *SWITCHES]:
            with (SWITCHES[name][1]() if name != "full" else contextlib.nullcontext()):
                calls[name] = case.builders["autodiff"]()
                for j in range(2 + ad.fusion.jit_after):  # numba's loops built, in a thread
                    calls[name](*pool[j % len(pool)])
                ad.fusion.wait()
                nodes[name] = case.nodes() if case.nodes else None
        per_call = {}
        for name, fn in calls.items():
            start = time.perf_counter()
            fn(*pool[1])
            per_call[name] = max(time.perf_counter() - start, 1e-7)
        samples = {name: [] for name in calls}
        for r in range(rounds):
            for name, fn in calls.items():
                n = max(1, int(budget / (rounds * len(calls) * per_call[name])))
                start = time.perf_counter()
                for j in range(n):
                    fn(*pool[(r + j) % len(pool)])
                samples[name].append((time.perf_counter() - start) / n)
        cells = [f"{statistics.median(samples['full']) * 1e6:.1f} us ({nodes['full']} nodes)"]
        for name in SWITCHES:
            ratio = statistics.median(a / b for a, b in zip(samples[name], samples["full"]))
            cells.append(f"{ratio:.2f}x ({nodes[name]})")
        lines.append(f"| {case.name} | " + " | ".join(cells) + " |")
        print(f"  ablated: {case.name}", file=sys.stderr, flush=True)
    legend = "\n".join(f"- no {name}: {what}" for name, (what, _) in SWITCHES.items())
    return "\n".join(lines) + "\n\nEach cell: time per call relative to the full plan (plan size in nodes).\n" + legend
