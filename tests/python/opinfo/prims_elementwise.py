"""Conformance entries for the elementwise prims. Prims are strict: operands agree in shape and
dtype, and each prim accepts a fixed set of dtypes (checked both ways: accepted ones match
PyTorch, the others are rejected)."""

import torch

from .core import ALL_DTYPES, COMPLEX_DTYPES, FLOAT_DTYPES, INT_DTYPES, NUMERIC_DTYPES, REAL_DTYPES, OpInfo, Sample, make_tensor

B = (torch.bool,)
KINDS = {
    "any": ALL_DTYPES,
    "notbool": NUMERIC_DTYPES,
    "real": B + REAL_DTYPES,
    "realnotbool": REAL_DTYPES,
    "float": FLOAT_DTYPES + COMPLEX_DTYPES,
    "floatreal": FLOAT_DTYPES,
    "intorbool": B + INT_DTYPES,
    "int": INT_DTYPES,
    "complex": COMPLEX_DTYPES,
}

# prim name -> (arity, accepted kind, torch reference, value range of the last operand)
SPECS = {
    "abs": (1, "notbool", torch.abs, None),
    "neg": (1, "notbool", torch.neg, None),
    "exp": (1, "float", torch.exp, None),
    "exp2": (1, "float", torch.exp2, None),
    "expm1": (1, "float", torch.expm1, None),
    "log": (1, "float", torch.log, (0.1, 5)),
    "log1p": (1, "float", torch.log1p, (0, 5)),
    "log2": (1, "float", torch.log2, (0.1, 5)),
    "log10": (1, "float", torch.log10, (0.1, 5)),
    "sqrt": (1, "float", torch.sqrt, (0, 5)),
    "rsqrt": (1, "float", torch.rsqrt, (0.1, 5)),
    "reciprocal": (1, "float", torch.reciprocal, (0.5, 3)),
    "sin": (1, "float", torch.sin, None),
    "cos": (1, "float", torch.cos, None),
    "tan": (1, "float", torch.tan, (-1, 1)),
    "asin": (1, "float", torch.asin, (-0.9, 0.9)),
    "acos": (1, "float", torch.acos, (-0.9, 0.9)),
    "atan": (1, "float", torch.atan, None),
    "sinh": (1, "float", torch.sinh, None),
    "cosh": (1, "float", torch.cosh, None),
    "tanh": (1, "float", torch.tanh, None),
    "asinh": (1, "float", torch.asinh, None),
    "acosh": (1, "float", torch.acosh, (1.1, 4)),
    "atanh": (1, "float", torch.atanh, (-0.9, 0.9)),
    "erf": (1, "floatreal", torch.erf, None),
    "erfc": (1, "floatreal", torch.erfc, None),
    "erfinv": (1, "floatreal", torch.erfinv, (-0.9, 0.9)),
    "lgamma": (1, "floatreal", torch.lgamma, (0.1, 5)),
    "digamma": (1, "floatreal", torch.digamma, (0.1, 5)),
    "sign": (1, "real", torch.sign, None),
    "signbit": (1, "real", torch.signbit, None),
    "floor": (1, "realnotbool", torch.floor, None),
    "ceil": (1, "realnotbool", torch.ceil, None),
    "round": (1, "realnotbool", torch.round, None),
    "trunc": (1, "realnotbool", torch.trunc, None),
    "isfinite": (1, "any", torch.isfinite, None),
    "isnan": (1, "any", torch.isnan, None),
    "isinf": (1, "any", torch.isinf, None),
    "logical_not": (1, "any", torch.logical_not, None),
    "bitwise_not": (1, "intorbool", torch.bitwise_not, None),
    "real": (1, "any", torch.real, None),
    "imag": (1, "complex", torch.imag, None),
    "rad2deg": (1, "floatreal", torch.rad2deg, None),
    "deg2rad": (1, "floatreal", torch.deg2rad, None),
    "add": (2, "any", torch.add, None),
    "sub": (2, "notbool", torch.sub, None),
    "mul": (2, "any", torch.mul, None),
    # Integer division in the prim truncates (C semantics); torch.div(..., rounding_mode="trunc") is the same.
    "div": (
        2,
        "notbool",
        lambda a, b: torch.div(a, b, rounding_mode="trunc") if not (a.dtype.is_floating_point or a.dtype.is_complex) else torch.div(a, b),
        (1, 4),
    ),
    "pow": (2, "notbool", torch.pow, (0, 2)),
    "fmod": (2, "realnotbool", torch.fmod, (1, 4)),
    "remainder": (2, "realnotbool", torch.remainder, (1, 4)),
    "maximum": (2, "real", torch.maximum, None),
    "minimum": (2, "real", torch.minimum, None),
    "eq": (2, "any", torch.eq, None),
    "ne": (2, "any", torch.ne, None),
    "lt": (2, "real", torch.lt, None),
    "le": (2, "real", torch.le, None),
    "gt": (2, "real", torch.gt, None),
    "ge": (2, "real", torch.ge, None),
    "logical_and": (2, "any", torch.logical_and, None),
    "logical_or": (2, "any", torch.logical_or, None),
    "logical_xor": (2, "any", torch.logical_xor, None),
    "bitwise_and": (2, "intorbool", torch.bitwise_and, None),
    "bitwise_or": (2, "intorbool", torch.bitwise_or, None),
    "bitwise_xor": (2, "intorbool", torch.bitwise_xor, None),
    "shift_left": (2, "int", torch.bitwise_left_shift, (0, 3)),
    "shift_right": (2, "int", torch.bitwise_right_shift, (0, 3)),
    "atan2": (2, "floatreal", torch.atan2, None),
    "copysign": (2, "floatreal", torch.copysign, None),
    "nextafter": (2, "floatreal", torch.nextafter, None),
    "lerp": (3, "float", torch.lerp, (0, 1)),
}

