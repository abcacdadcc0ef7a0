"""Conformance entries for shape and view ops: reshape/view/flatten, (un)squeeze, permutes, expand,
copies, splits, joins, narrow/select, roll, repeat, flip, tril/triu, masked_fill, atleast_Nd, pad.

Every entry tests all dtypes (dtypes=None): keraunos must accept exactly what PyTorch accepts.
Samples include calls torch rejects (bad dims, sizes that do not match) so rejection is checked too.
"""

import torch

from .core import OpInfo, Sample, make_tensor

F = torch.nn.functional


def _t(shape, dtype, **kw):
    return make_tensor(shape, dtype, **kw)


def _nc(shape, dtype):
    return make_tensor(shape, dtype, noncontiguous=True)


def _scalar_for(dtype):
    """A Python number of the kind a dtype holds (fill values)."""
    if dtype == torch.bool:
        return True
    if dtype.is_floating_point or dtype.is_complex:
        return 1.5
    return 3


# ---- reshape family --------------------------------------------------------------------------


def reshape_samples(dtype, view=False):
    yield Sample((_t((3, 4), dtype), (4, 3)))
    yield Sample((_t((3, 4), dtype), (-1,)))
    yield Sample((_t((3, 4), dtype), (2, -1, 2)))
    yield Sample((_t((3, 4), dtype), (3, 4)), note="same shape")
    yield Sample((_t((), dtype), (1,)))
    yield Sample((_t((), dtype), ()))
    yield Sample((_t((), dtype), (-1,)))
    yield Sample((_t((1, 1), dtype), ()))
    yield Sample((_t((0, 3), dtype), (3, 0)))
    yield Sample((_t((0, 3), dtype), (-1, 3)))
    yield Sample((_t((0, 3), dtype), (0, -1)), note="ambiguous -1: torch rejects")
    yield Sample((_t((2, 3), dtype), (5,)), note="wrong numel")
    yield Sample((_t((2, 3), dtype), (-1, -1)), note="two -1")
    yield Sample((_t((2, 3), dtype), (-2, 3)), note="negative size")
    yield Sample((_t((2, 3), dtype), (4, -1)), note="-1 does not divide")
    # Noncontiguous (every other element of the last dim): keep the last dim so torch's view works too.
    yield Sample((_nc((4, 3), dtype), (2, 2, 3)), note="noncontiguous")
    kw = "size" if view else "shape"
    yield Sample((_t((2, 6), dtype),), {kw: (3, 4)}, note="keyword")
    if view:
        yield Sample((_t((2, 6), dtype), dtype), note="view(dtype), same dtype")
        yield Sample((_t((2, 6), dtype), torch.int8 if dtype != torch.int8 else torch.uint8), note="view(dtype): a bitcast")


_VIEW_SKIPS = (
    (
        lambda dt, s: len(s.args) > 1 and isinstance(s.args[1], torch.dtype) and s.args[1] != dt,
        "view(dtype) to another dtype reinterprets bytes (a bitcast), which has no prim: keraunos rejects it",
    ),
)


def flatten_samples(dtype):
    yield Sample((_t((2, 3, 4), dtype),))
    yield Sample((_t((2, 3, 4), dtype), 1))
    yield Sample((_t((2, 3, 4), dtype), 1, 2))
    yield Sample((_t((2, 3, 4), dtype), -2, -1))
    yield Sample((_t((2, 3, 4), dtype), 1, 1))
    yield Sample((_t((2, 3, 4), dtype), 2, 1), note="start after end")
    yield Sample((_t((), dtype),))
    yield Sample((_t((), dtype), 0, -1))
    yield Sample((_t((), dtype), 1), note="dim out of range")
    yield Sample((_t((0, 3, 2), dtype), 1))
    yield Sample((_nc((3, 4), dtype),), note="noncontiguous")
    yield Sample((_t((2, 3, 4), dtype),), {"start_dim": 0, "end_dim": 1}, note="keywords")


def unflatten_samples(dtype):
    yield Sample((_t((6, 2), dtype), 0, (2, 3)))
    yield Sample((_t((6, 2), dtype), 0, (-1, 3)))
    yield Sample((_t((6, 2), dtype), -1, (2, 1)))
    yield Sample((_t((6, 2), dtype), 1, (1, 2, 1)))
    yield Sample((_t((0,), dtype), 0, (2, -1)))
    yield Sample((_t((0,), dtype), 0, (-1, 0)), note="ambiguous -1")
    yield Sample((_t((6,), dtype), 0, (4, -1)), note="does not divide")
    yield Sample((_t((6,), dtype), 0, ()), note="empty sizes")
    yield Sample((_t((), dtype), 0, (1,)), note="0-d input")
    yield Sample((_nc((6, 4), dtype), 0, (3, 2)), note="noncontiguous")
    yield Sample((_t((4, 6), dtype),), {"dim": 1, "sizes": (2, 3)}, note="keywords")


