"""The bad-input table: each row builds a bad graph and pins the error type and message.

Every error is raised when the graph is built, never when it is evaluated.
"""

import re

import numpy as np
import pytest

import autodiff as ad

x23 = ad.Variable(np.zeros((2, 3)), name="x23")
v4 = ad.Variable(np.zeros(4), name="v4")
m33 = ad.Variable(np.zeros((3, 3)), name="m33")
ids = ad.Variable(np.array([0, 1]), name="ids")

BAD = [
    # (what, build, error type, message pattern)
    ("broadcast mismatch", lambda: x23 * v4, ValueError, r"Multiply: cannot broadcast \(2, 3\) with \(4,\) \(input 1\)"),
    ("broadcast with a numpy array", lambda: np.zeros(4) + x23, ValueError, r"Add: cannot broadcast \(4,\) with \(2, 3\) \(input 1\)"),
    ("where mismatch", lambda: ad.where(x23 > 0, x23, v4), ValueError, r"Where: cannot broadcast \(2, 3\) with \(2, 3\) with \(4,\) \(input 2\)"),
    ("where condition not boolean", lambda: ad.where(x23, x23, 0.0), TypeError, r"Where: the condition must be boolean, got float64"),
    ("einsum label sizes", lambda: ad.einsum("ij,jk->ik", x23, m33[:2]), ValueError, r"Einsum 'ij,jk->ik': label 'j' has size 3 in input 0 of shape \(2, 3\) but 2 in input 1 of shape \(2, 3\)"),
    ("einsum too few terms", lambda: ad.einsum("ij->i", x23, v4), ValueError, r"Einsum 'ij->i': 1 subscript terms for 2 inputs"),
    ("einsum axes count", lambda: ad.einsum("ijk->i", x23), ValueError, r"Einsum 'ijk->i': input 0 has 2 axes but its subscripts 'ijk' name 3"),
    ("einsum unknown output label", lambda: ad.einsum("ij->k", x23), ValueError, r"Einsum 'ij->k': output label 'k' is in no input"),
    ("einsum repeated output label", lambda: ad.einsum("ij->ii", x23), ValueError, r"output label 'i' is repeated"),
    ("einsum bad character", lambda: ad.einsum("i1->i", x23), ValueError, r"invalid subscript character '1'"),
    ("einsum two arrows", lambda: ad.einsum("ij->i->j", x23), ValueError, r"more than one '->'"),
    ("einsum repeated label sizes", lambda: ad.einsum("ii->i", x23), ValueError, r"repeated label 'i' has sizes 2 and 3 in input 0"),
    ("einsum dots dropped", lambda: ad.einsum("...i->i", x23), ValueError, r"the inputs have '...' axes, so the output needs '...' too"),
    ("einsum equation type", lambda: ad.einsum(3, x23), TypeError, r"Einsum: the equation must be a string"),
    ("matmul inner", lambda: x23 @ v4, ValueError, r"Matmul: inner dimensions differ: input 0 of shape \(2, 3\) has 3, input 1 of shape \(4,\) has 4"),
    ("matmul scalar", lambda: ad.matmul(ad.Variable(1.0), v4), ValueError, r"Matmul: inputs must have at least one axis"),
    ("matmul batch", lambda: ad.Variable(np.zeros((2, 3, 3))) @ ad.Variable(np.zeros((4, 3, 3))), ValueError, r"Matmul: cannot broadcast the batch axes of shapes \(2, 3, 3\) and \(4, 3, 3\)"),
    ("sum axis", lambda: ad.sum(x23, axis=2), ValueError, r"Sum: axis 2 is out of bounds for input of shape \(2, 3\)"),
    ("sum repeated axis", lambda: ad.sum(x23, axis=(0, -2)), ValueError, r"Sum: repeated axis"),
    ("mean axis type", lambda: ad.mean(x23, axis=1.0), TypeError, r"Mean: axis must be an integer, got float"),
    ("max axis", lambda: ad.max(x23, axis=-3), ValueError, r"Max: axis -3 is out of bounds for input of shape \(2, 3\)"),
    ("softmax axis", lambda: ad.softmax(x23, axis=5), ValueError, r"Softmax: axis 5 is out of bounds"),
    ("log_softmax axis", lambda: ad.log_softmax(x23, axis=-3), ValueError, r"LogSoftmax: axis -3 is out of bounds"),
    ("logsumexp axis", lambda: ad.logsumexp(x23, axis=2), ValueError, r"Logsumexp: axis 2 is out of bounds"),
    ("sum axis bool", lambda: ad.sum(x23, axis=True), TypeError, r"Sum: axis must be an integer, got bool"),
    ("max axis in a tuple bool", lambda: ad.max(x23, axis=(False,)), TypeError, r"Max: axis must be an integer, got bool"),
    ("max of an empty axis", lambda: ad.max(ad.Variable(np.zeros((0, 3))), axis=0), ValueError, r"Max: zero-size reduction over axes \(0,\) of input of shape \(0, 3\)"),
    ("min of an empty array", lambda: ad.min(ad.Variable(np.zeros((2, 0)))), ValueError, r"Min: zero-size reduction over axes \(0, 1\) of input of shape \(2, 0\)"),
    ("softmax over an empty axis", lambda: ad.softmax(ad.Variable(np.zeros((2, 0)))), ValueError, r"Max: zero-size reduction over axes \(1,\) of input of shape \(2, 0\)"),
    ("transpose axes", lambda: ad.transpose(x23, (0, 0)), ValueError, r"Transpose: axes \(0, 0\) are not a permutation"),
    ("transpose axis out of bounds", lambda: ad.transpose(x23, (0, 5)), ValueError, r"Transpose: axis 5 is out of bounds for input of shape \(2, 3\)"),
    ("transpose too few axes", lambda: ad.transpose(x23, (1,)), ValueError, r"Transpose: axes \(1,\) do not match input of shape \(2, 3\)"),
    ("transpose axis float", lambda: ad.transpose(x23, (0, 1.0)), TypeError, r"Transpose: axis must be an integer, got float"),
    ("reshape size", lambda: ad.reshape(x23, (4, 2)), ValueError, r"Reshape: cannot reshape input of shape \(2, 3\) \(6 elements\) into \(4, 2\)"),
    ("reshape two unknowns", lambda: ad.reshape(x23, (-1, -1)), ValueError, r"Reshape: invalid target shape \(-1, -1\)"),
    ("index out of bounds", lambda: x23[2], IndexError, r"Index: .*out of bounds.*input of shape \(2, 3\)"),
    ("index float", lambda: x23[1.5], TypeError, r"Index: unsupported index 1.5"),
    ("index float array", lambda: x23[np.array([0.5])], TypeError, r"Index: array indices must be integers or booleans, got float64"),
    ("take float indices", lambda: x23[ad.Variable(np.array([0.0]))], TypeError, r"Take: indices must be integers, got float64 \(input 1\)"),
    ("node index with other keys", lambda: x23[ids, 1], TypeError, r"Index: a node in an index must come alone or with plain ':' slices"),
    ("concatenate shapes", lambda: ad.concatenate([x23, v4]), ValueError, r"Concatenate: input 1 of shape \(4,\) does not fit input 0 of shape \(2, 3\) along axis 0"),
    ("concatenate nothing", lambda: ad.concatenate([]), ValueError, r"Concatenate: needs at least one input"),
    ("stack shapes", lambda: ad.stack([x23, x23.T]), ValueError, r"Stack: input 1 of shape \(3, 2\) differs from input 0 of shape \(2, 3\)"),
    ("split unequal", lambda: ad.split(x23, 2, axis=1), ValueError, r"Split: axis 1 of length 3 does not split into 2 equal parts"),
    ("squeeze non-1 axis", lambda: ad.squeeze(x23, 0), ValueError, r"Squeeze: axis 0 of input of shape \(2, 3\) has size 2, not 1"),
    ("pad width", lambda: ad.pad(x23, ((1, 2, 3),)), ValueError, r"Pad: pad_width .* does not fit input of shape \(2, 3\)"),
    ("pad negative", lambda: ad.pad(x23, -1), ValueError, r"Pad: negative pad_width"),
    ("broadcast_to", lambda: ad.broadcast_to(x23, (3, 3)), ValueError, r"BroadcastTo: cannot broadcast input of shape \(2, 3\) to \(3, 3\)"),
    ("broadcast_to float size", lambda: ad.broadcast_to(v4, (2.5, 4)), TypeError, r"BroadcastTo: shape \(2.5, 4\) must hold integers, got float"),
    ("broadcast_to negative size", lambda: ad.broadcast_to(v4, (-1, 4)), ValueError, r"BroadcastTo: negative dimensions are not allowed"),
    ("zeros negative", lambda: ad.zeros((-2, 3)), ValueError, r"Full: negative dimensions are not allowed, got shape \(-2, 3\)"),
    ("ones float size", lambda: ad.ones((2.0, 3)), TypeError, r"Full: shape \(2.0, 3\) must hold integers, got float"),
    ("full shape of a string", lambda: ad.full("ab", 1.0), TypeError, r"Full: shape 'ab' must hold integers, got str"),
    ("eye negative", lambda: ad.eye(-1), ValueError, r"Eye: negative dimensions are not allowed, got shape -1"),
    ("eye float", lambda: ad.eye(2.5), TypeError, r"Eye: shape 2.5 must hold integers, got float"),
    ("tensordot sizes", lambda: ad.tensordot(x23, m33, axes=([0], [0])), ValueError, r"Tensordot: axis 0 of input 0 \(shape \(2, 3\)\) has size 2 but axis 0 of input 1 \(shape \(3, 3\)\) has size 3"),
    ("diagonal same axes", lambda: ad.diagonal(x23, 0, 1, -1), ValueError, r"Diagonal: axis1 and axis2 are both 1 for input of shape \(2, 3\)"),
    ("diagonal axis", lambda: ad.diagonal(x23, axis2=2), ValueError, r"Diagonal: axis 2 is out of bounds for input of shape \(2, 3\)"),
    ("diagonal offset float", lambda: ad.diagonal(x23, 1.0), TypeError, r"Diagonal: offset must be an integer, got float"),
    ("trace of a vector", lambda: ad.trace(v4), ValueError, r"Diagonal: axis 1 is out of bounds for input of shape \(4,\)"),
    ("clip bounds", lambda: ad.clip(x23, 1, 0), ValueError, r"Clip: a_min=1 is greater than a_max=0"),
    ("clip bound kind", lambda: ad.clip(x23, "a", 1.0), TypeError, r"Clip: a_min must be None, a number, an array or a Node, got str"),
    ("clip bool bound", lambda: ad.clip(x23, None, True), TypeError, r"Clip: a_max must be a number, got True"),
    ("clip array bound shape", lambda: ad.clip(x23, np.zeros(4), 1.0), ValueError, r"Less: cannot broadcast \(2, 3\) with \(4,\) \(input 1\)"),
    ("where of numbers, condition not boolean", lambda: ad.where(x23 * 1.0, 1.0, 0.0), TypeError, r"Where: the condition must be boolean, got float64"),
    ("var ddof", lambda: ad.var(v4, ddof=4), ValueError, r"Var: ddof=4 leaves no degrees of freedom for 4 elements"),
    ("norm ord for matrices", lambda: ad.norm(x23, ord=3), ValueError, r"Norm: invalid norm order 3 for matrices"),
    ("norm ord for vectors", lambda: ad.norm(v4, ord="fro"), ValueError, r"Norm: invalid norm order 'fro' for vectors"),
    ("norm ord of a 3-d input", lambda: ad.norm(ad.Variable(np.zeros((2, 2, 2))), 1), ValueError, r"Norm: ord=1 needs a 1-d or 2-d input or an axis, got shape \(2, 2, 2\)"),
    ("norm three axes", lambda: ad.norm(ad.Variable(np.zeros((2, 2, 2))), axis=(0, 1, 2)), ValueError, r"Norm: axis must name 1 or 2 axes"),
    ("norm repeated axes", lambda: ad.norm(x23, axis=(1, -1)), ValueError, r"Norm: repeated axis in \(1, -1\)"),
    ("norm axis", lambda: ad.norm(x23, axis=2), ValueError, r"Norm: axis 2 is out of bounds"),
    ("operand kind", lambda: x23 + "a", TypeError, r"expected a Node, a number or an array, got str"),
    ("grad w.r.t. an array", lambda: ad.grad(ad.sum(x23), np.zeros(3)), TypeError, r"grad: can only differentiate with respect to Nodes, got ndarray \(wrt 0\)"),
    ("grad of an array", lambda: ad.grad(np.zeros(3), x23), TypeError, r"grad: the function to differentiate must be a Node, got ndarray"),
    ("grad seed shape", lambda: ad.grad(x23, x23, seed=np.ones(3)), ValueError, r"grad: seed of shape \(3,\) does not end with the shape \(2, 3\) of y"),
    ("hvp of a vector", lambda: ad.hvp(x23, x23, np.ones((2, 3))), ValueError, r"hvp: f must be a scalar, got shape \(2, 3\)"),
    ("hvp direction", lambda: ad.hvp(ad.sum(x23), x23, np.ones(3)), ValueError, r"hvp: v of shape \(3,\) does not match wrt of shape \(2, 3\)"),
    ("jvp direction", lambda: ad.jvp(x23, x23, np.ones(2)), ValueError, r"jvp: v of shape \(2,\) does not end with the shape \(2, 3\) of wrt"),
    ("variable value shape", lambda: setattr(x23, "value", np.zeros(3)), ValueError, r"Variable 'x23': value of shape \(3,\) does not fit shape \(2, 3\)"),
    ("float into an integer variable", lambda: setattr(ids, "value", np.array([0.5, 1.0])), TypeError, r"Variable 'ids': a float64 value would be truncated to int64"),
    ("function input kind", lambda: ad.function(x23, inputs=[x23 * 2]), TypeError, r"function: input 0 must be a Variable, got Multiply"),
    ("function output kind", lambda: ad.function([x23, 3]), TypeError, r"function: output 1 is a int, not a Node"),
    ("truth value", lambda: bool(x23 > 0), ValueError, r"Greater node of shape \(2, 3\): The truth value of an array with more than one element is ambiguous"),
    ("len of a scalar", lambda: len(ad.Variable(1.0)), TypeError, r"len\(\) of a 0-d node"),
    ("negative of booleans", lambda: -(x23 > 0), TypeError, r"Negative: the negative of a boolean node is not supported"),
    ("booleans minus booleans", lambda: (x23 > 0) - (x23 < 0), TypeError, r"Subtract: boolean minus boolean is not supported"),
    ("sign of booleans", lambda: ad.sign(x23 > 0), TypeError, r"Sign: boolean input is not supported"),
    ("integer to a negative power", lambda: ids ** -1, ValueError, r"Pow: integers to negative integer powers are not allowed"),
    ("check_grads order", lambda: ad.check_grads(ad.exp, [np.ones(2)], order=0), ValueError, r"check_grads: order must be at least 1"),
]


@pytest.mark.parametrize("build, error, pattern", [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_input_is_rejected_when_built(build, error, pattern):
    with pytest.raises(error, match=pattern):
        build()


def test_nodes_are_immutable():
    with pytest.raises(AttributeError, match="Multiply nodes are immutable"):
        (x23 * 2).shape = (6,)


def test_function_checks_fed_arrays():
    step = ad.function(ad.sum(x23), inputs=[x23])
    with pytest.raises(ValueError, match=re.escape("Variable 'x23': value of shape (3,) does not fit shape (2, 3)")):
        step(np.zeros(3))
    with pytest.raises(TypeError, match="function: expected 1 input arrays, got 2"):
        step(np.zeros((2, 3)), np.zeros(1))
