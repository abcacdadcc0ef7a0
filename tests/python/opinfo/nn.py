"""Conformance entries for torch.nn.functional: activations and softmax, norms, dropout, embedding,
scaled_dot_product_attention and losses."""

import torch
import torch.nn.functional as F

from .core import OpInfo, Sample, make_tensor, unary_samples

F32 = torch.float32


def _other_float(dtype):
    return torch.float64 if dtype != torch.float64 else torch.float32


def _low_tol(f16=2e-2, bf16=3e-2):
    return {torch.float16: (f16, f16), torch.bfloat16: (bf16, bf16)}


# ---- activations -----------------------------------------------------------------------------------


def _unary_with(kwargs_list, low=None, high=None, positional=()):
    def gen(dtype):
        yield from unary_samples(dtype, low=low, high=high)
        for kw in kwargs_list:
            yield Sample((make_tensor((3, 4), dtype, low=low, high=high),), dict(kw))
        for args in positional:
            yield Sample((make_tensor((3, 4), dtype, low=low, high=high),) + tuple(args), note="positional")

    return gen


def _nan_sample(dtype):
    if dtype.is_floating_point:
        yield Sample((torch.tensor([float("nan"), -1.0, 0.0, 2.0, float("inf"), -float("inf")], dtype=dtype),), note="nan/inf")


def _act(fn_samples, extra=True):
    def gen(dtype):
        yield from fn_samples(dtype)
        if extra:
            yield from _nan_sample(dtype)

    return gen


def hardtanh_samples(dtype):
    yield from unary_samples(dtype)
    yield from _nan_sample(dtype)
    for lo, hi in [(-0.5, 2.0), (0, 6), (-2, 2.5), (0.5, 0.5), (1.0, 0.5)]:
        yield Sample((make_tensor((3, 4), dtype),), dict(min_val=lo, max_val=hi))
    yield Sample((make_tensor((3, 4), dtype), 0.0, 3.0), note="positional")


def relu6_samples(dtype):
    yield from unary_samples(dtype, low=-8, high=9)
    yield from _nan_sample(dtype)


def softplus_samples(dtype):
    yield from unary_samples(dtype, low=-30, high=30)
    yield Sample((make_tensor((3, 4), dtype, low=-5, high=5),), dict(beta=2, threshold=1))
    yield Sample((make_tensor((3, 4), dtype, low=-5, high=5),), dict(beta=0.5, threshold=3.0))
    yield Sample((make_tensor((3, 4), dtype, low=-5, high=5), 3), note="positional beta")


def glu_samples(dtype):
    yield Sample((make_tensor((4,), dtype),))
    yield Sample((make_tensor((3, 4), dtype),))
    yield Sample((make_tensor((4, 3), dtype), 0))
    yield Sample((make_tensor((2, 6, 3), dtype),), dict(dim=1))
    yield Sample((make_tensor((2, 6, 3), dtype),), dict(dim=-2))
    yield Sample((make_tensor((0, 4), dtype),))
    yield Sample((make_tensor((3, 8), dtype, noncontiguous=True),), note="noncontiguous")
    yield Sample((make_tensor((3,), dtype),), note="odd size is rejected")
    yield Sample((make_tensor((), dtype),), note="0-d is rejected")


SOFTMAX_CASES = [
    ((5,), 0),
    ((3, 4), 1),
    ((3, 4), -1),
    ((3, 4), 0),
    ((2, 3, 4), 1),
    ((), 0),
    ((), -1),
    ((0, 3), 1),
    ((3, 0), 1),
    ((1, 1), 0),
]


def softmax_samples(dtype):
    for shape, dim in SOFTMAX_CASES:
        yield Sample((make_tensor(shape, dtype), dim))
    yield Sample((make_tensor((3, 4), dtype, noncontiguous=True), 1), note="noncontiguous")
    yield Sample((make_tensor((3, 4), dtype), 1), dict(dtype=torch.float64), note="dtype")
    yield Sample((make_tensor((3, 4), dtype), 0), dict(dtype=torch.float16), note="dtype")
    yield Sample((make_tensor((3, 4), dtype), 0), dict(dtype=torch.int32), note="integer dtype is rejected")
    yield Sample((make_tensor((3, 4), dtype), 2), note="dim out of range")
    if dtype.is_floating_point:
        x = make_tensor((2, 3), dtype)
        x[0, 1] = float("-inf")
        x[1, :] = float("-inf")
        yield Sample((x, 1), note="-inf entries")


def softmin_samples(dtype):
    for shape, dim in SOFTMAX_CASES:
        yield Sample((make_tensor(shape, dtype), dim))
    for shape in [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 2), ()]:
        yield Sample((make_tensor(shape, dtype),), note="implicit dim")
    yield Sample((make_tensor((3, 4), dtype), 1), dict(dtype=torch.float64), note="dtype")
    yield Sample((make_tensor((3, 4), dtype),), dict(dim=0, dtype=torch.float32), note="dtype")


def gelu_samples(dtype):
    yield from unary_samples(dtype)
    if dtype.is_floating_point:
        # Not +inf: torch's float32/bfloat16 kernels give nan for gelu(inf), its float16 kernel inf.
        yield Sample((torch.tensor([float("nan"), -1.0, 0.0, 2.0, -float("inf")], dtype=dtype),), note="nan/-inf")
    yield Sample((make_tensor((3, 4), dtype),), dict(approximate="tanh"))
    yield Sample((make_tensor((3, 4), dtype),), dict(approximate="none"))
    yield Sample((make_tensor((3, 4), dtype),), dict(approximate="bad"), note="rejected")


