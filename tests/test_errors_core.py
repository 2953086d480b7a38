"""The bad-input table for the core: Variables, the derivative APIs, plans and what is fed to them.

Each row does one bad thing and pins the error type and message (the function, the input and
the shapes or dtypes); each error comes when the graph or plan is built or the value is given.
"""

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

x23 = ad.Variable(np.zeros((2, 3)), name="x23")
v3 = ad.Variable(np.zeros(3), name="v3")
ids = ad.Variable(np.array([0, 1]), name="ids")
flags = ad.Variable(np.array([True, False]), name="flags")
pixels = ad.Variable(np.zeros(2, np.uint8), name="pixels")
plan = ad.function(ad.sum(x23), inputs=[x23])
pixel_plan = ad.function(pixels * 2, inputs=[pixels])


class TooFewGradients(ad.Node):
    @classmethod
    def infer(cls, x, y):
        return x.shape, x.dtype

    def eval(self, x, y):
        return x * y

    def grad(self, g):
        return (g * self.inputs[1],)  # forgets the second input


class ArrayGradient(ad.Node):
    @classmethod
    def infer(cls, x):
        return x.shape, x.dtype

    def eval(self, x):
        return 2 * x

    def grad(self, g):
        return (np.full(self.shape, 2.0),)  # an array, not a Node


