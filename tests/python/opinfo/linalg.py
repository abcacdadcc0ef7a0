"""Conformance entries for contractions: matmul, mm, bmm, dot, outer, addmm, baddbmm,
nn.functional.linear and einsum. Torch does not promote in contractions (except outer, a broadcast
product): mixed-dtype samples check that keraunos rejects them too."""

import torch

from .core import OpInfo, Sample, make_tensor
from .prims_other import MATMUL_SHAPES as PRIM_MATMUL_SHAPES

# (a shape, b shape): every rank combination of torch.matmul, broadcast batches, empty dims: the
# prims' shapes and three more.
MATMUL_SHAPES = PRIM_MATMUL_SHAPES + [((2, 3, 4), (4,)), ((1, 4), (4, 1)), ((2, 0, 3), (3, 4))]


def _other_dtype(dtype):
    return torch.float64 if dtype != torch.float64 else torch.float32


def matmul_samples(dtype):
    for sa, sb in MATMUL_SHAPES:
        yield Sample((make_tensor(sa, dtype), make_tensor(sb, dtype)))
    yield Sample((make_tensor((3, 4), dtype, noncontiguous=True), make_tensor((4, 5), dtype)), note="noncontiguous")
    yield Sample((make_tensor((2, 3, 4), dtype), make_tensor((2, 5, 4), dtype).transpose(1, 2)), note="transposed rhs")
    yield Sample((make_tensor((), dtype), make_tensor((4,), dtype)), note="0-d is rejected")
    yield Sample((make_tensor((3, 4), dtype), make_tensor((5, 6), dtype)), note="inner mismatch")
    yield Sample((make_tensor((3, 4), dtype), make_tensor((4, 5), _other_dtype(dtype))), note="mixed dtypes")


def mm_samples(dtype):
    yield Sample((make_tensor((3, 4), dtype), make_tensor((4, 5), dtype)))
    yield Sample((make_tensor((0, 4), dtype), make_tensor((4, 2), dtype)))
    yield Sample((make_tensor((3, 0), dtype), make_tensor((0, 2), dtype)), note="K=0")
    yield Sample((make_tensor((1, 1), dtype), make_tensor((1, 1), dtype)))
    yield Sample((make_tensor((3, 4), dtype, noncontiguous=True), make_tensor((5, 4), dtype).t()), note="noncontiguous")
    yield Sample((make_tensor((4,), dtype), make_tensor((4, 5), dtype)), note="1-D is rejected")
    yield Sample((make_tensor((3, 4), dtype), make_tensor((4, 5), _other_dtype(dtype))), note="mixed dtypes")


def bmm_samples(dtype):
    yield Sample((make_tensor((2, 3, 4), dtype), make_tensor((2, 4, 5), dtype)))
    yield Sample((make_tensor((0, 3, 4), dtype), make_tensor((0, 4, 5), dtype)))
    yield Sample((make_tensor((2, 3, 0), dtype), make_tensor((2, 0, 5), dtype)))
    yield Sample((make_tensor((2, 3, 4), dtype, noncontiguous=True), make_tensor((2, 4, 5), dtype)), note="noncontiguous")
    yield Sample((make_tensor((1, 3, 4), dtype), make_tensor((2, 4, 5), dtype)), note="no broadcasting")
    yield Sample((make_tensor((3, 4), dtype), make_tensor((4, 5), dtype)), note="2-D is rejected")


def dot_samples(dtype):
    yield Sample((make_tensor((5,), dtype), make_tensor((5,), dtype)))
    yield Sample((make_tensor((1,), dtype), make_tensor((1,), dtype)))
    yield Sample((make_tensor((0,), dtype), make_tensor((0,), dtype)))
    yield Sample((make_tensor((6,), dtype, noncontiguous=True), make_tensor((6,), dtype)), note="noncontiguous")
    yield Sample((make_tensor((5,), dtype), make_tensor((4,), dtype)), note="size mismatch")
    yield Sample((make_tensor((2, 2), dtype), make_tensor((2, 2), dtype)), note="2-D is rejected")
    yield Sample((make_tensor((5,), dtype), make_tensor((5,), _other_dtype(dtype))), note="mixed dtypes")