def celu_samples(dtype):
    yield from unary_samples(dtype)
    yield from _nan_sample(dtype)
    yield Sample((make_tensor((3, 4), dtype),), dict(alpha=2.0))
    yield Sample((make_tensor((3, 4), dtype), 0.5), note="positional alpha")
    yield Sample((make_tensor((3, 4), dtype),), dict(alpha=0.0), note="alpha=0 is rejected")


def _inplace_skip(op_name):
    return (
        (
            lambda dt, s: s.kwargs.get("inplace") is True,
            f"{op_name}(inplace=True) updates its input in place: keraunos rejects it (a functional trace cannot express it)",
        ),
    )


def _with_inplace(gen):
    def g(dtype):
        yield from gen(dtype)
        yield Sample((make_tensor((3, 4), dtype),), dict(inplace=True), note="inplace")

    return g


ACTIVATIONS = [
    OpInfo("torch.relu", torch.relu, _act(lambda dt: unary_samples(dt)), dtypes=None),
    OpInfo("torch.nn.functional.relu6", F.relu6, _with_inplace(relu6_samples), dtypes=None, skips=_inplace_skip("relu6")),
    OpInfo("torch.nn.functional.hardtanh", F.hardtanh, hardtanh_samples, dtypes=None),
    OpInfo("torch.nn.functional.gelu", F.gelu, gelu_samples, dtypes=None),
    OpInfo("torch.sigmoid", torch.sigmoid, _act(lambda dt: unary_samples(dt)), dtypes=None),
    OpInfo("torch.nn.functional.silu", F.silu, _with_inplace(_act(lambda dt: unary_samples(dt))), dtypes=None, skips=_inplace_skip("silu")),
    OpInfo("torch.nn.functional.softplus", F.softplus, _act(softplus_samples), dtypes=None),
    OpInfo(
        "torch.nn.functional.leaky_relu",
        F.leaky_relu,
        _act(_unary_with([dict(negative_slope=0.2), dict(negative_slope=2)], positional=[(0.3,)])),
        dtypes=None,
    ),
    OpInfo("torch.nn.functional.elu", F.elu, _act(_unary_with([dict(alpha=0.5), dict(alpha=2)])), dtypes=None),
    OpInfo("torch.nn.functional.selu", F.selu, _act(lambda dt: unary_samples(dt)), dtypes=None),
    OpInfo("torch.nn.functional.celu", F.celu, celu_samples, dtypes=None),
    OpInfo("torch.nn.functional.mish", F.mish, _act(lambda dt: unary_samples(dt, low=-10, high=10)), dtypes=None),
    OpInfo("torch.nn.functional.hardswish", F.hardswish, _act(lambda dt: unary_samples(dt, low=-5, high=5)), dtypes=None),
    OpInfo("torch.nn.functional.hardsigmoid", F.hardsigmoid, _act(lambda dt: unary_samples(dt, low=-5, high=5)), dtypes=None),
    OpInfo("torch.nn.functional.logsigmoid", F.logsigmoid, _act(lambda dt: unary_samples(dt, low=-30, high=30)), dtypes=None),
    OpInfo("torch.nn.functional.glu", F.glu, glu_samples, dtypes=None),
    OpInfo("torch.softmax", torch.softmax, softmax_samples, dtypes=None),
    OpInfo("torch.log_softmax", torch.log_softmax, softmax_samples, dtypes=None),
    OpInfo("torch.nn.functional.softmin", F.softmin, softmin_samples, dtypes=None),
]


# ---- norms -----------------------------------------------------------------------------------------


def layer_norm_samples(dtype):
    for shape, ns in [((2, 3), (3,)), ((2, 3, 4), (3, 4)), ((4,), (4,)), ((0, 3), (3,)), ((2, 0), (0,)), ((1, 1), (1,))]:
        yield Sample((make_tensor(shape, dtype), ns))
        yield Sample((make_tensor(shape, dtype), ns, make_tensor(ns, dtype), make_tensor(ns, dtype)), note="affine")
    yield Sample((make_tensor((2, 3), dtype), (3,)), dict(weight=make_tensor((3,), dtype)), note="weight only")
    yield Sample((make_tensor((2, 3), dtype), (3,)), dict(bias=make_tensor((3,), dtype), eps=1e-3), note="bias, eps")
    yield Sample((make_tensor((2, 5, 3), dtype, noncontiguous=True), (3,), make_tensor((3,), dtype)), note="noncontiguous")
    yield Sample((make_tensor((2, 3), dtype), (3,), make_tensor((3,), F32), make_tensor((3,), F32)), note="float32 parameters")
    yield Sample((make_tensor((2, 3), dtype), (3,), make_tensor((3,), dtype), make_tensor((3,), F32)), note="mixed parameters")
    yield Sample((make_tensor((2, 3), dtype), (2,)), note="shape mismatch")
    yield Sample((make_tensor((2, 3), dtype), (3,), make_tensor((2,), dtype)), note="weight shape mismatch")
    yield Sample((make_tensor((2, 3), dtype), ()), note="empty normalized_shape")