def unsqueeze_samples(dtype):
    for shape, dim in [((), 0), ((), -1), ((2, 3), 0), ((2, 3), 2), ((2, 3), -1), ((2, 3), -3), ((0, 3), 1), ((), 1), ((2, 3), 3)]:
        yield Sample((_t(shape, dtype), dim))
    yield Sample((_nc((2, 3), dtype), 1), note="noncontiguous")
    yield Sample((_t((2, 3), dtype),), {"dim": 1}, note="keyword")


def squeeze_samples(dtype):
    yield Sample((_t((1, 2, 1), dtype),))
    yield Sample((_t((1, 2, 1), dtype), 1), note="dim of size 2 stays")
    yield Sample((_t((1, 2, 1), dtype), -1))
    yield Sample((_t((1, 2, 1), dtype), (0, 2)))
    yield Sample((_t((1, 2, 1), dtype), ()))
    yield Sample((_t((1, 2, 1), dtype), (0, 0)), note="repeated dim")
    yield Sample((_t((1, 2, 1), dtype), 3), note="dim out of range")
    yield Sample((_t((), dtype),))
    yield Sample((_t((), dtype), 0))
    yield Sample((_t((0, 1), dtype),))
    yield Sample((_nc((1, 3), dtype),), note="noncontiguous")
    yield Sample((_t((2, 1), dtype),), {"dim": 1}, note="keyword")


def permute_samples(dtype):
    yield Sample((_t((2, 3, 4), dtype), (2, 0, 1)))
    yield Sample((_t((2, 3, 4), dtype), (-1, 0, 1)))
    yield Sample((_t((2, 3), dtype), (0, 1)))
    yield Sample((_t((), dtype), ()))
    yield Sample((_t((0, 3), dtype), (1, 0)))
    yield Sample((_t((2, 3), dtype), (1, 1)), note="repeated dim")
    yield Sample((_t((2, 3), dtype), (1,)), note="wrong length")
    yield Sample((_nc((2, 3), dtype), (1, 0)), note="noncontiguous")
    yield Sample((_t((2, 3), dtype),), {"dims": (1, 0)}, note="keyword")


def transpose_samples(dtype, names=("dim0", "dim1")):
    yield Sample((_t((2, 3, 4), dtype), 0, 2))
    yield Sample((_t((2, 3, 4), dtype), -1, 0))
    yield Sample((_t((2, 3), dtype), 1, 1))
    yield Sample((_t((), dtype), 0, -1))
    yield Sample((_t((0, 3), dtype), 0, 1))
    yield Sample((_t((2, 3), dtype), 0, 2), note="dim out of range")
    yield Sample((_nc((2, 3), dtype), 0, 1), note="noncontiguous")
    yield Sample((_t((2, 3), dtype),), {names[0]: 0, names[1]: 1}, note="keywords")


def t_samples(dtype):
    for s in [(), (3,), (2, 3), (0, 3), (2, 3, 4)]:
        yield Sample((_t(s, dtype),))
    yield Sample((_nc((2, 3), dtype),), note="noncontiguous")


def movedim_samples(dtype):
    yield Sample((_t((2, 3, 4), dtype), 0, -1))
    yield Sample((_t((2, 3, 4), dtype), (0, 1), (2, 0)))
    yield Sample((_t((2, 3, 4), dtype), (0, 1), (2,)), note="length mismatch")
    yield Sample((_t((2, 3, 4), dtype), (0, 0), (2, 1)), note="repeated source")
    yield Sample((_t((), dtype), 0, 0))
    yield Sample((_t((0, 3), dtype), 1, 0))
    yield Sample((_nc((2, 3, 4), dtype), -1, 0), note="noncontiguous")
    yield Sample((_t((2, 3, 4), dtype),), {"source": 1, "destination": 2}, note="keywords")