def outer_samples(dtype):
    yield Sample((make_tensor((3,), dtype), make_tensor((4,), dtype)))
    yield Sample((make_tensor((0,), dtype), make_tensor((4,), dtype)))
    yield Sample((make_tensor((1,), dtype), make_tensor((1,), dtype)))
    yield Sample((make_tensor((6,), dtype, noncontiguous=True), make_tensor((2,), dtype)), note="noncontiguous")
    yield Sample((make_tensor((3,), dtype), make_tensor((4,), torch.float32)), note="promotes")
    yield Sample((make_tensor((3,), dtype), make_tensor((4,), torch.int32)), note="promotes")
    yield Sample((make_tensor((), dtype), make_tensor((4,), dtype)), note="0-d is rejected")
    yield Sample((make_tensor((2, 3), dtype), make_tensor((4,), dtype)), note="2-D is rejected")


def _scalars(dtype):
    # alpha/beta that are exact in every dtype; for integers torch truncates float scalars.
    if dtype.is_floating_point or dtype.is_complex:
        return [dict(beta=0.5, alpha=2.0), dict(beta=0), dict(alpha=-1.5)]
    return [dict(beta=2, alpha=3), dict(beta=0), dict(beta=1.7, alpha=2.5)]


def addmm_samples(dtype):
    for shape in [(3, 5), (5,), (1, 1), (3, 1), ()]:
        yield Sample((make_tensor(shape, dtype), make_tensor((3, 4), dtype), make_tensor((4, 5), dtype)))
    for kw in _scalars(dtype):
        yield Sample((make_tensor((3, 5), dtype), make_tensor((3, 4), dtype), make_tensor((4, 5), dtype)), kw)
    yield Sample((make_tensor((0, 5), dtype), make_tensor((0, 4), dtype), make_tensor((4, 5), dtype)))
    yield Sample(
        (make_tensor((3, 5), dtype), make_tensor((3, 0), dtype), make_tensor((0, 5), dtype)), dict(beta=2) if dtype != torch.bool else {}
    )
    yield Sample(
        (make_tensor((3, 5), dtype, noncontiguous=True), make_tensor((3, 4), dtype), make_tensor((5, 4), dtype).t()), note="noncontiguous"
    )
    yield Sample((make_tensor((4, 5), dtype), make_tensor((3, 4), dtype), make_tensor((4, 5), dtype)), note="input does not broadcast")
    yield Sample((make_tensor((3, 5), _other_dtype(dtype)), make_tensor((3, 4), dtype), make_tensor((4, 5), dtype)), note="mixed dtypes")


def baddbmm_samples(dtype):
    for shape in [(2, 3, 5), (5,), (3, 5), (1, 3, 1), ()]:
        yield Sample((make_tensor(shape, dtype), make_tensor((2, 3, 4), dtype), make_tensor((2, 4, 5), dtype)))
    for kw in _scalars(dtype):
        yield Sample((make_tensor((2, 3, 5), dtype), make_tensor((2, 3, 4), dtype), make_tensor((2, 4, 5), dtype)), kw)
    yield Sample((make_tensor((0, 3, 5), dtype), make_tensor((0, 3, 4), dtype), make_tensor((0, 4, 5), dtype)))
    yield Sample(
        (make_tensor((2, 3, 5), dtype, noncontiguous=True), make_tensor((2, 3, 4), dtype), make_tensor((2, 4, 5), dtype)),
        note="noncontiguous",
    )
    yield Sample((make_tensor((2, 3, 5), dtype), make_tensor((1, 3, 4), dtype), make_tensor((2, 4, 5), dtype)), note="no broadcasting")
    yield Sample(
        (make_tensor((2, 3, 5), _other_dtype(dtype)), make_tensor((2, 3, 4), dtype), make_tensor((2, 4, 5), dtype)), note="mixed dtypes"
    )