def rms_norm_samples(dtype):
    for shape, ns in [((2, 3), (3,)), ((2, 3, 4), (3, 4)), ((4,), (4,)), ((0, 3), (3,)), ((2, 0), (0,))]:
        yield Sample((make_tensor(shape, dtype), ns))
        yield Sample((make_tensor(shape, dtype), ns, make_tensor(ns, dtype)), note="weight")
    yield Sample((make_tensor((2, 3), dtype), (3,)), dict(eps=1e-3))
    yield Sample((make_tensor((2, 3), dtype) * 1e-3, (3,)), note="small values: default eps matters")
    yield Sample((make_tensor((2, 5, 3), dtype, noncontiguous=True), (3,), make_tensor((3,), dtype)), note="noncontiguous")
    yield Sample((make_tensor((2, 3), dtype), (3,), make_tensor((3,), F32)), note="float32 weight")
    yield Sample((make_tensor((2, 3), dtype), (3,), make_tensor((3,), torch.float64)), note="float64 weight")
    yield Sample((make_tensor((2, 3), dtype), (3,), make_tensor((3,), torch.int32)), note="int weight")
    yield Sample((make_tensor((2, 3), dtype), (2,)), note="shape mismatch")
    yield Sample((make_tensor((2, 3), dtype), (3,), make_tensor((2,), dtype)), note="weight shape mismatch")


def group_norm_samples(dtype):
    for shape, g in [((2, 4, 3), 2), ((2, 6), 2), ((2, 4, 2, 2), 4), ((3, 4, 5), 1), ((0, 4, 3), 2), ((2, 4, 0), 2), ((2, 0, 3), 1)]:
        yield Sample((make_tensor(shape, dtype), g))
        c = shape[1]
        yield Sample((make_tensor(shape, dtype), g, make_tensor((c,), dtype), make_tensor((c,), dtype)), note="affine")
    yield Sample((make_tensor((2, 4, 3), dtype), 2), dict(weight=make_tensor((4,), dtype), eps=1e-3), note="weight, eps")
    yield Sample((make_tensor((2, 4, 6), dtype, noncontiguous=True), 2, make_tensor((4,), dtype)), note="noncontiguous")
    yield Sample((make_tensor((2, 4, 3), dtype), 2, make_tensor((4,), F32), make_tensor((4,), F32)), note="float32 parameters")
    yield Sample((make_tensor((2, 4, 3), dtype), 3), note="channels not divisible")
    yield Sample((make_tensor((1, 2), dtype), 2), note="one value per group")
    yield Sample((make_tensor((4,), dtype), 2), note="1-D is rejected")
    yield Sample((make_tensor((2, 4, 3), dtype), 2, make_tensor((3,), dtype)), note="weight shape mismatch")


def batch_norm_samples(dtype):
    def stats(c, dt=dtype):
        return make_tensor((c,), dt), make_tensor((c,), dt, low=0.5, high=2.0)

    # Training normalizes each channel over its batch values: at least 5 of them, so that the statistics
    # are well conditioned (two nearly equal values would make float32 results differ in the 5th digit).
    for shape in [(2, 4, 3), (5, 4), (3, 4, 2, 2), (0, 4, 3)]:
        rm, rv = stats(shape[1])
        yield Sample((make_tensor(shape, dtype), rm, rv), note="eval")
        rm, rv = stats(shape[1])
        yield Sample(
            (make_tensor(shape, dtype), rm, rv, make_tensor((shape[1],), dtype), make_tensor((shape[1],), dtype)),
            dict(eps=1e-3),
            note="eval, affine",
        )
        if shape[0] > 0:
            yield Sample((make_tensor(shape, dtype), None, None), dict(training=True), note="train, batch statistics")
            yield Sample(
                (make_tensor(shape, dtype), None, None, make_tensor((shape[1],), dtype), make_tensor((shape[1],), dtype)),
                dict(training=True, momentum=0.3),
                note="train, affine",
            )
    rm, rv = stats(4, F32)
    yield Sample((make_tensor((2, 4, 3), dtype), rm, rv, make_tensor((4,), F32), make_tensor((4,), F32)), note="float32 parameters")
    yield Sample((make_tensor((2, 4, 6), dtype, noncontiguous=True),) + stats(4), note="noncontiguous")
    yield Sample((make_tensor((1, 4), dtype), None, None), dict(training=True), note="one value per channel")
    yield Sample((make_tensor((2, 4), dtype), None, None), note="eval without statistics")
    yield Sample((make_tensor((2, 4), dtype),) + stats(3), note="statistics shape mismatch")
    rm, rv = stats(4)
    yield Sample((make_tensor((2, 4, 3), dtype), rm, rv), dict(training=True), note="train with running statistics")