def expand_samples(dtype, method=True):
    yield Sample((_t((3, 1), dtype), (2, 3, 4)))
    yield Sample((_t((3, 1), dtype), (-1, 4)))
    yield Sample((_t((3, 1), dtype), (2, -1, -1)))
    yield Sample((_t((3, 1), dtype), (3, 0)))
    yield Sample((_t((3, 1), dtype), (0, 3, 1)), note="new leading dim of size 0")
    yield Sample((_t((0, 1), dtype), (0, 5)))
    yield Sample((_t((), dtype), ()))
    yield Sample((_t((), dtype), (2, 3)))
    yield Sample((_t((3, 1), dtype), (3,)), note="fewer sizes than dims")
    yield Sample((_t((3, 1), dtype), (-1, 2, 4)), note="-1 in a new leading dim")
    yield Sample((_t((3, 1), dtype), (2, 1)), note="non-singleton mismatch")
    yield Sample((_nc((3, 1), dtype), (2, 3, 5)), note="noncontiguous")
    yield Sample((_t((1, 4), dtype),), {"size": (3, 4)}, note="keyword")


def expand_as_samples(dtype):
    yield Sample((_t((3, 1), dtype), _t((2, 3, 4), dtype)))
    yield Sample((_t((), dtype), _t((2, 3), torch.float32)))
    yield Sample((_t((3, 1), dtype), _t((3, 1), dtype)))
    yield Sample((_t((3, 2), dtype), _t((3, 4), dtype)), note="mismatch")
    yield Sample((_nc((3, 1), dtype), _t((3, 5), dtype)), note="noncontiguous")


def copy_samples(dtype, contiguous=False):
    # torch.memory_format values travel as their names; the reference maps them back.
    yield Sample((_t((2, 3), dtype),))
    yield Sample((_nc((3, 4), dtype),), note="noncontiguous")
    yield Sample((_t((), dtype),))
    yield Sample((_t((0, 3), dtype),))
    yield Sample((_t((2, 3), dtype),), {"memory_format": "contiguous_format"})
    yield Sample((_t((2, 3), dtype),), {"memory_format": "preserve_format"})
    yield Sample((_t((2, 3), dtype),), {"memory_format": "channels_last"}, note="channels_last needs rank 4: torch rejects")
    yield Sample((_t((2, 3, 4, 5), dtype),), {"memory_format": "channels_last"}, note="strides are not modelled")


def _with_memory_format(fn):
    def ref(a, memory_format=None):
        if memory_format is None:
            return fn(a)
        return fn(a, memory_format=getattr(torch, memory_format))

    return ref


_CHANNELS_LAST = (
    (
        lambda dt, s: s.kwargs.get("memory_format") == "channels_last" and s.args[0].dim() == 4,
        "keraunos traces carry no strides: memory_format=torch.channels_last is rejected rather than ignored",
    ),
)


# ---- splits ----------------------------------------------------------------------------------


def chunk_samples(dtype):
    yield Sample((_t((5,), dtype), 3))
    yield Sample((_t((6,), dtype), 4))
    yield Sample((_t((6,), dtype), 1))
    yield Sample((_t((0,), dtype), 3))
    yield Sample((_t((2, 0), dtype), 3, 1))
    yield Sample((_t((4, 3), dtype), 2, -1))
    yield Sample((_t((4,), dtype), 0), note="zero chunks")
    yield Sample((_t((), dtype), 1), note="0-d")
    yield Sample((_nc((3, 4), dtype), 2, 1), note="noncontiguous")
    yield Sample((_t((7, 2), dtype),), {"chunks": 3, "dim": 0}, note="keywords")


def split_samples(dtype):
    yield Sample((_t((5,), dtype), 2))
    yield Sample((_t((5,), dtype), 7))
    yield Sample((_t((5,), dtype), [2, 3]))
    yield Sample((_t((5,), dtype), (5,)))
    yield Sample((_t((0,), dtype), 3))
    yield Sample((_t((0,), dtype), 0))
    yield Sample((_t((3, 4), dtype), 3, 1))
    yield Sample((_t((3, 4), dtype), [1, 0, 3], -1))
    yield Sample((_t((5,), dtype), 0), note="split_size 0")
    yield Sample((_t((5,), dtype), -1), note="negative split_size")
    yield Sample((_t((5,), dtype), [2, 2]), note="sizes do not sum")
    yield Sample((_t((), dtype), 1), note="0-d")
    yield Sample((_nc((3, 4), dtype), 2, 1), note="noncontiguous")
    yield Sample((_t((4, 2), dtype),), {"split_size_or_sections": [1, 3], "dim": 0}, note="keywords")


