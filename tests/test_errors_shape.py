"""Bad input to indexing and the shape factories: the error type and message, at build time."""

import numpy as np
import pytest

import autodiff as ad

x23 = ad.Variable(np.zeros((2, 3)), name="x23")
x234 = ad.Variable(np.zeros((2, 3, 4)), name="x234")

BAD = [
    # (what, build, error type, message pattern)
    ("index int out of range", lambda: x23[:, 3], IndexError, r"Index: index 3 is out of bounds for axis 1 with size 3 \(input of shape \(2, 3\)\)"),
    ("index negative int out of range", lambda: x23[-3], IndexError, r"Index: index -3 is out of bounds for axis 0 with size 2"),
    ("index array out of range", lambda: x23[[0, 2]], IndexError, r"Index: index 2 is out of bounds for axis 0 with size 2"),
    ("index separated array out of range", lambda: x234[0, :, [1, 4]], IndexError, r"Index: index 4 is out of bounds for axis 2 with size 4"),
    ("index arrays do not broadcast", lambda: x234[[0, 1], :, [0, 1, 2]], IndexError, r"Index: shape mismatch: .* \(2,\) \(3,\)"),
    ("index 0-d False with an array", lambda: x23[[0, 1], False], IndexError, r"Index: shape mismatch: .* \(2,\) \(0,\)"),
    ("index too many", lambda: x23[0, 1, 2], IndexError, r"Index: too many indices for input of shape \(2, 3\): \(0, 1, 2\) indexes 3 axes"),
    ("index too many with a mask", lambda: x23[np.ones((2, 3), bool), 0], IndexError, r"Index: too many indices for input of shape \(2, 3\)"),
    ("index two ellipses", lambda: x23[..., 0, ...], IndexError, r"Index: an index can only have a single ellipsis"),
    ("index mask shape", lambda: x23[np.array([True, False, True])], IndexError, r"Index: boolean index of shape \(3,\) does not match axes 0 to 0 of input of shape \(2, 3\)"),
    ("index mask after ellipsis", lambda: x234[..., np.ones((2, 3), bool)], IndexError, r"Index: boolean index of shape \(2, 3\) does not match axes 1 to 2 of input of shape \(2, 3, 4\)"),
    ("index float", lambda: x23[1.0], TypeError, r"Index: unsupported index 1.0 of type float"),
    ("mT of a vector", lambda: x23[0].mT, ValueError, r"matrix_transpose: a matrix transpose needs 2 or more axes, got shape \(3,\)"),
    ("index string", lambda: x23["a"], TypeError, r"Index: unsupported index 'a' of type str"),
    ("index float list", lambda: x23[[0.0, 1.0]], TypeError, r"Index: array indices must be integers or booleans, got float64"),
    ("index empty float array", lambda: x23[np.array([])], TypeError, r"Index: array indices must be integers or booleans, got float64"),
    ("index ragged list", lambda: x23[[0, [1, 0]]], ValueError, r"Index: the sequence \[0, \[1, 0\]\] is ragged"),
    ("index float slice", lambda: x23[0.5:], TypeError, r"Index: slice bounds must be integers or None, got slice\(0.5, None, None\)"),
    ("index slice step 0", lambda: x23[::0], ValueError, r"Index: slice step cannot be zero \(input of shape \(2, 3\)\)"),
    ("node index with an array", lambda: x23[ad.Variable(np.array([0, 1])), np.array([0, 1])], TypeError, r"Index: a node in an index must come alone or with plain ':' slices"),
    ("node index after an ellipsis", lambda: x234[..., ad.Variable(np.array([0, 1]))], TypeError, r"Index: a node in an index must come alone or with plain ':' slices"),
    ("reshape float size", lambda: ad.reshape(x23, (2.0, 3)), TypeError, r"Reshape: each size in the shape must be an integer, got float 2.0"),
    ("reshape float", lambda: x23.reshape(6.0), TypeError, r"Reshape: each size in the shape must be an integer, got float 6.0"),
    ("reshape bool size", lambda: ad.reshape(x23, (True, 6)), TypeError, r"Reshape: each size in the shape must be an integer, got bool True"),
    ("reshape negative size", lambda: ad.reshape(x23, (-2, -3)), ValueError, r"Reshape: invalid target shape \(-2, -3\)"),
    ("reshape float array", lambda: ad.reshape(x23, np.array([6.0])), TypeError, r"Reshape: each size in the shape must be an integer, got float 6.0"),
    ("pad float width", lambda: ad.pad(x23, 1.5), TypeError, r"Pad: pad_width must hold integers, got float64 in 1.5"),
    ("pad float in pairs", lambda: ad.pad(x23, ((1, 2.0), (0, 1))), TypeError, r"Pad: pad_width must hold integers, got float64"),
    ("pad bool width", lambda: ad.pad(x23, True), TypeError, r"Pad: pad_width must hold integers, got bool"),
    ("pad ragged", lambda: ad.pad(x23, ((1,), (1, 2, 3))), ValueError, r"Pad: pad_width .* does not fit input of shape \(2, 3\)"),
    ("expand_dims repeated", lambda: ad.expand_dims(x23, (0, 0)), ValueError, r"ExpandDims: repeated axis in \(0, 0\) for input of shape \(2, 3\)"),
    ("expand_dims repeated negative", lambda: ad.expand_dims(x23, (3, -1)), ValueError, r"ExpandDims: repeated axis in \(3, -1\)"),
    ("expand_dims out of range", lambda: ad.expand_dims(x23, (0, 4)), ValueError, r"ExpandDims: axis 4 is out of bounds for a result of 4 axes \(input of shape \(2, 3\)\)"),
    ("expand_dims negative out of range", lambda: ad.expand_dims(x23, -4), ValueError, r"ExpandDims: axis -4 is out of bounds for a result of 3 axes"),
    ("expand_dims float axis", lambda: ad.expand_dims(x23, 1.0), TypeError, r"ExpandDims: axis must be an integer, got float 1.0"),
    ("expand_dims bool axis", lambda: ad.expand_dims(x23, (0, True)), TypeError, r"ExpandDims: axis must be an integer, got bool True"),
    ("stack axis", lambda: ad.stack([x23, x23], axis=3), ValueError, r"Stack: axis 3 is out of bounds for a result of 3 axes \(input of shape \(2, 3\)\)"),
    ("stack axis tuple", lambda: ad.stack([x23, x23], axis=(0, 1)), TypeError, r"Stack: axis must be an integer, got tuple"),
    ("squeeze bool axis", lambda: ad.squeeze(x23, axis=False), TypeError, r"Squeeze: axis must be an integer, got bool"),
    ("concatenate bool axis", lambda: ad.concatenate([x23, x23], axis=True), TypeError, r"Concatenate: axis must be an integer, got bool"),
    ("take bool axis", lambda: ad.take(x23, ad.Constant(np.array([0])), axis=True), TypeError, r"Take: axis must be an integer, got bool"),
    ("split float index", lambda: ad.split(x23, [1.5], axis=1), TypeError, r"Split: each index must be an integer, got float 1.5"),
]