def normalize_samples(dtype):
    yield Sample((make_tensor((2, 3), dtype),))
    yield Sample((make_tensor((2, 3, 4), dtype),), dict(p=1.0, dim=0))
    yield Sample((make_tensor((2, 3), dtype),), dict(p=float("inf"), dim=-1))
    yield Sample((make_tensor((2, 3), dtype),), dict(p=float("-inf")))
    yield Sample((make_tensor((2, 3), dtype),), dict(p=0.0))
    yield Sample((make_tensor((2, 3), dtype),), dict(p=3.0, eps=1e-6))
    yield Sample((make_tensor((2, 3), dtype, low=0.5, high=2),), dict(p=-1.0))
    yield Sample((make_tensor((3,), dtype),), dict(dim=0))
    yield Sample((make_tensor((), dtype),), dict(dim=0), note="0-d")
    yield Sample((make_tensor((0, 3), dtype),))
    yield Sample((make_tensor((3, 4), dtype, noncontiguous=True), 2.0, 0), note="noncontiguous, positional")
    yield Sample((make_tensor((3,), dtype),), note="dim out of range")


NORMS = [
    OpInfo("torch.nn.functional.layer_norm", F.layer_norm, layer_norm_samples, dtypes=None, rtol=_low_tol()),
    OpInfo("torch.nn.functional.rms_norm", F.rms_norm, rms_norm_samples, dtypes=None, rtol=_low_tol()),
    OpInfo("torch.nn.functional.group_norm", F.group_norm, group_norm_samples, dtypes=None, rtol=_low_tol()),
    OpInfo(
        "torch.nn.functional.batch_norm",
        F.batch_norm,
        batch_norm_samples,
        dtypes=None,
        rtol=_low_tol(),
        skips=(
            (
                lambda dt, s: s.note == "train with running statistics",
                "training=True with running_mean/running_var updates the statistics in place; keraunos rejects it "
                "(a functional trace cannot express the side effect)",
            ),
        ),
    ),
    OpInfo("torch.nn.functional.normalize", F.normalize, normalize_samples, dtypes=None, rtol=_low_tol()),
]


# ---- dropout, embedding ----------------------------------------------------------------------------


def dropout_samples(dtype):
    for shape in [(3, 4), (), (0, 3), (2, 1, 3)]:
        yield Sample((make_tensor(shape, dtype),), dict(training=False), note="eval: identity")
        yield Sample((make_tensor(shape, dtype),), dict(p=0.0), note="p=0: identity")
        yield Sample((make_tensor(shape, dtype),), dict(p=1.0), note="p=1: zeros")
        yield Sample((make_tensor(shape, dtype),), dict(p=0.3), note="random mask")
    yield Sample((make_tensor((3, 4), dtype), 0.5, True), note="positional")
    yield Sample((make_tensor((3, 4), dtype, noncontiguous=True),), note="noncontiguous")
    yield Sample((make_tensor((3, 4), dtype),), dict(p=1.5), note="p out of range")
    yield Sample((make_tensor((3, 4), dtype),), dict(p=-0.1, training=False), note="p out of range")
    yield Sample((make_tensor((3, 4), dtype),), dict(inplace=True), note="inplace")


def embedding_samples(dtype):
    w = make_tensor((10, 4), dtype)
    yield Sample((make_tensor((3,), torch.int64, low=0, high=10), w))
    yield Sample((make_tensor((2, 3), torch.int64, low=0, high=10), w))
    yield Sample((make_tensor((), torch.int64, low=0, high=10), w), note="0-d indices")
    yield Sample((make_tensor((0,), torch.int64, low=0, high=10), w), note="no indices")
    yield Sample((make_tensor((2, 3), torch.int32, low=0, high=10), w), note="int32 indices")
    yield Sample((make_tensor((3,), torch.int64, low=0, high=10), w), dict(padding_idx=1), note="padding_idx")
    yield Sample((make_tensor((3,), torch.int64, low=0, high=10), w), dict(padding_idx=-2, scale_grad_by_freq=True, sparse=True))
    yield Sample((make_tensor((3,), torch.int64, low=0, high=10), make_tensor((10, 8), dtype, noncontiguous=True)), note="noncontiguous")
    yield Sample(
        (make_tensor((3,), dtype, low=0, high=10) if not dtype.is_complex else make_tensor((3,), dtype), make_tensor((10, 4), F32)),
        note="indices of this dtype",
    )
    yield Sample((make_tensor((3,), torch.int64, low=0, high=10), w), dict(padding_idx=10), note="padding_idx out of range")
    yield Sample((make_tensor((3,), torch.int64, low=0, high=10), make_tensor((10,), dtype)), note="1-D weight")
    yield Sample((make_tensor((3,), torch.int64, low=0, high=10), w.clone()), dict(max_norm=1.0), note="max_norm")


OTHER = [
    OpInfo(
        "torch.nn.functional.dropout",
        F.dropout,
        dropout_samples,
        dtypes=None,
        compare_values=False,
        note="values are checked in test_ops_dropout.py",
        skips=((lambda dt, s: s.note == "inplace", "dropout(inplace=True) is rejected: a functional trace cannot update in place"),),
    ),
    OpInfo(
        "torch.nn.functional.embedding",
        F.embedding,
        embedding_samples,
        dtypes=None,
        skips=((lambda dt, s: s.note == "max_norm", "embedding(max_norm=...) renormalizes the weight in place; keraunos rejects it"),),
    ),
]


# ---- scaled_dot_product_attention ------------------------------------------------------------------