def tensor_split_samples(dtype):
    yield Sample((_t((7,), dtype), 3))
    yield Sample((_t((7,), dtype), [2, 5]))
    yield Sample((_t((7,), dtype), [5, 2]))
    yield Sample((_t((7,), dtype), [-2, 10]))
    yield Sample((_t((7,), dtype), []))
    yield Sample((_t((2,), dtype), 5))
    yield Sample((_t((3, 7), dtype), (1, 4), 1))
    yield Sample((_t((0, 2), dtype), 2))
    yield Sample((_t((7,), dtype), 0), note="zero sections")
    yield Sample((_t((), dtype), 1), note="0-d")
    yield Sample((_nc((3, 4), dtype), 3, 1), note="noncontiguous")
    yield Sample((_t((4, 3), dtype), 2), {"dim": 1}, note="keyword")
    yield Sample((_t((7,), dtype), torch.tensor([2, 5])), note="tensor indices")


_TENSOR_SPLIT_SKIPS = (
    (
        lambda dt, s: len(s.args) > 1 and isinstance(s.args[1], torch.Tensor),
        "a tensor of indices_or_sections has data-dependent output sizes: keraunos rejects it",
    ),
)


def unbind_samples(dtype):
    yield Sample((_t((3, 2), dtype),))
    yield Sample((_t((3, 2), dtype), 1))
    yield Sample((_t((3, 2), dtype), -1))
    yield Sample((_t((0, 2), dtype), 1))
    yield Sample((_t((), dtype),), note="0-d")
    yield Sample((_nc((2, 3), dtype), 1), note="noncontiguous")
    yield Sample((_t((2, 2), dtype),), {"dim": 1}, note="keyword")


# ---- joins -----------------------------------------------------------------------------------


def _other(dtype):
    return torch.int32 if dtype != torch.int32 else torch.float64


def cat_samples(dtype):
    yield Sample(([_t((2, 3), dtype), _t((4, 3), dtype)],))
    yield Sample(([_t((2, 3), dtype), _t((2, 1), dtype), _t((2, 2), dtype)], 1))
    yield Sample(([_t((2, 3), dtype), _t((2, 1), dtype)], -1))
    yield Sample(([_t((0, 3), dtype), _t((2, 3), dtype)],), note="0-size")
    yield Sample(([_t((2, 0), dtype), _t((3, 0), dtype)],), note="0-size")
    yield Sample(([_t((3,), dtype)],), note="one tensor")
    yield Sample(([_t((0,), dtype), _t((2, 3), dtype)], 1), note="legacy empty 1-D is skipped")
    yield Sample(([_t((0,), dtype), _t((0,), _other(dtype))],), note="all legacy empty")
    yield Sample(([_t((2, 3), dtype), _t((1, 3), _other(dtype))],), note="type promotion")
    yield Sample(([_t((2,), dtype), _t((1,), torch.bool), _t((1,), torch.float64)],), note="type promotion")
    yield Sample(([_t((), dtype), _t((), dtype)],), note="0-d")
    yield Sample(([_t((2, 3), dtype), _t((2, 3, 1), dtype)],), note="rank mismatch")
    yield Sample(([_t((2, 3), dtype), _t((2, 4), dtype)],), note="size mismatch")
    yield Sample(([_t((2, 3), dtype), _t((2, 3), dtype)], 2), note="dim out of range")
    yield Sample(([],), note="empty list")
    yield Sample(([_nc((2, 4), dtype), _t((2, 4), dtype)], 1), note="noncontiguous")
    yield Sample(([_t((2, 2), dtype), _t((2, 2), dtype)],), {"dim": 1}, note="keyword")


def stack_samples(dtype):
    for d in [0, 1, 2, -1]:
        yield Sample(([_t((2, 3), dtype), _t((2, 3), dtype)], d))
    yield Sample(([_t((), dtype), _t((), dtype)],))
    yield Sample(([_t((0, 3), dtype), _t((0, 3), dtype)], 1))
    yield Sample(([_t((2, 3), dtype), _t((2, 3), _other(dtype))],), note="type promotion")
    yield Sample(([_t((2,), dtype), _t((3,), dtype)],), note="size mismatch")
    yield Sample(([_t((2,), dtype), _t((2,), dtype)], 2), note="dim out of range")
    yield Sample(([_t((2,), dtype)],), note="one tensor")
    yield Sample(([],), note="empty list")
    yield Sample(([_nc((2, 3), dtype), _t((2, 3), dtype)], 1), note="noncontiguous")
    yield Sample(([_t((2,), dtype), _t((2,), dtype)],), {"dim": 1}, note="keyword")