def linear_samples(dtype):
    w = make_tensor((5, 4), dtype)
    yield Sample((make_tensor((3, 4), dtype), w, make_tensor((5,), dtype)))
    yield Sample((make_tensor((3, 4), dtype), w))
    yield Sample((make_tensor((2, 3, 4), dtype), w, make_tensor((5,), dtype)))
    yield Sample((make_tensor((2, 2, 3, 4), dtype), w), dict(bias=make_tensor((5,), dtype)), note="bias keyword")
    yield Sample((make_tensor((4,), dtype), w, make_tensor((5,), dtype)), note="1-D input")
    yield Sample((make_tensor((0, 4), dtype), w, make_tensor((5,), dtype)), note="empty batch")
    yield Sample((make_tensor((3, 0), dtype), make_tensor((5, 0), dtype), make_tensor((5,), dtype)), note="no features")
    yield Sample((make_tensor((3, 4), dtype), w, make_tensor((), dtype)), note="0-d bias")
    yield Sample((make_tensor((3, 4), dtype), w, make_tensor((1,), dtype)), note="bias broadcasts")
    yield Sample((make_tensor((3, 4), dtype), w, make_tensor((3, 5), dtype)), note="2-D bias")
    yield Sample((make_tensor((3, 4), dtype), make_tensor((4,), dtype)), note="1-D weight")
    yield Sample((make_tensor((2, 3, 4), dtype), make_tensor((4,), dtype), make_tensor((), dtype)), note="1-D weight, 0-d bias")
    yield Sample((make_tensor((3, 4), dtype), make_tensor((4,), dtype), make_tensor((), dtype)), note="1-D weight with bias")
    yield Sample(
        (make_tensor((3, 4), dtype, noncontiguous=True), make_tensor((4, 5), dtype).t(), make_tensor((5,), dtype)), note="noncontiguous"
    )
    yield Sample((make_tensor((3, 4), dtype), make_tensor((5, 3), dtype)), note="in_features mismatch")
    yield Sample((make_tensor((3, 4), dtype), make_tensor((2, 5, 4), dtype)), note="3-D weight")
    yield Sample((make_tensor((3, 4), dtype), w, make_tensor((5,), _other_dtype(dtype))), note="mixed bias dtype")
    yield Sample((make_tensor((3, 4), dtype), make_tensor((5, 4), _other_dtype(dtype))), note="mixed weight dtype")


# (equation, operand shapes)
EINSUM_CASES = [
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("bhqk,bhkd->bhqd", [(2, 3, 4, 6), (2, 3, 6, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...d,de->...e", [(2, 3, 4), (4, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->ji", [(3, 3, 2)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 6)]),
    ("ij,jk->ik", [(3, 1), (4, 5)]),
    ("ij->", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("i,i->", [(5,), (5,)]),
    ("i,i->i", [(5,), (5,)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("ij,jk->i", [(2, 3), (3, 4)]),
    ("i,j->", [(3,), (4,)]),
    ("b i j , b j k -> b i k", [(2, 3, 4), (2, 4, 5)]),
    ("BiJ,BJk->Bik", [(2, 3, 4), (2, 4, 5)]),
    ("", [()]),
    (",i->i", [(), (3,)]),
    ("ij,jk->ik", [(0, 4), (4, 5)]),
    ("ij,jk->ik", [(3, 0), (0, 5)]),
    ("...", [(2, 3)]),
    ("i...->...", [(3, 2, 2)]),
    # rejected by torch as by keraunos
    ("ij,jk->ik", [(3, 4), (5, 6)]),
    ("ij->k", [(3, 4)]),
    ("ij->ii", [(3, 4)]),
    ("ij,jk", [(3, 4)]),
    ("i", [(3, 4)]),
    ("ii->i", [(3, 4)]),
]


def einsum_samples(dtype):
    for eq, shapes in EINSUM_CASES:
        yield Sample((eq, [make_tensor(s, dtype) for s in shapes]))
    yield Sample(("ij,jk->ik", [make_tensor((3, 4), dtype, noncontiguous=True), make_tensor((4, 5), dtype)]), note="noncontiguous")
    yield Sample(("bij,bjk->bik", [make_tensor((2, 3, 4), dtype), make_tensor((2, 4, 5), _other_dtype(dtype))]), note="mixed dtypes")
    yield Sample(("i,j->ij", [make_tensor((3,), dtype), make_tensor((4,), torch.float32)]), note="mixed dtypes, no contraction")


def _tol(f16=(2e-2, 2e-2), bf16=(3e-2, 5e-2)):
    return {torch.float16: f16, torch.bfloat16: bf16}


OPS = [
    OpInfo("torch.matmul", torch.matmul, matmul_samples, dtypes=None),
    OpInfo("torch.mm", torch.mm, mm_samples, dtypes=None),
    OpInfo("torch.bmm", torch.bmm, bmm_samples, dtypes=None),
    OpInfo("torch.dot", torch.dot, dot_samples, dtypes=None),
    OpInfo("torch.outer", torch.outer, outer_samples, dtypes=None),
    OpInfo("torch.addmm", torch.addmm, addmm_samples, dtypes=None, rtol=_tol()),
    OpInfo("torch.baddbmm", torch.baddbmm, baddbmm_samples, dtypes=None, rtol=_tol()),
    OpInfo("torch.nn.functional.linear", torch.nn.functional.linear, linear_samples, dtypes=None, rtol=_tol()),
    OpInfo(
        "torch.einsum",
        torch.einsum,
        einsum_samples,
        dtypes=None,
        rtol=_tol(),
        note="torch's varargs form einsum(eq, a, b) is normalized to einsum(eq, (a, b))",
    ),
]