def sdpa_samples(dtype):
    def qkv(qs, ks, vs):
        return make_tensor(qs, dtype), make_tensor(ks, dtype), make_tensor(vs, dtype)

    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)))
    yield Sample(qkv((3, 8), (5, 8), (5, 6)), note="2-D")
    yield Sample(qkv((2, 4, 8), (2, 4, 8), (2, 4, 8)))
    yield Sample(qkv((2, 4, 3, 8), (1, 4, 5, 8), (1, 4, 5, 8)), note="broadcast batch")
    yield Sample(qkv((2, 4, 3, 8), (4, 5, 8), (4, 5, 8)), note="broadcast rank")
    yield Sample(qkv((2, 4, 3, 8), (2, 1, 5, 8), (2, 1, 5, 8)), note="broadcast heads")
    yield Sample(qkv((2, 4, 4, 8), (2, 4, 4, 8), (2, 4, 4, 8)), dict(is_causal=True), note="causal")
    yield Sample(qkv((1, 2, 3, 8), (1, 2, 5, 8), (1, 2, 5, 8)), dict(is_causal=True), note="causal L < S")
    yield Sample(qkv((1, 2, 5, 8), (1, 2, 3, 8), (1, 2, 3, 8)), dict(is_causal=True), note="causal L > S")
    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)) + (make_tensor((4, 5), torch.bool),), note="bool mask")
    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), dict(attn_mask=make_tensor((2, 1, 1, 5), torch.bool)), note="bool mask")
    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)) + (make_tensor((2, 3, 4, 5), dtype),), note="additive mask")
    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)) + (make_tensor((4, 5), F32),), note="float32 mask")
    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), dict(scale=0.3), note="scale")
    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)), dict(scale=-0.5), note="negative scale")
    yield Sample(qkv((2, 4, 3, 8), (2, 2, 5, 8), (2, 2, 5, 8)), dict(enable_gqa=True), note="grouped-query")
    yield Sample(qkv((2, 4, 3, 8), (2, 2, 5, 8), (2, 1, 5, 8)), dict(enable_gqa=True), note="grouped-query")
    yield Sample(qkv((4, 3, 8), (2, 5, 8), (2, 5, 8)), dict(enable_gqa=True, is_causal=True), note="grouped-query 3-D")
    yield Sample(qkv((1, 0, 8), (1, 5, 8), (1, 5, 8)), note="L=0")
    yield Sample(qkv((1, 3, 8), (1, 0, 8), (1, 0, 8)), note="S=0")
    yield Sample(qkv((0, 3, 8), (0, 5, 8), (0, 5, 8)), note="empty batch")
    yield Sample(qkv((1, 3, 16), (1, 5, 16), (1, 5, 8)), dict(dropout_p=0.0))
    q, k, v = qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8))
    yield Sample((q.transpose(1, 2).contiguous().transpose(1, 2), k, v), note="noncontiguous")
    if dtype.is_floating_point:
        m = torch.ones(4, 5, dtype=torch.bool)
        m[1] = False
        yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)) + (m,), note="fully masked row")
    # rejected
    yield Sample(qkv((2, 4, 3, 8), (2, 2, 5, 8), (2, 2, 5, 8)), note="heads mismatch without enable_gqa")
    yield Sample(qkv((2, 3, 3, 8), (2, 2, 5, 8), (2, 2, 5, 8)), dict(enable_gqa=True), note="heads do not divide")
    yield Sample(qkv((3, 8), (5, 8), (5, 8)), dict(enable_gqa=True), note="no head dim")
    # torch's CPU flash kernel (4-D inputs, ...) takes a mask with is_causal=True and applies both; its
    # math path (here 3-D inputs, or broadcast batches) rejects the pair.
    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)) + (make_tensor((4, 5), F32),), dict(is_causal=True), note="mask and causal")
    yield Sample(
        qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)) + (make_tensor((2, 1, 4, 5), torch.bool),),
        dict(is_causal=True),
        note="mask and causal",
    )
    yield Sample(qkv((3, 4, 8), (3, 5, 8), (3, 5, 8)) + (make_tensor((4, 5), F32),), dict(is_causal=True), note="mask and causal, 3-D")
    yield Sample(
        qkv((2, 3, 4, 8), (1, 3, 5, 8), (1, 3, 5, 8)) + (make_tensor((4, 5), F32),),
        dict(is_causal=True),
        note="mask and causal, broadcast batch",
    )
    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)) + (make_tensor((4, 5), torch.int64),), note="integer mask")
    yield Sample(qkv((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)) + (make_tensor((4, 5), _other_float(dtype)),), note="mask dtype")
    yield Sample(qkv((3, 4, 8), (3, 5, 8), (3, 5, 8)) + (make_tensor((2, 3, 4, 5), F32),), note="mask bigger than weights")
    yield Sample(qkv((2, 3, 8), (2, 5, 7), (2, 5, 8)), note="embedding mismatch")
    yield Sample(qkv((2, 3, 8), (2, 5, 8), (2, 6, 8)), note="sequence mismatch")
    yield Sample(
        (make_tensor((2, 3, 8), dtype), make_tensor((2, 5, 8), _other_float(dtype)), make_tensor((2, 5, 8), dtype)), note="mixed dtypes"
    )
    yield Sample(qkv((8,), (8,), (8,)), note="1-D")


ATTENTION = [
    OpInfo(
        "torch.nn.functional.scaled_dot_product_attention",
        F.scaled_dot_product_attention,
        sdpa_samples,
        dtypes=None,
        rtol=_low_tol(),
        note="dropout_p > 0 is random: checked in test_ops_dropout.py",
    ),
]