def hstack_samples(dtype):
    yield Sample(([_t((), dtype), _t((2,), dtype)],))
    yield Sample(([_t((2, 3), dtype), _t((2, 1), dtype)],))
    yield Sample(([_t((3,), dtype), _t((2,), _other(dtype))],), note="type promotion")
    yield Sample(([_t((2, 3, 4), dtype), _t((2, 1, 4), dtype)],))
    yield Sample(([_t((2, 3), dtype), _t((3, 1), dtype)],), note="size mismatch")
    yield Sample(([],), note="empty list")
    yield Sample(([_nc((2, 4), dtype)],), note="noncontiguous")


def vstack_samples(dtype):
    yield Sample(([_t((3,), dtype), _t((2, 3), dtype)],))
    yield Sample(([_t((), dtype), _t((), dtype)],))
    yield Sample(([_t((2, 3, 4), dtype), _t((1, 3, 4), dtype)],))
    yield Sample(([_t((3,), dtype), _t((3,), _other(dtype))],), note="type promotion")
    yield Sample(([_t((3,), dtype), _t((4,), dtype)],), note="size mismatch")
    yield Sample(([_nc((2, 4), dtype), _t((4,), dtype)],), note="noncontiguous")


def atleast_samples(dtype):
    for s in [(), (3,), (2, 3), (2, 3, 4), (0,), (2, 0, 1, 3)]:
        yield Sample((_t(s, dtype),))
    yield Sample(([_t((), dtype), _t((2,), dtype), _t((2, 3), dtype)],), note="sequence")
    yield Sample((_nc((2, 4), dtype),), note="noncontiguous")


# ---- narrow / select -------------------------------------------------------------------------


def narrow_samples(dtype):
    yield Sample((_t((5,), dtype), 0, -2, 2))
    yield Sample((_t((5,), dtype), 0, -5, 5))
    yield Sample((_t((5,), dtype), 0, 5, 0))
    yield Sample((_t((3, 4), dtype), 1, 1, 2))
    yield Sample((_t((3, 4), dtype), -2, 0, 1))
    yield Sample((_t((5,), dtype), 0, -6, 1), note="start out of range")
    yield Sample((_t((5,), dtype), 0, 3, 3), note="past the end")
    yield Sample((_t((5,), dtype), 0, 2, -1), note="negative length")
    yield Sample((_t((), dtype), 0, 0, 1), note="0-d")
    yield Sample((_t((3, 4), dtype), 1, torch.tensor(1), 2), note="0-d tensor start")
    yield Sample((_t((3, 4), dtype), 1, torch.tensor(-3, dtype=torch.int32), 3), note="negative 0-d tensor start")
    yield Sample((_t((3, 4), dtype), 1, torch.tensor([1]), 2), note="1-D start")
    yield Sample((_t((3, 4), dtype), 1, 1.0, 2), note="float start")
    yield Sample((_nc((3, 4), dtype), 1, 1, 2), note="noncontiguous")
    yield Sample((_t((4, 3), dtype),), {"dim": 0, "start": 1, "length": 2}, note="keywords")


def select_samples(dtype):
    yield Sample((_t((5,), dtype), 0, -5))
    yield Sample((_t((3, 4), dtype), 1, 2))
    yield Sample((_t((3, 4), dtype), -1, -1))
    yield Sample((_t((3, 0), dtype), 0, 1))
    yield Sample((_t((3, 4), dtype), 0, 3), note="index out of range")
    yield Sample((_t((0,), dtype), 0, 0), note="index out of range")
    yield Sample((_t((), dtype), 0, 0), note="0-d")
    yield Sample((_t((3, 4), dtype), 1, torch.tensor(2)), note="0-d tensor index")
    yield Sample((_t((3, 4), dtype), 0, torch.tensor(-1, dtype=torch.int32)), note="negative 0-d tensor index")
    yield Sample((_t((3, 4), dtype), 0, 1.0), note="float index")
    yield Sample((_nc((3, 4), dtype), 1, 1), note="noncontiguous")
    yield Sample((_t((4, 3), dtype),), {"dim": 1, "index": 0}, note="keywords")


# ---- roll / repeat / flip --------------------------------------------------------------------