BAD = [
    # (what, do it, error type, message pattern)
    # Variables
    ("variable of a string", lambda: ad.Variable("abc"), TypeError, r"Variable 'Variable': strings are not numbers \(got 'abc', dtype <U3\)"),
    ("variable of None", lambda: ad.Variable(None, name="w"), TypeError, r"Variable 'w': the value holds NoneType, not numbers"),
    ("variable of objects", lambda: ad.Variable([1, object()], name="w"), TypeError, r"Variable 'w': the value holds object, not numbers"),
    ("variable of a node", lambda: ad.Variable(x23 * 2, name="w"), TypeError, r"Variable 'w': the value is a Multiply node, not an array"),
    ("variable ragged", lambda: ad.Variable([[1.0], [1.0, 2.0]], name="w"), ValueError, r"Variable 'w': the value is not an array of numbers"),
    ("variable dtype not a dtype", lambda: ad.Variable(1.0, dtype="bogus"), TypeError, r"Variable 'Variable': 'bogus' is not a dtype"),
    ("variable dtype not a number", lambda: ad.Variable(1.0, dtype=str), TypeError, r"dtype <U0 is not a number type \(bool, int, uint, float, complex\)"),
    ("variable dtype object", lambda: ad.Variable(np.zeros(2, object)), TypeError, r"Variable 'Variable': dtype object is not a number type"),
    ("variable dtype truncates", lambda: ad.Variable([0.5, 1.0], name="w", dtype=np.int32), TypeError, r"Variable 'w': a float64 value would be truncated to int32"),
    ("variable dtype range", lambda: ad.Variable([300], name="w", dtype=np.uint8), ValueError, r"Variable 'w': the int64 value 300 does not fit uint8 \(0 to 255\)"),
    ("variable name kind", lambda: ad.Variable(1.0, name=3), TypeError, r"Variable: the name must be a string, got int"),
    ("value out of range", lambda: setattr(pixels, "value", [-1, 300]), ValueError, r"Variable 'pixels': the int64 value -1 does not fit uint8 \(0 to 255\)"),
    ("value a string", lambda: setattr(x23, "value", "1.5"), TypeError, r"Variable 'x23': strings are not numbers"),
    ("value a node", lambda: setattr(x23, "value", x23 * 2), TypeError, r"Variable 'x23': the value is a Multiply node, not an array"),
    ("value complex", lambda: setattr(v3, "value", np.ones(3) * 1j), TypeError, r"Variable 'v3': a complex128 value would lose its imaginary part in float64"),
    ("name_scope name", lambda: ad.name_scope(3).__enter__(), TypeError, r"name_scope: the name must be a string, got int"),
    # derivative APIs
    ("grad w.r.t. int", lambda: ad.grad(ad.sum(ids * 1.0), ids), TypeError, r"grad: cannot differentiate with respect to 'ids' of dtype int64 \(wrt 0\): .*ad\.Variable\(value, dtype=float\)"),
    ("grad w.r.t. bool, second", lambda: ad.grad(ad.sum(v3), [v3, flags]), TypeError, r"grad: cannot differentiate with respect to 'flags' of dtype bool \(wrt 1\)"),
    ("grad w.r.t. an int node", lambda: ad.grad(ad.sum(ids * 1.0), ids + 1), TypeError, r"grad: cannot differentiate with respect to 'Add' of dtype int64 \(wrt 0\)"),
    ("jacobian w.r.t. int", lambda: ad.jacobian(ids * 1.0, ids), TypeError, r"jacobian: cannot differentiate with respect to 'ids' of dtype int64 \(wrt 0\)"),
    ("hessian w.r.t. int", lambda: ad.hessian(ad.sum(ids * 1.0), ids), TypeError, r"hessian: cannot differentiate with respect to 'ids' of dtype int64"),
    ("hvp w.r.t. int", lambda: ad.hvp(ad.sum(ids * 1.0), ids, np.ones(2)), TypeError, r"hvp: cannot differentiate with respect to 'ids' of dtype int64"),
    ("jvp w.r.t. int", lambda: ad.jvp(ids * 1.0, ids, np.ones(2)), TypeError, r"jvp: cannot differentiate with respect to 'ids' of dtype int64"),
    ("hessian w.r.t. a list", lambda: ad.hessian(ad.sum(v3), [v3]), TypeError, r"hessian: wrt must be one Node, got list"),
    ("hvp w.r.t. a list", lambda: ad.hvp(ad.sum(v3), [v3], np.ones(3)), TypeError, r"hvp: wrt must be one Node, got list"),
    ("jvp w.r.t. a list", lambda: ad.jvp(v3 * 2, [v3], np.ones(3)), TypeError, r"jvp: wrt must be one Node, got list"),
    ("grad seed kind", lambda: ad.grad(ad.sum(v3), v3, seed="ones"), TypeError, r"grad: the seed must be a Node, a number or an array, got str"),
    ("hvp direction kind", lambda: ad.hvp(ad.sum(v3), v3, "up"), TypeError, r"hvp: v must be a Node, a number or an array, got str"),
    ("jvp direction kind", lambda: ad.jvp(v3 * 2, v3, None), TypeError, r"jvp: v must be a Node, a number or an array, got NoneType"),
    ("grad of an array", lambda: ad.jacobian(np.zeros(3), v3), TypeError, r"jacobian: the function to differentiate must be a Node, got ndarray"),
    ("op grad gives too few", lambda: ad.grad(ad.sum(TooFewGradients(v3, v3 * 2)), v3), RuntimeError, r"TooFewGradients\.grad gave 1 gradients for 2 inputs \(one Node or None per input\)"),
    ("op grad gives an array", lambda: ad.grad(ad.sum(ArrayGradient(v3)), v3), TypeError, r"ArrayGradient\.grad gave a ndarray for input 0, not a Node or None"),
    # plans and what is fed to them
    ("function outputs kind", lambda: ad.function(3), TypeError, r"function: outputs must be a Node or a list of Nodes, got int"),
    ("function inputs one variable", lambda: ad.function(ad.sum(x23), inputs=x23), TypeError, r"function: inputs must be a list of Variables, got Variable \(put it in a list: inputs=\[x\]\)"),
    ("function inputs kind", lambda: ad.function(ad.sum(x23), inputs="x23"), TypeError, r"function: inputs must be a list of Variables, got str"),
    ("function input a constant", lambda: ad.function(v3, inputs=[ad.Constant(np.ones(3))]), TypeError, r"function: input 0 must be a Variable, got Constant"),
    ("function input twice", lambda: ad.function(v3, inputs=[v3, v3]), ValueError, r"function: the same Variable is listed twice in inputs"),
    ("feed shape", lambda: plan(np.zeros(3)), ValueError, r"Variable 'x23': value of shape \(3,\) does not fit shape \(2, 3\)"),
    ("feed count", lambda: plan(), TypeError, r"function: expected 1 input arrays, got 0"),
    ("feed out of range", lambda: pixel_plan(np.array([7, 256])), ValueError, r"Variable 'pixels': the int64 value 256 does not fit uint8 \(0 to 255\)"),
    ("feed floats into ints", lambda: pixel_plan([1.0, 2.0]), TypeError, r"Variable 'pixels': a float64 value would be truncated to uint8"),
    ("feed strings", lambda: plan(np.array([["1", "2", "3"]] * 2)), TypeError, r"Variable 'x23': strings are not numbers"),
    ("feed None", lambda: plan(None), TypeError, r"Variable 'x23': the value holds NoneType, not numbers"),
    ("feed a node", lambda: plan(x23 * 2), TypeError, r"Variable 'x23': the value is a Multiply node, not an array"),
    ("feed overflow", lambda: ad.function(ad.sum(v3), inputs=[ad.Variable(np.zeros(1, np.float32), name="f")])([1e39]), ValueError, r"Variable 'f': the float64 value 1e\+39 overflows to inf in float32"),
    ("eval feed key", lambda: ad.eval(v3 * 2, feed={v3 * 2: np.ones(3)}), TypeError, r"eval: feed keys must be Variables, got Multiply"),
    ("eval feed kind", lambda: ad.eval(v3 * 2, feed=[(v3, np.ones(3))]), TypeError, r"eval: feed must be a mapping from Variables to values, got list"),
    ("eval feed value", lambda: ad.eval(v3 * 2, feed={v3: np.ones(3) + 1j}), TypeError, r"Variable 'v3': a complex128 value would lose its imaginary part"),
    # parameters loaded into a module
    ("load a lossy value", lambda: nn.Linear(2, 1, rng=0).load_state_dict({"weight": np.ones((2, 1)) * 1j, "bias": np.zeros(1)}),
     TypeError, r"Linear\.load_state_dict: 'weight': Variable 'weight': a complex128 value would lose its imaginary part in float64"),
    ("load strings", lambda: nn.Linear(2, 1, rng=0).load_state_dict({"weight": np.ones((2, 1)), "bias": np.array(["0"])}),
     TypeError, r"Linear\.load_state_dict: 'bias': Variable 'bias': strings are not numbers"),
]


@pytest.mark.parametrize("do, error, pattern", [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_input_is_rejected(do, error, pattern):
    with pytest.raises(error, match=pattern):
        do()


def test_a_refused_value_changes_nothing():
    before = pixels.value.copy()
    with pytest.raises(ValueError):
        pixels.value = [1, 256]
    np.testing.assert_array_equal(pixels.value, before)
    layer = nn.Linear(2, 1, rng=0)
    weight = layer.weight.value.copy()
    with pytest.raises(TypeError):
        layer.load_state_dict({"weight": np.ones((2, 1)), "bias": np.array([1j])})
    np.testing.assert_array_equal(layer.weight.value, weight)  # all are checked before any is set
