"""Rows for the shape ops of issue 10: flips, rolls, tiles, repeats, stacks, splits, gathers
along an axis, triangles, diagonals, Kronecker and cross products, grids, padding modes and
mixed advanced indices."""

from __future__ import annotations

import warnings

import numpy as np

import autodiff as ad

from . import Case

ALONG = np.array([[2, 0, 0], [1, 2, 1]])  # repeats in a row: the adjoint adds
REPEATS = np.array([2, 0, 1])
MIXED_MASK = np.array([True, False, True, True])


def _np_cross(*args, **kwargs):
    with warnings.catch_warnings():  # NumPy 2 deprecates 2-vectors; they still work
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.cross(*args, **kwargs)


def _weighted(pieces):
    return [p * float(i + 1) for i, p in enumerate(pieces)]


CASES: list[Case] = [
    # flips and rolls: slices with negative steps, concatenations of slices
    Case("flip", ad.flip, np.flip, [(2, 3)]),
    Case("flip axis tuple", lambda x: ad.flip(x, (0, -1)), lambda x: np.flip(x, (0, -1)), [(2, 3, 2)]),
    Case("flipud", ad.flipud, np.flipud, [(3, 2)]),
    Case("fliplr", ad.fliplr, np.fliplr, [(2, 3, 2)]),
    Case("roll flattened", lambda x: ad.roll(x, 4), lambda x: np.roll(x, 4), [(2, 3)]),
    Case("roll axis", lambda x: ad.roll(x, -1, axis=1), lambda x: np.roll(x, -1, axis=1), [(2, 3)]),
    Case("roll tuples", lambda x: ad.roll(x, (1, 5, -2), axis=(0, 1, 1)), lambda x: np.roll(x, (1, 5, -2), axis=(0, 1, 1)), [(2, 4)]),
    # transposes
    Case("swapaxes", lambda x: ad.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1), [(2, 3, 4)]),
    Case("moveaxis", lambda x: ad.moveaxis(x, [0, 1], [-1, 0]), lambda x: np.moveaxis(x, [0, 1], [-1, 0]), [(2, 3, 4)]),
    # copies: broadcasts and gathers
    Case("tile more reps than axes", lambda x: ad.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), [(2, 3)]),
    Case("tile fewer reps", lambda x: ad.tile(x, 2), lambda x: np.tile(x, 2), [(2, 3)]),
    Case("tile zero reps", lambda x: ad.tile(x, (0, 2)), lambda x: np.tile(x, (0, 2)), [(2, 3)]),
    Case("repeat flattened", lambda x: ad.repeat(x, 2), lambda x: np.repeat(x, 2), [(2, 3)]),
    Case("repeat per element", lambda x: ad.repeat(x, REPEATS, axis=-1), lambda x: np.repeat(x, REPEATS, axis=-1), [(2, 3)]),
    Case("repeat one count in a list", lambda x: ad.repeat(x, [3], axis=0), lambda x: np.repeat(x, [3], axis=0), [(2, 2)]),
    # joining and splitting
    Case("hstack", lambda x, y: ad.hstack([x, y]), lambda x, y: np.hstack([x, y]), [(2, 3), (2, 1)]),
    Case("hstack vectors", lambda x, y: ad.hstack((x, y, x)), lambda x, y: np.hstack((x, y, x)), [(3,), (2,)]),
    Case("vstack", lambda x, y: ad.vstack([x, y]), lambda x, y: np.vstack([x, y]), [(3,), (2, 3)]),
    Case("dstack", lambda x, y: ad.dstack([x, y]), lambda x, y: np.dstack([x, y]), [(3,), (1, 3)]),
    Case("column_stack", lambda x, y: ad.column_stack([x, y]), lambda x, y: np.column_stack([x, y]), [(3,), (3, 2)]),
    Case("array_split uneven", lambda x: ad.concatenate(_weighted(ad.array_split(x, 3, axis=1)), axis=1), lambda x: np.concatenate(_weighted(np.array_split(x, 3, axis=1)), axis=1), [(2, 5)]),
    Case("array_split indices", lambda x: ad.concatenate(_weighted(ad.array_split(x, [1, 1, 9]))), lambda x: np.concatenate(_weighted(np.array_split(x, [1, 1, 9]))), [(3, 2)]),
    Case("atleast_1d 0-d", ad.atleast_1d, np.atleast_1d, [()]),
    Case("atleast_2d vector", ad.atleast_2d, np.atleast_2d, [(3,)]),
    Case("atleast_3d vector and matrix", lambda x, y: ad.atleast_3d(x, y)[0] * ad.atleast_3d(x, y)[1][:1, :1], lambda x, y: np.atleast_3d(x) * np.atleast_3d(y)[:1, :1], [(3,), (2, 3)]),
    # gathers along an axis
    Case("take_along_axis", lambda x: ad.take_along_axis(x, ALONG, axis=1), lambda x: np.take_along_axis(x, ALONG, axis=1), [(2, 4)]),
    Case("take_along_axis broadcast", lambda x: ad.take_along_axis(x, ALONG[:1], axis=-1), lambda x: np.take_along_axis(x, ALONG[:1], axis=-1), [(3, 4)]),
    Case("take_along_axis flattened", lambda x: ad.take_along_axis(x, np.array([5, 0, 5]), axis=None), lambda x: np.take_along_axis(x, np.array([5, 0, 5]), axis=None), [(2, 3)]),
    Case("take_along_axis by node", lambda x: ad.take_along_axis(x, ad.Variable(ALONG.T), axis=0), lambda x: np.take_along_axis(x, ALONG.T, axis=0), [(3, 1)]),
    # triangles and diagonals
    Case("tril", lambda x: ad.tril(x), np.tril, [(2, 3, 3)]),
    Case("triu k", lambda x: ad.triu(x, k=1), lambda x: np.triu(x, k=1), [(3, 4)]),
    Case("tril of a vector", lambda x: ad.tril(x, -1), lambda x: np.tril(x, -1), [(3,)]),
    Case("diag of a vector", lambda x: ad.diag(x, k=-2), lambda x: np.diag(x, k=-2), [(3,)]),
    Case("diag of a matrix", lambda x: ad.diag(x, 1), lambda x: np.diag(x, 1), [(3, 4)]),
    # products of blocks and of vectors
    Case("kron", ad.kron, np.kron, [(2, 3), (3, 2)]),
    Case("kron of fewer axes", ad.kron, np.kron, [(3,), (2, 1, 2)]),
    Case("cross", ad.cross, np.cross, [(2, 3), (3,)], order=3),
    Case("cross axes", lambda x, y: ad.cross(x, y, axisa=0, axisb=1, axisc=0), lambda x, y: np.cross(x, y, axisa=0, axisb=1, axisc=0), [(3, 2), (2, 3)]),
    Case("cross axis", lambda x, y: ad.cross(x, y, axis=0), lambda x, y: np.cross(x, y, axis=0), [(3, 2), (3, 1)]),
    Case("cross 2-vectors", ad.cross, _np_cross, [(4, 2), (2,)]),
    Case("cross 2- and 3-vectors", lambda x, y: ad.cross(x, y) + ad.cross(y, x), lambda x, y: _np_cross(x, y) + _np_cross(y, x), [(2,), (2, 3)]),
    # grids
    Case("meshgrid xy", lambda x, y, z: ad.stack(ad.meshgrid(x, y, z)), lambda x, y, z: np.stack(np.meshgrid(x, y, z)), [(3,), (2,), (2,)]),
    Case("meshgrid ij", lambda x, y: ad.stack(ad.meshgrid(x, y, indexing="ij")), lambda x, y: np.stack(np.meshgrid(x, y, indexing="ij")), [(3,), (2, 1)]),
    Case("meshgrid sparse", lambda x, y: ad.meshgrid(x, y, sparse=True)[0] * ad.meshgrid(x, y, sparse=True)[1], lambda x, y: np.meshgrid(x, y, sparse=True)[0] * np.meshgrid(x, y, sparse=True)[1], [(3,), (2,)]),
    # padding modes
    Case("pad constant_values", lambda x: ad.pad(x, ((1, 2), (0, 1)), constant_values=((1, 2), (3, 4))), lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=((1, 2), (3, 4))), [(2, 3)]),
    Case("pad edge", lambda x: ad.pad(x, (2, 1), mode="edge"), lambda x: np.pad(x, (2, 1), mode="edge"), [(2, 3)]),
    Case("pad reflect, wider than the axis", lambda x: ad.pad(x, ((4, 5), (1, 0)), mode="reflect"), lambda x: np.pad(x, ((4, 5), (1, 0)), mode="reflect"), [(2, 3)]),
    Case("pad symmetric", lambda x: ad.pad(x, 3, mode="symmetric"), lambda x: np.pad(x, 3, mode="symmetric"), [(2, 2)]),
    Case("pad wrap, dict widths", lambda x: ad.pad(x, {-1: (4, 1)}, mode="wrap"), lambda x: np.pad(x, {-1: (4, 1)}, mode="wrap"), [(2, 3)]),
    # index expressions NumPy reorders or mixes
    Case("index arrays apart", lambda x: x[[0, 1], :, [2, 3]], lambda x: x[[0, 1], :, [2, 3]], [(2, 3, 4)]),
    Case("index mask, int and slice", lambda x: x[1, ::-2, MIXED_MASK], lambda x: x[1, ::-2, MIXED_MASK], [(2, 3, 4)]),
    Case("index 0-d array, None, ellipsis", lambda x: x[np.array(1), None, ..., [0, 0]], lambda x: x[np.array(1), None, ..., [0, 0]], [(2, 3, 2)]),
]
