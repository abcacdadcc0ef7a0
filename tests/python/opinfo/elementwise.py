"""Conformance entries for elementwise ops: torch-level unary/binary math and their prims."""

import torch

from .core import ALL_DTYPES, FLOAT_DTYPES, OpInfo, Sample, binary_samples, make_tensor, unary_samples
from .prims_elementwise import SPECS

# (torch name, prim name, input range) of the torch-level ops built one-to-one on an elementwise
# prim: derived from the prims' conformance entries (prims_elementwise.SPECS), whose reference is the
# torch function of the same name. One entry there covers the prim and its torch-level op.
UNARY = [
    (ref.__name__, prim, rng)
    for prim, (arity, _, ref, rng) in SPECS.items()
    if arity == 1 and getattr(torch, getattr(ref, "__name__", ""), None) is ref
]
BINARY = [
    (ref.__name__, prim, rng)
    for prim, (arity, _, ref, rng) in SPECS.items()
    if arity == 2 and getattr(torch, getattr(ref, "__name__", ""), None) is ref
] + [("div", "div", (0.5, 3))]


def _unary_torch(name, rng):
    lo, hi = rng if rng else (None, None)
    return OpInfo(f"torch.{name}", getattr(torch, name), lambda dt: unary_samples(dt, low=lo, high=hi), dtypes=None)


TENSOR_ONLY = {"maximum", "minimum", "logical_and", "logical_or", "logical_xor", "atan2", "nextafter"}
SKIPS = {
    "pow": (
        (
            lambda dt, s: dt == torch.bool and s.args[1] is True,
            "torch special-cases pow(bool tensor, True) as a copy; pow on bools is otherwise unsupported",
        ),
    ),
}


def _binary_torch(name, rng):
    lo, hi = rng if rng else (None, None)
    scalars = name not in TENSOR_ONLY
    return OpInfo(
        f"torch.{name}",
        getattr(torch, name),
        lambda dt: binary_samples(dt, rhs_low=lo, rhs_high=hi, scalars=scalars),
        dtypes=None,
        skips=SKIPS.get(name, ()),
    )


def _prim_unary_samples(dtype, lo, hi):
    # Prims take one dtype in, so samples are plain tensors of that dtype.
    for s in [(), (4,), (2, 3), (0, 2)]:
        yield Sample((make_tensor(s, dtype, low=lo, high=hi),))


def _prim_binary_samples(dtype, lo, hi):
    for s in [(), (4,), (2, 3), (0, 2)]:
        yield Sample((make_tensor(s, dtype), make_tensor(s, dtype, low=lo, high=hi)))


def _prim_ref_unary(name):
    fn = getattr(torch, name)
    return lambda a: fn(a) if name not in ("abs",) else torch.abs(a)


# Prims compute in their input dtype: the reference applies torch's op and casts back where torch
# would promote (integer inputs to float ops are rejected by the prims, so no cast is needed there).
PRIM_UNARY_DTYPES = {
    "float": FLOAT_DTYPES,
    "any": ALL_DTYPES,
}

OPS = []
for _name, _prim, _rng in UNARY:
    OPS.append(_unary_torch(_name, _rng))
for _name, _prim, _rng in BINARY:
    OPS.append(_binary_torch(_name, _rng))


# torch.add/sub with alpha, torch.div with rounding modes.
def _alpha_samples(dtype):
    yield from binary_samples(dtype, scalars=False)
    if dtype != torch.bool:
        alpha = 2 if not (dtype.is_floating_point or dtype.is_complex) else 0.5
        for s in binary_samples(dtype, scalars=False):
            yield Sample(s.args, {"alpha": alpha}, note="alpha")


OPS = [o for o in OPS if o.id not in ("torch.add", "torch.sub", "torch.div")]
OPS.append(OpInfo("torch.add", torch.add, _alpha_samples, dtypes=None))
OPS.append(OpInfo("torch.sub", torch.sub, _alpha_samples, dtypes=None))


def _div_samples(dtype):
    for mode in (None, "trunc", "floor"):
        for s in binary_samples(dtype, rhs_low=1, rhs_high=4):
            yield Sample(s.args, {"rounding_mode": mode} if mode else {}, note=s.note)
    if dtype.is_floating_point:
        # Quotients just below an integer: ATen floors them with the 0-d divisor at its own precision
        # (2.9997 -> 2), where rounding it to float16/bfloat16 first gives 3.0 and a quotient of 3.
        a = torch.tensor([9.0, 6.0, -9.0], dtype=dtype)
        yield Sample((a, torch.tensor(3.0002768, dtype=torch.float64)), {"rounding_mode": "floor"}, note="0-d float64 divisor")
        yield Sample((a, torch.tensor(3.0002768, dtype=torch.float32)), {"rounding_mode": "floor"}, note="0-d float32 divisor")


OPS.append(OpInfo("torch.div", torch.div, _div_samples, dtypes=None))


def _where_samples(dtype):
    c = make_tensor((3, 4), torch.bool)
    yield Sample((c, make_tensor((3, 4), dtype), make_tensor((3, 4), dtype)))
    yield Sample((make_tensor((3, 1), torch.bool), make_tensor((1, 4), dtype), make_tensor((4,), dtype)), note="broadcast")
    yield Sample((c, make_tensor((3, 4), dtype), 0), note="scalar other")
    yield Sample((c, 1.0, make_tensor((3, 4), dtype)), note="scalar input")
    yield Sample((make_tensor((0, 2), torch.bool), make_tensor((0, 2), dtype), make_tensor((0, 2), dtype)), note="empty")


OPS.append(OpInfo("torch.where", torch.where, _where_samples, dtypes=None))