# ---- losses ----------------------------------------------------------------------------------------

REDUCTIONS = ("mean", "sum", "none")


def _pairwise_loss_samples(extra_kwargs=(), with_weight=False, low=None, high=None):
    def gen(dtype):
        for red in REDUCTIONS:
            yield Sample(
                (make_tensor((3, 4), dtype, low=low, high=high), make_tensor((3, 4), dtype, low=low, high=high)), dict(reduction=red)
            )
        yield Sample((make_tensor((), dtype), make_tensor((), dtype)))
        yield Sample((make_tensor((0, 3), dtype), make_tensor((0, 3), dtype)), note="empty: mean is nan")
        yield Sample((make_tensor((0, 3), dtype), make_tensor((0, 3), dtype)), dict(reduction="sum"))
        yield Sample((make_tensor((3, 4), dtype), make_tensor((4,), dtype)), dict(reduction="none"), note="broadcast target")
        yield Sample((make_tensor((4,), dtype), make_tensor((3, 4), dtype)), note="broadcast input")
        yield Sample((make_tensor((3, 4), dtype, noncontiguous=True), make_tensor((3, 4), dtype)), note="noncontiguous")
        yield Sample((make_tensor((3, 4), dtype), make_tensor((3, 4), F32)), note="mixed dtypes")
        yield Sample((make_tensor((3, 4), dtype), make_tensor((3, 4), torch.float64)), dict(reduction="none"), note="mixed dtypes")
        yield Sample((make_tensor((3, 4), dtype), make_tensor((3, 4), torch.int64)), note="integer target")
        yield Sample((make_tensor((3, 4), dtype), make_tensor((3, 4), dtype)), dict(reduction="bad"), note="bad reduction")
        for kw in extra_kwargs:
            yield Sample((make_tensor((3, 4), dtype), make_tensor((3, 4), dtype)), dict(kw))
        if with_weight:
            for red in REDUCTIONS:
                yield Sample(
                    (make_tensor((3, 4), dtype), make_tensor((3, 4), dtype)),
                    dict(reduction=red, weight=make_tensor((3, 4), dtype, low=0.5, high=2)),
                    note="weight",
                )
            yield Sample(
                (make_tensor((3, 4), dtype), make_tensor((3, 4), dtype)),
                dict(weight=make_tensor((3, 4), F32, low=0.5, high=2)),
                note="float32 weight",
            )
            yield Sample(
                (make_tensor((3, 4), dtype), make_tensor((3, 4), dtype)), dict(weight=make_tensor((4,), dtype)), note="weight size"
            )

    return gen


LEGACY = (dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True))


def bce_samples(dtype):
    def x(shape, dt=dtype):
        return make_tensor(shape, dt, low=0.05, high=0.95)

    def t(shape, dt=dtype):
        return make_tensor(shape, dt, low=0, high=1)

    for red in REDUCTIONS:
        yield Sample((x((3, 4)), t((3, 4))), dict(reduction=red))
    yield Sample((x(()), t(())))
    yield Sample((x((0, 3)), t((0, 3))))
    yield Sample((x((3, 4)), t((3, 4)), make_tensor((4,), dtype, low=0.5, high=2)), note="weight broadcasts")
    yield Sample((x((3, 4)), t((3, 4))), dict(weight=make_tensor((3, 4), F32, low=0.5, high=2), reduction="none"), note="float32 weight")
    yield Sample(
        (
            x(
                (3, 4),
            ),
            t((3, 4)),
        ),
        dict(size_average=False),
        note="legacy",
    )
    yield Sample((x((3, 8))[:, ::2], t((3, 4))), note="noncontiguous")
    if dtype.is_floating_point:
        yield Sample(
            (torch.tensor([0.0, 1.0, 0.5], dtype=dtype), torch.tensor([1.0, 0.0, 0.5], dtype=dtype)),
            dict(reduction="none"),
            note="log clamped at -100",
        )
    yield Sample((x((3, 4)), t((3, 4), _other_float(dtype))), note="mixed dtypes")
    yield Sample((x((3, 4)), t((4,))), note="target size")
    yield Sample((x((3, 4)), t((3, 4)), make_tensor((2, 3, 4), dtype)), note="weight too big")