def roll_samples(dtype):
    yield Sample((_t((), dtype), 1))
    yield Sample((_t((2, 3), dtype), 2))
    yield Sample((_t((2, 3), dtype), (1, 2), (0, 1)))
    yield Sample((_t((2, 3), dtype), (1, 1), (1, 1)), note="repeated dim")
    yield Sample((_t((2, 3), dtype), -4, 1))
    yield Sample((_t((2, 3), dtype), 7, -1))
    yield Sample((_t((2, 3), dtype), (1,), ()), note="empty dims: flattened")
    yield Sample((_t((0, 3), dtype), 1))
    yield Sample((_t((0, 3), dtype), 1, 0))
    yield Sample((_t((2, 3), dtype), (1, 2), (0,)), note="shifts and dims differ")
    yield Sample((_t((2, 3), dtype), (1, 2)), note="two shifts, no dims")
    yield Sample((_t((2, 3), dtype), ()), note="no shifts")
    yield Sample((_t((), dtype), 1, 0), note="dims on a 0-d tensor")
    yield Sample((_nc((3, 4), dtype), 1, 1), note="noncontiguous")
    yield Sample((_t((3, 4), dtype),), {"shifts": (1, -1), "dims": (1, 0)}, note="keywords")


def repeat_samples(dtype):
    yield Sample((_t((2, 3), dtype), (2, 1, 3)))
    yield Sample((_t((2, 3), dtype), (2, 1, 0)))
    yield Sample((_t((2, 3), dtype), (1, 1)))
    yield Sample((_t((), dtype), ()))
    yield Sample((_t((), dtype), (3,)))
    yield Sample((_t((0, 2), dtype), (2, 2)))
    yield Sample((_t((2, 3), dtype), (2,)), note="fewer repeats than dims")
    yield Sample((_t((2,), dtype), (-1, 2)), note="negative repeat")
    yield Sample((_nc((2, 3), dtype), (2, 2)), note="noncontiguous")
    yield Sample((_t((2,), dtype),), {"repeats": (3, 1)}, note="keyword")


def _reps(n, dtype=torch.int64):
    r = make_tensor((n,), dtype, low=0, high=3)
    return r, int(r.sum())


def repeat_interleave_samples(dtype):
    yield Sample((_t((2, 3), dtype), 2))
    yield Sample((_t((2, 3), dtype), 2, 1))
    yield Sample((_t((2, 3), dtype), 0, 0))
    yield Sample((_t((), dtype), 3))
    yield Sample((_t((0, 3), dtype), 2, 0))
    yield Sample((_t((2, 3), dtype), 2, -1), {"output_size": 6})
    yield Sample((_t((2, 3), dtype), 2, 1), {"output_size": 7}, note="wrong output_size")
    yield Sample((_t((), dtype), 2, 0), note="dim on a 0-d input")
    yield Sample((_t((2, 3), dtype), -1), note="negative repeats")
    r, n = _reps(3)
    yield Sample((_t((2, 3), dtype), r, 1), {"output_size": n}, note="tensor repeats")
    r, n = _reps(6, torch.int32)
    yield Sample((_t((2, 3), dtype), r), {"output_size": n}, note="int32 tensor repeats, flattened")
    yield Sample((_t((2, 3), dtype), torch.tensor([2]), 1), {"output_size": 6}, note="one repeat value")
    yield Sample((_t((2, 3), dtype), torch.tensor(2), 0), {"output_size": 4}, note="0-d repeats")
    yield Sample((_t((2, 3), dtype), torch.tensor([1, 2]), 1), {"output_size": 3}, note="repeats of the wrong size")
    yield Sample((_t((2, 3), dtype), torch.tensor([[1, 2, 0]]), 1), {"output_size": 3}, note="2-D repeats")
    yield Sample((_t((2, 3), dtype), torch.tensor([1.0, 2.0, 0.0]), 1), {"output_size": 3}, note="float repeats")
    yield Sample((_nc((2, 3), dtype), 2, 1), note="noncontiguous")
    if dtype in (torch.int64, torch.int32):
        r, n = _reps(4, dtype)
        yield Sample((r,), {"output_size": n}, note="repeat_interleave(repeats)")
    r, _ = _reps(3)
    yield Sample((_t((2, 3), dtype), r, 1), note="tensor repeats without output_size")


_REPEAT_INTERLEAVE_SKIPS = (
    (
        lambda dt, s: (
            "output_size" not in s.kwargs
            and len(s.args) > 1
            and isinstance(s.args[1], torch.Tensor)
            and s.args[1].dtype in (torch.int64, torch.int32)
            and s.args[1].dim() <= 1
        ),
        "tensor repeats without output_size give a data-dependent size: keraunos rejects them (pass output_size)",
    ),
)


