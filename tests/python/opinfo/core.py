"""The conformance table's building blocks: OpInfo, Sample, tensor makers and sample generators.

One table (opinfo.ALL_OPS) lists every op once. For each op it gives the callable that runs the
same computation in PyTorch (`ref`), the dtypes the op supports, and a sample-input generator.
The meta test checks keraunos' shapes and dtypes against PyTorch; executor tests reuse the table
to check numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

import torch

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
COMPLEX_DTYPES = (torch.complex64, torch.complex128)
ALL_DTYPES = (torch.bool,) + INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES
REAL_DTYPES = INT_DTYPES + FLOAT_DTYPES
NUMERIC_DTYPES = INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES


@dataclasses.dataclass
class Sample:
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    note: str = ""

    def __repr__(self) -> str:
        def short(x):
            if isinstance(x, torch.Tensor):
                nc = "" if x.is_contiguous() else " noncontig"
                return f"T{list(x.shape)}{str(x.dtype)[6:]}{nc}"
            if isinstance(x, (list, tuple)):
                return "(" + ", ".join(short(e) for e in x) + ")"
            return repr(x)

        kw = ", ".join(f"{k}={short(v)}" for k, v in self.kwargs.items())
        return f"Sample({short(self.args)}{', ' + kw if kw else ''}{' # ' + self.note if self.note else ''})"


@dataclasses.dataclass
class OpInfo:
    id: str  # the keraunos symbol id, e.g. "torch.add" or "prims.broadcast_in_dim"
    ref: Callable  # runs the same computation in PyTorch
    samples: Callable[[torch.dtype], Iterable[Sample]]
    # The dtypes to test. None: every dtype, and keraunos must accept exactly what PyTorch accepts.
    dtypes: Sequence[torch.dtype] | None
    # With explicit dtypes: every other dtype must be rejected by keraunos (prims' strict contract).
    strict_dtypes: bool = False
    # Outputs that are not comparable element by element (random ops, uninitialized memory).
    compare_values: bool = True
    # Absolute/relative tolerances per dtype for numeric checks (executors' tests).
    atol: dict | None = None
    rtol: dict | None = None
    # Some torch ops only exist as methods or need a wrapper; keep a note for the docs.
    note: str = ""
    # Known, documented divergences: (predicate(dtype, sample) -> bool, reason). Skipped samples
    # are listed in docs/ops.md.
    skips: tuple = ()

    def skip_reason(self, dtype, sample):
        for pred, reason in self.skips:
            if pred(dtype, sample):
                return reason
        return None

    @property
    def is_prim(self) -> bool:
        return self.id.startswith("prims.")


def make_tensor(shape, dtype, *, noncontiguous=False, low=None, high=None, requires_grad=False, device="cpu"):
    """Random values suited to the dtype; never all zeros. noncontiguous gives a strided view."""
    shape = tuple(shape)
    if noncontiguous and len(shape) >= 1 and all(s > 0 for s in shape):
        # Allocate a larger buffer and take every other element of the last dimension.
        big = make_tensor(shape[:-1] + (shape[-1] * 2,), dtype, low=low, high=high, device=device)
        t = big[..., ::2]
        assert not t.is_contiguous() or t.numel() <= 1
        return t.requires_grad_(requires_grad) if requires_grad else t
    if dtype == torch.bool:
        t = torch.rand(shape, device=device) > 0.5
    elif dtype.is_complex:
        t = torch.randn(shape, dtype=dtype, device=device)
    elif dtype.is_floating_point:
        lo = -3.0 if low is None else low
        hi = 3.0 if high is None else high
        t = (torch.rand(shape, dtype=torch.float64, device=device) * (hi - lo) + lo).to(dtype)
    else:
        info = torch.iinfo(dtype)
        lo = max(info.min, -9 if low is None else int(low))
        hi = max(min(info.max, 10 if high is None else int(high)), lo + 1)
        t = torch.randint(lo, hi, shape, dtype=dtype, device=device)
    return t.requires_grad_(requires_grad) if requires_grad else t


# Shapes that exercise 0-d, size-1, 0-size and larger dims.
UNARY_SHAPES = [(), (5,), (3, 4), (2, 1, 3), (0, 3), (1,)]
BINARY_SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), ()), ((), (5,)), ((0, 3), (1, 3)), ((1,), (1,))]


def unary_samples(dtype, *, low=None, high=None):
    for s in UNARY_SHAPES:
        yield Sample((make_tensor(s, dtype, low=low, high=high),))
    yield Sample((make_tensor((4, 3), dtype, low=low, high=high, noncontiguous=True),), note="noncontiguous")


def binary_samples(dtype, *, low=None, high=None, rhs_low=None, rhs_high=None, scalars=True):
    for sa, sb in BINARY_SHAPE_PAIRS:
        yield Sample((make_tensor(sa, dtype, low=low, high=high), make_tensor(sb, dtype, low=rhs_low, high=rhs_high)))
    yield Sample(
        (make_tensor((3, 4), dtype, noncontiguous=True, low=low, high=high), make_tensor((3, 4), dtype, low=rhs_low, high=rhs_high)),
        note="noncontiguous",
    )
    if scalars:
        scalar = True if dtype == torch.bool else (2 if not (dtype.is_floating_point or dtype.is_complex) else 1.5)
        yield Sample((make_tensor((3, 4), dtype, low=low, high=high), scalar), note="python scalar")
    if True:
        yield Sample(
            (make_tensor((2, 3), dtype, low=low, high=high), make_tensor((), torch.float64, low=rhs_low, high=rhs_high)), note="0-d float64"
        )
        if dtype != torch.bool and not dtype.is_complex:
            yield Sample(
                (make_tensor((2, 3), dtype, low=low, high=high), make_tensor((2, 3), torch.int32, low=rhs_low, high=rhs_high)),
                note="mixed dtypes",
            )


def flatten_outputs(out) -> list:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(flatten_outputs(o))
        return res
    if hasattr(out, "_fields"):  # torch.return_types
        return flatten_outputs(tuple(out))
    return [out]


def ops_from(*modules) -> list[OpInfo]:
    ops = []
    for m in modules:
        ops.extend(m.OPS)
    seen = {}
    for op in ops:
        assert op.id not in seen, f"{op.id} is listed twice in the conformance table"
        seen[op.id] = op
    return ops