def bce_logits_samples(dtype):
    for red in REDUCTIONS:
        yield Sample((make_tensor((3, 4), dtype, low=-20, high=20), make_tensor((3, 4), dtype, low=0, high=1)), dict(reduction=red))
    yield Sample((make_tensor((), dtype), make_tensor((), dtype, low=0, high=1)))
    yield Sample((make_tensor((0, 3), dtype), make_tensor((0, 3), dtype, low=0, high=1)))
    yield Sample(
        (make_tensor((3, 4), dtype), make_tensor((3, 4), dtype, low=0, high=1)),
        dict(pos_weight=make_tensor((4,), dtype, low=0.5, high=3)),
        note="pos_weight",
    )
    yield Sample(
        (make_tensor((3, 4), dtype), make_tensor((3, 4), dtype, low=0, high=1), make_tensor((3, 1), dtype, low=0.5, high=2)),
        dict(pos_weight=make_tensor((4,), dtype, low=0.5, high=3), reduction="sum"),
        note="weight, pos_weight",
    )
    yield Sample(
        (make_tensor((3, 4), dtype), make_tensor((3, 4), dtype, low=0, high=1)),
        dict(weight=make_tensor((4,), torch.float64, low=0.5, high=2), pos_weight=make_tensor((4,), F32, low=0.5, high=2)),
        note="float64 weight",
    )
    yield Sample((make_tensor((3, 4), dtype), make_tensor((3, 4), torch.float64, low=0, high=1)), note="float64 target")
    yield Sample(
        (make_tensor((3, 4), dtype), make_tensor((3, 4), torch.float16, low=0, high=1)), dict(reduction="none"), note="float16 target"
    )
    yield Sample(
        (make_tensor((3, 8), dtype, noncontiguous=True), make_tensor((3, 8), dtype, low=0, high=1)),
        dict(reduce=False),
        note="noncontiguous, legacy",
    )
    yield Sample((make_tensor((3, 4), dtype), make_tensor((3, 4), torch.int64, low=0, high=2)), note="integer target")
    yield Sample((make_tensor((3, 4), dtype), make_tensor((4,), dtype, low=0, high=1)), note="target size")
    yield Sample(
        (make_tensor((3, 4), dtype), make_tensor((3, 4), dtype, low=0, high=1)),
        dict(weight=make_tensor((2, 3, 4), dtype)),
        note="weight too big",
    )


def kl_div_samples(dtype):
    def inp(shape, dt=dtype):
        return make_tensor(shape, dt, low=-3, high=0)

    def tgt(shape, dt=dtype):
        return make_tensor(shape, dt, low=0.05, high=1)

    for red in REDUCTIONS + ("batchmean",):
        yield Sample((inp((3, 4)), tgt((3, 4))), dict(reduction=red))
        yield Sample((inp((3, 4)), inp((3, 4))), dict(reduction=red, log_target=True))
    yield Sample((inp(()), tgt(())), dict(reduction="batchmean"), note="0-d batchmean")
    yield Sample((inp((3, 4)), tgt((4,))), dict(reduction="none"), note="broadcast")
    yield Sample((inp((3, 4)), tgt((3, 4), torch.float64)), dict(reduction="sum"), note="mixed dtypes")
    yield Sample((inp((3, 4)), tgt((3, 4))), dict(reduce=False), note="legacy")
    yield Sample((inp((0, 4)), tgt((0, 4))), dict(reduction="batchmean"))
    if dtype.is_floating_point:
        t = tgt((3, 4))
        t[0, 0] = 0
        yield Sample((inp((3, 4)), t), dict(reduction="none"), note="zero target")
    yield Sample((inp((3, 4)), tgt((3, 4))), dict(reduction="bad"), note="bad reduction")


def _class_target(shape, c, ignore=False):
    t = make_tensor(shape, torch.int64, low=0, high=c) if c > 0 else torch.zeros(shape, dtype=torch.int64)
    if ignore and t.numel() > 1:
        t.view(-1)[0] = -100
    return t


def nll_samples(dtype):
    # Inputs are log-probabilities (<= 0): the losses do not cancel, so torch's low-precision
    # accumulation (its bfloat16 kernel sums in bfloat16) stays within the dtype's tolerance.
    def lp(shape, dt=dtype, **kw):
        return make_tensor(shape, dt, low=-4, high=0, **kw)

    for red in REDUCTIONS:
        yield Sample((lp((4, 3)), _class_target((4,), 3)), dict(reduction=red))
        yield Sample((lp((2, 3, 4, 5)), _class_target((2, 4, 5), 3, ignore=True)), dict(reduction=red), note="N-D, ignore")
        yield Sample(
            (lp((4, 3)), _class_target((4,), 3, ignore=True), make_tensor((3,), dtype, low=0.5, high=2)),
            dict(reduction=red),
            note="weight, ignore",
        )
    yield Sample((lp((3,)), _class_target((), 3)), note="1-D input")
    yield Sample((lp((3,)), _class_target((1,), 3)), dict(reduction="none"), note="1-D input, 1-element target")
    yield Sample((lp((2, 3, 4)), _class_target((2, 4), 3)), dict(ignore_index=1), note="ignore_index")
    yield Sample((lp((4, 3)), torch.full((4,), -100)), note="all ignored: nan")
    yield Sample((lp((0, 3)), _class_target((0,), 3)), dict(reduction="none"))
    yield Sample((lp((0, 3, 2)), _class_target((0, 2), 3)))
    yield Sample((lp((4, 6), noncontiguous=True), _class_target((4,), 3)), dict(size_average=False), note="noncontiguous")
    yield Sample(
        (lp((4, 3), F32), make_tensor((4,), dtype, low=0, high=3) if not dtype.is_complex else make_tensor((4,), dtype)),
        note="targets of this dtype",
    )
    yield Sample((lp((4, 3)), _class_target((4,), 3), make_tensor((3,), _other_float(dtype))), note="weight dtype")
    yield Sample((lp((4, 3)), _class_target((5,), 3)), note="batch mismatch")
    yield Sample((lp((2, 3, 4)), _class_target((2, 5), 3)), note="target shape")
    yield Sample((lp((4, 3)), _class_target((4, 1), 3)), note="multi-target")
    yield Sample((lp((4, 3)), _class_target((4,), 3), make_tensor((4,), dtype)), note="weight size")
    yield Sample((lp(()), _class_target((), 3)), note="0-d input")