def flip_samples(dtype):
    yield Sample((_t((2, 3), dtype), (0,)))
    yield Sample((_t((2, 3, 4), dtype), (0, 2)))
    yield Sample((_t((2, 3, 4), dtype), (-1,)))
    yield Sample((_t((2, 3), dtype), ()))
    yield Sample((_t((), dtype), (0,)))
    yield Sample((_t((0, 3), dtype), (1,)))
    yield Sample((_t((2, 3), dtype), (0, -2)), note="repeated dim")
    yield Sample((_t((2, 3), dtype), (2,)), note="dim out of range")
    yield Sample((_nc((3, 4), dtype), (0, 1)), note="noncontiguous")
    yield Sample((_t((3, 4), dtype),), {"dims": (1,)}, note="keyword")


def tri_samples(dtype):
    yield Sample((_t((3, 4), dtype),))
    yield Sample((_t((4, 3), dtype), 1))
    yield Sample((_t((4, 3), dtype), -1))
    yield Sample((_t((2, 3, 4), dtype), -2))
    yield Sample((_t((3, 3), dtype), 5))
    yield Sample((_t((0, 3), dtype),))
    yield Sample((_t((3,), dtype),), note="1-D")
    yield Sample((_t((), dtype),), note="0-d")
    yield Sample((_nc((3, 4), dtype),), note="noncontiguous")
    yield Sample((_t((3, 4), dtype),), {"diagonal": 1}, note="keyword")


def masked_fill_samples(dtype):
    v = _scalar_for(dtype)
    mask = lambda s: make_tensor(s, torch.bool)
    yield Sample((_t((3, 4), dtype), mask((3, 4)), v))
    yield Sample((_t((3, 4), dtype), mask((4,)), v), note="mask broadcasts")
    yield Sample((_t((), dtype), mask((3,)), v), note="input broadcasts")
    yield Sample((_t((3,), dtype), mask(()), v))
    yield Sample((_t((0, 3), dtype), mask((0, 3)), v))
    yield Sample((_t((3, 4), dtype), mask((3, 4)), _t((), dtype)), note="0-d tensor value")
    yield Sample((_t((3, 4), dtype), mask((3, 4)), _t((), torch.float64, low=0.5, high=3)), note="0-d float64 value")
    yield Sample((_t((3, 4), dtype), mask((3, 4)), _t((), torch.complex64)), note="0-d complex value")
    yield Sample((_t((3, 4), dtype), mask((3, 4)), 2.5), note="float value")
    yield Sample((_t((3, 4), dtype), mask((3, 4)), False), note="bool value")
    yield Sample((_t((3, 4), dtype), make_tensor((3, 4), torch.uint8, low=0, high=2), v), note="uint8 mask")
    yield Sample((_t((3, 4), dtype), mask((3, 4)), _t((1,), dtype)), note="1-D value")
    yield Sample((_t((3, 4), dtype), mask((2, 4)), v), note="mask does not broadcast")
    yield Sample((_nc((3, 4), dtype), mask((3, 4)), v), note="noncontiguous")
    yield Sample((_t((3, 4), dtype),), {"mask": mask((3, 4)), "value": v}, note="keywords")


def pad_samples(dtype):
    v = 2.0 if not dtype.is_complex else 1.5
    yield Sample((_t((2, 3), dtype), (1, 2)))
    yield Sample((_t((2, 3), dtype), (1, 2, -1, 3)))
    yield Sample((_t((2, 3, 4), dtype), (1, 1, 0, 0, 2, 0)))
    yield Sample((_t((2, 3), dtype), (-2, -1)), note="crops to 0")
    yield Sample((_t((2, 3), dtype), (-1, 0, 1, -1)), note="negative pads crop")
    yield Sample((_t((2, 3), dtype), ()))
    yield Sample((_t((), dtype), ()))
    yield Sample((_t((0, 3), dtype), (1, 1, 1, 1)))
    yield Sample((_t((2, 3), dtype), (1, 1)), {"value": v})
    yield Sample((_t((2, 3), dtype), (1, 1), "constant", v), note="positional mode and value")
    yield Sample((_t((2, 3), dtype), (1, 2, -1, 3, 1, 1)), note="pad longer than 2*rank")
    yield Sample((_t((2, 3), dtype), (1,)), note="odd pad length")
    yield Sample((_t((2, 3), dtype), (-2, -2)), note="negative size")
    yield Sample((_nc((2, 3), dtype), (1, 2)), note="noncontiguous")
    yield Sample((_t((2, 3, 4), dtype), (1, 1)), {"mode": "reflect"}, note="reflect")


