"""The simplifier as a package of auditable rules: the registry, its families, the layout."""

import importlib
import pkgutil
from pathlib import Path

import pytest

import autodiff as ad
from autodiff.node import Node
from autodiff.ops.einsum import Einsum
from autodiff.ops.elementwise import Multiply, Negative
from autodiff.ops.shape import Reshape
from autodiff.simplification import RULES, batching, collector, driver, rules_algebra
from autodiff.simplification import rules_einsum
from autodiff.simplification import rules_shape
from autodiff.simplification.registry import BATCHING, COLLECTOR, Rule, RuleTable

FAMILIES = [rules_algebra, rules_shape, rules_einsum, collector, batching]


def test_every_row_has_a_one_line_identity_a_class_and_no_duplicate():
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
    rewrites = [rule.rewrite for rule in RULES if rule.rewrite is not None]
    assert len(set(rewrites)) == len(rewrites)  # no function in two rows
    for rule in RULES:
        assert isinstance(rule, Rule)
        assert rule.comment.strip() and "\n" not in rule.comment and len(rule.comment) <= 100
        assert rule.ops and all(isinstance(op, type) and issubclass(op, Node) for op in rule.ops)


def test_each_rule_is_registered_in_the_module_it_is_written_in():
    with_function = {rule.name for rule in RULES if rule.rewrite is not None}
    for rule in RULES:
        if rule.rewrite is not None:
            assert rule.by is None and rule.name == rule.rewrite.__name__
            assert rule.rewrite.__module__ == rule.module, rule.name
            assert getattr(importlib.import_module(rule.module), rule.name) is rule.rewrite
        elif rule.by == COLLECTOR:
            assert rule.module == collector.__name__, rule.name
        elif rule.by == BATCHING:
            assert rule.module == batching.__name__, rule.name
        else:  # a case of another rule, which carries it out
            assert rule.by in with_function, rule.name


def test_the_table_is_the_families_in_order():
    assert RULES == [rule for family in FAMILIES for rule in family.TABLE]
    for family in FAMILIES:
        assert all(rule.module == family.__name__ for rule in family.TABLE)
    collected = [rule.name for rule in collector.TABLE]
    assert all(rule.rewrite is None and rule.by == COLLECTOR for rule in collector.TABLE)
    assert collected == ["commute", "combine_constants", "like_terms", "powers", "distribute",
                         "factor", "stack_einsums", "stack_scatters", "stack_sum"]
    assert all(rule.by != COLLECTOR for rule in RULES if rule.module != collector.__name__)


@pytest.mark.parametrize("kind, names", [
    (Einsum, ["fold_constants", "zero_propagation", "einsum_fill", "einsum_eye", "einsum_einsum",
              "einsum_multiply", "einsum_to_multiply"]),
    (Multiply, ["fold_constants", "zero_propagation", "add_zero_multiply_one",
                "uniform_input_as_scalar", "multiply_into_einsum"]),
    (Negative, ["fold_constants", "zero_propagation", "add_zero_multiply_one",
                "uniform_input_as_scalar", "double_negation"]),
    (Reshape, ["fold_constants", "zero_propagation", "reshape_reshape", "index_reshape",
               "reshape_eye"]),
])
def test_the_rules_of_a_class_are_tried_in_the_table_s_order(kind, names):
    by_rewrite = {rule.rewrite: rule.name for rule in RULES if rule.rewrite is not None}
    assert [by_rewrite[rewrite] for rewrite in driver._local_rules(kind)] == names


def test_a_table_registers_where_the_decorator_is_written():
    table = RuleTable("here")

    @table.rule("-(-x) -> x", Negative)
    def double_negation(node, ctx):
        return None

    table.row("triple_negation", "-(-(-x)) -> -x", Negative, by="double_negation")
    assert [(r.name, r.rewrite, r.module, r.by) for r in table] == [
        ("double_negation", double_negation, "here", None),
        ("triple_negation", None, "here", "double_negation"),
    ]


def test_simplification_is_a_package_of_modules_and_ad_simplify_the_function():
    package = importlib.import_module("autodiff.simplification")
    assert ad.simplify is package.simplify and callable(ad.simplify)
    assert ad.simplification is package
    modules = {m.name for m in pkgutil.iter_modules(ad.__path__)}
    assert "simplification" in modules and "simplify" not in modules  # no module hidden
    folder = Path(package.__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
    assert names == ["base", "batching", "collector", "driver", "registry", "rules_algebra",
                     "rules_einsum", "rules_shape"]
    for name in names:
        loaded = importlib.import_module(f"autodiff.simplification.{name}")
        assert len((folder / f"{name}.py").read_text().splitlines()) <= 800, name
        assert loaded.__doc__ and loaded.__all__, name
        assert all(hasattr(loaded, attr) for attr in loaded.__all__), name
    assert set(package.__all__) == {"RULES", "Rule", "paused_gc", "simplify", "simplify_in_order"}