def cross_entropy_samples(dtype):
    yield from nll_samples(dtype)
    for red in REDUCTIONS:
        yield Sample(
            (make_tensor((4, 3), dtype), _class_target((4,), 3, ignore=True)),
            dict(reduction=red, label_smoothing=0.1),
            note="label smoothing",
        )
        yield Sample(
            (make_tensor((4, 3), dtype), _class_target((4,), 3, ignore=True), make_tensor((3,), dtype, low=0.5, high=2)),
            dict(reduction=red, label_smoothing=0.2),
            note="label smoothing, weight",
        )
        yield Sample(
            (
                make_tensor((2, 3, 4), dtype),
                make_tensor((2, 3, 4), dtype, low=0, high=1).softmax(1) if dtype.is_floating_point else make_tensor((2, 3, 4), dtype),
            ),
            dict(reduction=red),
            note="probabilities",
        )
        yield Sample(
            (make_tensor((4, 3), dtype), make_tensor((4, 3), dtype, low=0, high=1)),
            dict(reduction=red, label_smoothing=0.3, weight=make_tensor((3,), dtype, low=0.5, high=2)),
            note="probabilities, smoothing, weight",
        )
    yield Sample((make_tensor((2, 3, 4), dtype), _class_target((2, 4), 3)), dict(label_smoothing=0.5), note="label smoothing N-D")
    yield Sample((make_tensor((3,), dtype), _class_target((), 3)), dict(label_smoothing=0.1, reduction="none"), note="1-D smoothing")
    yield Sample((make_tensor((3,), dtype), make_tensor((3,), dtype, low=0, high=1)), note="1-D probabilities")
    yield Sample((make_tensor((0, 3), dtype), make_tensor((0, 3), dtype, low=0, high=1)), note="empty probabilities: nan")
    # Mixed dtypes promote the result. torch's float16/bfloat16 log_softmax kernel differs from a float32
    # computation by an ulp of the input dtype, below the promoted result's tolerance, so low-precision
    # logits are constant along the classes here (their log_softmax is exact in both).
    logits = make_tensor((4, 3), dtype)
    if dtype in (torch.float16, torch.bfloat16):
        logits = make_tensor((4, 1), dtype).expand(4, 3).contiguous()
    yield Sample((logits, make_tensor((4, 3), torch.float64, low=0, high=1)), note="float64 probabilities")
    yield Sample(
        (logits.clone(), make_tensor((4, 3), F32, low=0, high=1)),
        dict(weight=make_tensor((3,), torch.float64)),
        note="probabilities, float64 weight",
    )
    yield Sample(
        (make_tensor((4, 3), dtype), make_tensor((4, 3), dtype, low=0, high=1)),
        dict(ignore_index=1),
        note="ignore_index with probabilities",
    )
    yield Sample((make_tensor((4, 3), dtype), _class_target((4,), 3)), dict(label_smoothing=1.5), note="label_smoothing > 1")
    for red in REDUCTIONS:
        yield Sample(
            (make_tensor((4, 3), dtype), _class_target((4,), 3).to(torch.uint8), make_tensor((3,), dtype, low=0.5, high=2)),
            dict(label_smoothing=0.1, reduction=red),
            note="uint8 targets, smoothing, weight",
        )


LOSSES = [
    OpInfo("torch.nn.functional.mse_loss", F.mse_loss, _pairwise_loss_samples(LEGACY, with_weight=True), dtypes=None, rtol=_low_tol()),
    OpInfo("torch.nn.functional.l1_loss", F.l1_loss, _pairwise_loss_samples(LEGACY, with_weight=True), dtypes=None, rtol=_low_tol()),
    OpInfo(
        "torch.nn.functional.smooth_l1_loss",
        F.smooth_l1_loss,
        _pairwise_loss_samples(
            (
                dict(beta=0.5),
                dict(beta=0.0),
                dict(beta=0.0, reduction="sum"),
                dict(beta=2.0, reduction="none"),
                dict(beta=-1.0),
                dict(reduce=False),
            )
        ),
        dtypes=None,
        rtol=_low_tol(),
    ),
    OpInfo(
        "torch.nn.functional.huber_loss",
        F.huber_loss,
        _pairwise_loss_samples((dict(delta=0.5), dict(delta=2.0, reduction="none"), dict(delta=0.0)), with_weight=True),
        dtypes=None,
        rtol=_low_tol(),
    ),
    OpInfo("torch.nn.functional.binary_cross_entropy", F.binary_cross_entropy, bce_samples, dtypes=None, rtol=_low_tol()),
    OpInfo(
        "torch.nn.functional.binary_cross_entropy_with_logits",
        F.binary_cross_entropy_with_logits,
        bce_logits_samples,
        dtypes=None,
        rtol=_low_tol(),
    ),
    OpInfo("torch.nn.functional.kl_div", F.kl_div, kl_div_samples, dtypes=None, rtol=_low_tol()),
    OpInfo("torch.nn.functional.nll_loss", F.nll_loss, nll_samples, dtypes=None, rtol=_low_tol()),
    OpInfo("torch.nn.functional.cross_entropy", F.cross_entropy, cross_entropy_samples, dtypes=None, rtol=_low_tol()),
]

OPS = ACTIVATIONS + NORMS + OTHER + ATTENTION + LOSSES