_PAD_SKIPS = (
    (
        lambda dt, s: s.kwargs.get("mode", "constant") != "constant",
        "keraunos implements mode='constant' only; reflect/replicate/circular are rejected",
    ),
)


OPS = [
    OpInfo("torch.reshape", torch.reshape, reshape_samples, dtypes=None),
    OpInfo(
        "torch.Tensor.view",
        lambda a, size: a.view(size),
        lambda dt: reshape_samples(dt, view=True),
        dtypes=None,
        skips=_VIEW_SKIPS,
        note="functional: same semantics as reshape (keraunos has no strides, so no view-compatibility check)",
    ),
    OpInfo("torch.flatten", torch.flatten, flatten_samples, dtypes=None),
    OpInfo("torch.unflatten", torch.unflatten, unflatten_samples, dtypes=None),
    OpInfo("torch.unsqueeze", torch.unsqueeze, unsqueeze_samples, dtypes=None),
    OpInfo("torch.squeeze", torch.squeeze, squeeze_samples, dtypes=None),
    OpInfo("torch.permute", torch.permute, permute_samples, dtypes=None),
    OpInfo("torch.transpose", torch.transpose, transpose_samples, dtypes=None),
    OpInfo("torch.swapaxes", torch.swapaxes, lambda dt: transpose_samples(dt, ("axis0", "axis1")), dtypes=None),
    OpInfo("torch.t", torch.t, t_samples, dtypes=None),
    OpInfo("torch.movedim", torch.movedim, movedim_samples, dtypes=None),
    OpInfo("torch.Tensor.expand", lambda a, size: a.expand(size), expand_samples, dtypes=None),
    OpInfo("torch.Tensor.expand_as", lambda a, other: a.expand_as(other), expand_as_samples, dtypes=None),
    OpInfo("torch.broadcast_to", torch.broadcast_to, expand_samples, dtypes=None),
    OpInfo(
        "torch.Tensor.contiguous",
        _with_memory_format(lambda a, **kw: a.contiguous(**kw)),
        copy_samples,
        dtypes=None,
        skips=_CHANNELS_LAST,
        note="memory_format is passed by name ('contiguous_format')",
    ),
    OpInfo(
        "torch.clone",
        _with_memory_format(torch.clone),
        copy_samples,
        dtypes=None,
        skips=_CHANNELS_LAST,
        note="memory_format is passed by name ('preserve_format')",
    ),
    OpInfo("torch.chunk", torch.chunk, chunk_samples, dtypes=None),
    OpInfo("torch.split", torch.split, split_samples, dtypes=None),
    OpInfo("torch.tensor_split", torch.tensor_split, tensor_split_samples, dtypes=None, skips=_TENSOR_SPLIT_SKIPS),
    OpInfo("torch.unbind", torch.unbind, unbind_samples, dtypes=None),
    OpInfo("torch.cat", torch.cat, cat_samples, dtypes=None),
    OpInfo("torch.stack", torch.stack, stack_samples, dtypes=None),
    OpInfo("torch.hstack", torch.hstack, hstack_samples, dtypes=None),
    OpInfo("torch.vstack", torch.vstack, vstack_samples, dtypes=None),
    OpInfo("torch.atleast_1d", torch.atleast_1d, atleast_samples, dtypes=None),
    OpInfo("torch.atleast_2d", torch.atleast_2d, atleast_samples, dtypes=None),
    OpInfo("torch.atleast_3d", torch.atleast_3d, atleast_samples, dtypes=None),
    OpInfo("torch.narrow", torch.narrow, narrow_samples, dtypes=None),
    OpInfo("torch.select", torch.select, select_samples, dtypes=None),
    OpInfo("torch.roll", torch.roll, roll_samples, dtypes=None),
    OpInfo("torch.Tensor.repeat", lambda a, repeats: a.repeat(repeats), repeat_samples, dtypes=None),
    OpInfo("torch.repeat_interleave", torch.repeat_interleave, repeat_interleave_samples, dtypes=None, skips=_REPEAT_INTERLEAVE_SKIPS),
    OpInfo("torch.flip", torch.flip, flip_samples, dtypes=None),
    OpInfo("torch.tril", torch.tril, tri_samples, dtypes=None),
    OpInfo("torch.triu", torch.triu, tri_samples, dtypes=None),
    OpInfo("torch.masked_fill", torch.masked_fill, masked_fill_samples, dtypes=None),
    OpInfo("torch.nn.functional.pad", F.pad, pad_samples, dtypes=None, skips=_PAD_SKIPS),
]