SHAPES = [(), (4,), (2, 3), (0, 2), (1, 5)]


def _samples(arity, rng):
    lo, hi = rng if rng else (None, None)

    def gen(dtype):
        for s in SHAPES:
            ops = [make_tensor(s, dtype) for _ in range(arity - 1)] + [make_tensor(s, dtype, low=lo, high=hi)]
            yield Sample(tuple(ops))
        if arity == 2 and dtype != torch.bool:
            yield Sample((make_tensor((2, 3), dtype), 2 if not (dtype.is_floating_point or dtype.is_complex) else 0.5), note="weak scalar")

    return gen


def _lerp_ref(a, b, w):
    return torch.lerp(a, b, w)


def _weak_scalars(fn):
    # A number operand of a prim takes the tensor operand's dtype.
    def ref(*args):
        t = next(a for a in args if isinstance(a, torch.Tensor))
        return fn(*(a if isinstance(a, torch.Tensor) else torch.full_like(t, a) for a in args))

    return ref


OPS = []
for _name, (_arity, _kind, _ref, _rng) in SPECS.items():
    OPS.append(OpInfo(f"prims.{_name}", _weak_scalars(_ref), _samples(_arity, _rng), dtypes=KINDS[_kind], strict_dtypes=True))


def _where_samples(dtype):
    for s in SHAPES:
        yield Sample((make_tensor(s, torch.bool), make_tensor(s, dtype), make_tensor(s, dtype)))


OPS.append(OpInfo("prims.where", torch.where, _where_samples, dtypes=ALL_DTYPES, strict_dtypes=True))


def _convert_samples(dtype):
    for target in ALL_DTYPES:
        yield Sample((make_tensor((2, 3), dtype), target))


def _convert(a, dt):
    return a.real.to(dt) if a.is_complex() and not dt.is_complex else a.to(dt)


OPS.append(OpInfo("prims.convert_element_type", _convert, _convert_samples, dtypes=ALL_DTYPES, strict_dtypes=True))


def _print_samples(dtype):
    yield Sample((make_tensor((2, 3), dtype),))


# An effect with no outputs: keraunos accepts any value and returns nothing (DCE keeps it).
OPS.append(OpInfo("prims.print", lambda a: (), _print_samples, dtypes=ALL_DTYPES, compare_values=False))