@pytest.mark.parametrize("build, error, pattern", [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_shape_input_is_rejected_when_built(build, error, pattern):
    with pytest.raises(error, match=pattern):
        build()


@pytest.mark.parametrize(
    "build, shape",
    [
        (lambda: ad.reshape(x23, (np.int64(3), np.uint8(2))), (3, 2)),
        (lambda: ad.reshape(x23, np.array([3, 2])), (3, 2)),
        (lambda: x23.reshape(np.int32(6)), (6,)),
        (lambda: ad.pad(x23, np.uint8(1)), (4, 5)),
        (lambda: ad.pad(x23, ((1, np.int64(2)), (0, 1))), (5, 4)),
        (lambda: ad.expand_dims(x23, (0, 2)), (1, 2, 1, 3)),
        (lambda: ad.expand_dims(x23, (-1, 0)), (1, 2, 3, 1)),
        (lambda: ad.expand_dims(x23, [np.int64(1)]), (2, 1, 3)),
        (lambda: ad.expand_dims(x23, ()), (2, 3)),
        (lambda: ad.stack([x23, x23], axis=np.int64(-1)), (2, 3, 2)),
    ],
)
def test_integer_like_sizes_and_axes_work(build, shape):
    assert build().shape == shape


@pytest.mark.parametrize("axis", [0, 2, -1, -3, (0, 2), (3, 0), (-1, -4), (1, 2, 3)])
def test_expand_dims_matches_numpy(axis):
    x0 = np.arange(6.0).reshape(2, 3)
    y = ad.expand_dims(ad.Variable(x0), axis)
    np.testing.assert_array_equal(y(), np.expand_dims(x0, axis))
    ad.check_grads(lambda v: ad.expand_dims(v, axis) ** 2, [x0], order=2)
