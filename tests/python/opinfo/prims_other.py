"""Conformance entries for the matrix prims: matmul, linear, embedding, embedding_backward. Prims are
strict: operands share one dtype (no promotion), and each prim accepts a fixed set of dtypes."""

import torch

from .core import ALL_DTYPES, NUMERIC_DTYPES, OpInfo, Sample, make_tensor

MATMUL_SHAPES = [
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((0, 3), (3, 2)),
    ((3, 0), (0, 2)),
]


def matmul_samples(dtype):
    for sa, sb in MATMUL_SHAPES:
        yield Sample((make_tensor(sa, dtype), make_tensor(sb, dtype)))


def linear_samples(dtype):
    yield Sample((make_tensor((3, 4), dtype), make_tensor((5, 4), dtype)))
    yield Sample((make_tensor((3, 4), dtype), make_tensor((5, 4), dtype), make_tensor((5,), dtype)))
    yield Sample((make_tensor((2, 3, 4), dtype), make_tensor((5, 4), dtype), make_tensor((5,), dtype)))
    yield Sample((make_tensor((4,), dtype), make_tensor((5, 4), dtype), make_tensor((5,), dtype)))
    yield Sample((make_tensor((0, 4), dtype), make_tensor((5, 4), dtype)))
    yield Sample((make_tensor((3, 4), dtype), make_tensor((4,), dtype)), note="1-D weight")


def embedding_samples(dtype):
    w = make_tensor((10, 4), dtype)
    yield Sample((make_tensor((3,), torch.int64, low=0, high=10), w))
    yield Sample((make_tensor((2, 3), torch.int32, low=0, high=10), w))
    yield Sample((make_tensor((), torch.int64, low=0, high=10), w))
    yield Sample((make_tensor((0,), torch.int64, low=0, high=10), w))


def embedding_backward_samples(dtype):
    idx = torch.tensor([[0, 2, 2], [5, 0, 1]])
    yield Sample((make_tensor((2, 3, 4), dtype), idx, 6))
    yield Sample((make_tensor((2, 3, 4), dtype), idx, 6, 2), note="padding_idx")
    yield Sample((make_tensor((3, 4), dtype), idx[0].to(torch.int32), 3, -1, True), note="int32 indices, scale_grad_by_freq")
    yield Sample((make_tensor((0, 4), dtype), idx[0][:0], 6), note="no indices")


def _embedding_backward(g, idx, n, pad=-1, scale=False):
    return torch.ops.aten.embedding_backward(g, idx, n, pad, scale, False)


# Integer, floating and complex: torch.matmul/linear have no bool kernel.
OPS = [
    OpInfo("prims.matmul", torch.matmul, matmul_samples, dtypes=NUMERIC_DTYPES, strict_dtypes=True),
    # Not strict: prims.linear's meta accepts bool, which its reference (and torch) rejects.
    OpInfo("prims.linear", torch.nn.functional.linear, linear_samples, dtypes=NUMERIC_DTYPES),
    OpInfo("prims.embedding", torch.nn.functional.embedding, embedding_samples, dtypes=ALL_DTYPES, strict_dtypes=True),
    OpInfo("prims.embedding_backward", _embedding_backward, embedding_backward_samples, dtypes=ALL_DTYPES, strict_dtypes=True),
]
