"""Conformance entries for creation, random and conversion ops, and the elementwise extras of the
same family (clamp, lerp, addcmul, ...).

Factories take no tensors: samples pass the dtype under test as dtype= (PyTorch's accept/reject
parity then covers every dtype) and also leave it out (dtype inference). Random ops compare shapes
and dtypes only; tests/python/test_ops_random.py checks their values statistically."""

import math

import torch

from .core import ALL_DTYPES, OpInfo, Sample, binary_samples, make_tensor, unary_samples

SIZES = [(2, 3), (), (0, 4), (5,), (1, 1, 2)]


# ---- creation ---------------------------------------------------------------------------------


def _fill_samples(dtype):
    for s in SIZES:
        yield Sample((s,), {"dtype": dtype})
    yield Sample(((2, 3),), note="default dtype")
    yield Sample(((3,),), {"dtype": dtype, "device": "cpu"}, note="device str")
    yield Sample(((3,),), {"dtype": dtype, "device": torch.device("cpu")}, note="device")
    yield Sample(((2, 2),), {"dtype": dtype, "requires_grad": True}, note="requires_grad")
    yield Sample(((2, -1),), {"dtype": dtype}, note="negative size")


def _full_samples(dtype):
    for s in SIZES:
        yield Sample((s, 3), {"dtype": dtype})
    for v in (1.5, 2, True, -1, -7, 300, -300, 1e10, math.inf, -math.inf, math.nan, 70000):
        yield Sample(((2, 3), v), {"dtype": dtype}, note=f"fill {v}")
    for v in (1.5, 2, True, -3):
        yield Sample(((2, 3), v), note="dtype from the fill value")
    yield Sample(((2,), 1.0), {"dtype": dtype, "requires_grad": True}, note="requires_grad")


def _like_samples(dtype):
    for s in [(), (5,), (3, 4), (0, 3)]:
        yield Sample((make_tensor(s, dtype),))
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True),), note="noncontiguous")
    for dt in (torch.float64, torch.int32, torch.bool, torch.complex64):
        yield Sample((make_tensor((2, 3), dtype),), {"dtype": dt}, note="dtype kw")
    yield Sample((make_tensor((2, 3), dtype),), {"device": "cpu"}, note="device")
    yield Sample((make_tensor((2, 3), dtype),), {"requires_grad": True}, note="requires_grad")


def _full_like_samples(dtype):
    for s in [(), (5,), (3, 4), (0, 3)]:
        yield Sample((make_tensor(s, dtype), 2))
    for v in (1.5, True, -1, 300, 1e10, math.inf, math.nan):
        yield Sample((make_tensor((2, 3), dtype), v), note=f"fill {v}")
    yield Sample((make_tensor((2, 3), dtype), 3), {"dtype": torch.float64}, note="dtype kw")
    yield Sample((make_tensor((2, 3), dtype), 1.5), {"dtype": torch.int16}, note="dtype kw")


def _eye_samples(dtype):
    for args in [(3,), (2, 4), (4, 2), (0,), (3, 0), (1,)]:
        yield Sample(args, {"dtype": dtype})
    yield Sample((3,), note="default dtype")
    yield Sample((3,), {"m": 5, "dtype": dtype}, note="m kw")
    yield Sample((-1,), {"dtype": dtype}, note="negative n")


def _arange_samples(dtype):
    integral = not (dtype.is_floating_point or dtype.is_complex)
    for args in [(5,), (1, 7), (1, 10, 3), (10, 1, -2), (-3, 4), (0,), (7, 7)]:
        yield Sample(args, {"dtype": dtype})
        yield Sample(args, note="inferred dtype")
    for args in [(0.5, 3.0, 0.5), (0, 1, 0.1), (-3.5, 2), (2.5,), (1, 2.25, 0.25), (10, 0, -1.5)]:
        yield Sample(args, note="float arguments")
        if not integral:  # integer dtypes truncate a step < 1 to 0 (PyTorch crashes with SIGFPE)
            yield Sample(args, {"dtype": dtype}, note="float arguments")
    yield Sample((0, 7, 1.5), {"dtype": dtype}, note="float step, truncated for integer dtypes")
    yield Sample((1, 5, -1), {"dtype": dtype}, note="inconsistent step sign")
    yield Sample((1, 5, 0), {"dtype": dtype}, note="zero step")
    yield Sample((5,), {"dtype": dtype, "requires_grad": True}, note="requires_grad")
    yield Sample((0, 6), {"step": 2, "dtype": dtype, "device": "cpu"}, note="keywords")


def _linspace_samples(dtype):
    for args in [(0, 10, 5), (1.5, 9.5, 7), (3, 3, 1), (0, 1, 0), (2, 8, 2), (0, 255, 11), (0, 100, 100), (0, 1e5, 3), (0, 200, 1)]:
        yield Sample(args, {"dtype": dtype})
    if dtype != torch.uint8:
        yield Sample((2, -3, 6), {"dtype": dtype}, note="decreasing")
        yield Sample((-2.5, 2.5, 9), {"dtype": dtype}, note="negative start")
    yield Sample((0, 1, 5), note="default dtype")
    yield Sample((0, 1), {"steps": 4, "dtype": dtype}, note="steps kw")
    yield Sample((0, 1, -1), {"dtype": dtype}, note="negative steps")


# ---- random -----------------------------------------------------------------------------------


def _rand_samples(dtype):
    for s in SIZES:
        yield Sample((s,), {"dtype": dtype})
    yield Sample(((2, 3),), note="default dtype")
    yield Sample(((4,),), {"dtype": dtype, "device": "cpu", "requires_grad": True}, note="keywords")


def _rand_like_samples(dtype):
    for s in [(), (5,), (3, 4), (0, 3)]:
        yield Sample((make_tensor(s, dtype),))
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True),), note="noncontiguous")
    for dt in (torch.float64, torch.float16, torch.int32, torch.complex64):
        yield Sample((make_tensor((2, 3), dtype),), {"dtype": dt}, note="dtype kw")


def _randint_samples(dtype):
    for args in [(0, 10, (3, 4)), (10, (5,)), (-5, 5, (2, 3)), (0, 2, (4,)), (0, 1000, (3,)), (3, 4, ()), (0, 5, (0, 2))]:
        yield Sample(args, {"dtype": dtype})
    yield Sample((0, 10, (3, 4)), note="default dtype")
    yield Sample((7,), {"size": (2, 2), "dtype": dtype}, note="size kw")
    yield Sample((5, 5, (2,)), {"dtype": dtype}, note="empty range")


def _randint_like_samples(dtype):
    for args in [(10,), (-3, 10), (0, 2), (0, 300)]:
        yield Sample((make_tensor((3, 4), dtype),) + args)
    yield Sample((make_tensor((), dtype), 5), note="0-d")
    yield Sample((make_tensor((0, 3), dtype), 5), note="empty")
    yield Sample((make_tensor((2, 3), dtype), 0, 7), {"dtype": torch.int16}, note="dtype kw")


# ---- conversions ------------------------------------------------------------------------------


def _to_samples(dtype):
    t = make_tensor((3, 4), dtype)
    for dt in ALL_DTYPES:
        yield Sample((t, dt), note="dtype")
    yield Sample((make_tensor((), dtype), torch.float64), note="0-d")
    yield Sample((make_tensor((0, 2), dtype), torch.int32), note="empty")
    yield Sample((make_tensor((4, 3), dtype, noncontiguous=True), torch.float16), note="noncontiguous")
    yield Sample((t, "cpu"), note="device str")
    yield Sample((t, torch.device("cpu")), note="device")
    yield Sample((t, "cpu", torch.float64), note="device, dtype")
    yield Sample((t,), {"dtype": torch.int32}, note="dtype kw")
    yield Sample((t,), {"device": "cpu", "dtype": torch.bool}, note="device, dtype kw")
    yield Sample((t, "cpu"), {"dtype": torch.int8}, note="device, dtype kw")
    yield Sample((t, make_tensor((2,), torch.int8)), note="like another tensor")
    yield Sample((t, torch.float16, True), note="non_blocking")
    yield Sample((t, torch.float16, False, True), note="non_blocking, copy")
    yield Sample((t, dtype), {"copy": True}, note="copy")
    yield Sample((t,), note="no-op")
    yield Sample((t, torch.float16, torch.float32), note="two dtypes")
    yield Sample((t, "float16"), note="bad device string")


def _type_as_samples(dtype):
    for dt in ALL_DTYPES:
        yield Sample((make_tensor((3, 4), dtype), make_tensor((2,), dt)))
    yield Sample((make_tensor((), dtype), make_tensor((), torch.float64)), note="0-d")


# ---- elementwise extras -----------------------------------------------------------------------


def _clamp_samples(dtype):
    mk = lambda s, **k: make_tensor(s, dtype, **k)  # noqa: E731
    lo_num = False if dtype == torch.bool else -2
    hi_num = True if dtype == torch.bool else 2
    yield Sample((mk((3, 4)), lo_num, hi_num))
    yield Sample((mk((3, 4)),), {"min": lo_num}, note="min only")
    yield Sample((mk((3, 4)),), {"max": hi_num}, note="max only")
    yield Sample((mk((3, 4)), mk((3, 4)), mk((4,))), note="tensor bounds, broadcast")
    yield Sample((mk((3, 1)), mk((1, 4))), note="tensor min, broadcast")
    yield Sample((mk((3, 4)), None, mk((3, 4))), note="tensor max")
    yield Sample((mk((3, 4)), 0.5), note="float bound")
    yield Sample((mk((3, 4)), 1, -1), note="min > max")
    yield Sample((mk((3, 4)), make_tensor((), torch.float64)), note="0-d float64 bound")
    yield Sample((mk((3, 4)), make_tensor((4,), torch.float64)), note="float64 bound")
    yield Sample((mk(()), -1, 1), note="0-d")
    yield Sample((mk((0, 3)), -1, 1), note="empty")
    yield Sample((mk((4, 3), noncontiguous=True), -1, 1), note="noncontiguous")
    yield Sample((mk((3, 4)),), note="no bounds")
    yield Sample((mk((3, 4)), True), note="bool bound")


def _clamp_one_samples(dtype):
    mk = lambda s, **k: make_tensor(s, dtype, **k)  # noqa: E731
    yield Sample((mk((3, 4)), 1))
    yield Sample((mk((3, 4)), 0.5), note="float bound")
    yield Sample((mk((3, 4)), -1), note="negative bound")
    yield Sample((mk((3, 4)), mk((4,))), note="tensor bound")
    yield Sample((mk((3, 1)), mk((1, 4))), note="broadcast")
    yield Sample((mk((3, 4)), make_tensor((), torch.float64)), note="0-d float64 bound")
    yield Sample((mk(()), mk(())), note="0-d")
    yield Sample((mk((0, 3)), 1), note="empty")
    yield Sample((mk((4, 3), noncontiguous=True), mk((4, 3))), note="noncontiguous")
    yield Sample((mk((3, 4)), True), note="bool bound")


def _lerp_samples(dtype):
    mk = lambda s, **k: make_tensor(s, dtype, **k)  # noqa: E731
    yield Sample((mk((3, 4)), mk((3, 4)), 0.3))
    yield Sample((mk((3, 4)), mk((3, 4)), 0.8), note="weight >= 0.5")
    yield Sample((mk((3, 4)), mk((3, 4)), mk((3, 4), low=0, high=1)), note="tensor weight")
    yield Sample((mk((3, 1)), mk((4,)), mk((2, 1, 1), low=0, high=1)), note="broadcast")
    yield Sample((mk((3, 4)), mk((3, 4)), make_tensor((), torch.float64, low=0, high=1)), note="0-d float64 weight")
    yield Sample((mk((3, 4)), mk((3, 4)), torch.tensor(1)), note="0-d int weight")
    yield Sample((mk((3, 4)), mk((3, 4)), 2), note="int weight")
    yield Sample((mk((3, 4)), make_tensor((3, 4), torch.float64), 0.5), note="end of another dtype")
    yield Sample((mk((3, 4)), mk((3, 4)), make_tensor((4,), torch.float64)), note="weight of another dtype")
    yield Sample((mk(()), mk(()), 0.5), note="0-d")
    yield Sample((mk((0, 3)), mk((0, 3)), 0.5), note="empty")
    yield Sample((mk((4, 3), noncontiguous=True), mk((4, 3)), 0.5), note="noncontiguous")


def _addc_samples(dtype, div):
    mk = lambda s, **k: make_tensor(s, dtype, **k)  # noqa: E731
    lo = 1 if div else None  # divisors away from 0
    yield Sample((mk((3, 4)), mk((3, 4)), mk((3, 4), low=lo, high=4 if div else None)))
    yield Sample((mk((3, 4)), mk((3, 4)), mk((3, 4), low=lo, high=4 if div else None)), {"value": 2}, note="value")
    yield Sample((mk((3, 4)), mk((3, 4)), mk((3, 4), low=lo, high=4 if div else None)), {"value": 0.5}, note="float value")
    yield Sample((mk((3, 4)), mk((3, 4)), mk((3, 4), low=lo, high=4 if div else None)), {"value": -1.5}, note="float value")
    yield Sample((mk((3, 1)), mk((4,)), mk((2, 1, 1), low=lo, high=4 if div else None)), note="broadcast")
    yield Sample((mk((3, 4)), make_tensor((3, 4), torch.float64), mk((4,), low=lo, high=4 if div else None)), note="mixed dtypes")
    yield Sample((mk((3, 4)), mk((3, 4)), make_tensor((), torch.float64, low=1, high=3)), note="0-d float64")
    yield Sample((make_tensor((3, 4), torch.float32), mk((3, 4)), mk((3, 4), low=lo, high=4 if div else None)), note="float input")
    yield Sample((mk(()), mk(()), mk((), low=lo, high=4 if div else None)), note="0-d")
    yield Sample((mk((0, 3)), mk((0, 3)), mk((0, 3))), note="empty")
    yield Sample((mk((4, 3), noncontiguous=True), mk((4, 3)), mk((4, 3), low=lo, high=4 if div else None)), note="noncontiguous")


def _rsub_samples(dtype):
    yield from binary_samples(dtype)
    if dtype != torch.bool:
        alpha = 2 if not (dtype.is_floating_point or dtype.is_complex) else 0.5
        yield Sample((make_tensor((3, 4), dtype), make_tensor((3, 4), dtype)), {"alpha": alpha}, note="alpha")
        yield Sample((make_tensor((3, 4), dtype), 3), {"alpha": alpha}, note="alpha, scalar")
        yield Sample((make_tensor((3, 4), dtype), 3), {"alpha": 0.5}, note="float alpha")


def _div_samples(dtype):
    # Divisors avoid 0: integer division by zero raises in PyTorch (data-dependent, not traceable).
    yield from binary_samples(dtype, rhs_low=1, rhs_high=4)
    if dtype not in (torch.bool, torch.uint8):
        yield Sample((make_tensor((3, 4), dtype), make_tensor((3, 4), dtype, low=-4, high=-1)), note="negative divisor")
    divisor = torch.ones(3, 4, dtype=dtype) if dtype == torch.bool else make_tensor((3, 4), dtype, low=1, high=4)
    yield Sample((2, divisor), note="scalar dividend")


def _nan_to_num_samples(dtype):
    yield from unary_samples(dtype)
    if dtype.is_floating_point or dtype.is_complex:
        x = make_tensor((3, 5), dtype)
        if dtype.is_complex:
            x[0, 0] = complex(math.nan, 1)
            x[0, 1] = complex(math.inf, -math.inf)
            x[1, 2] = complex(2, math.nan)
        else:
            x[0, 0] = math.nan
            x[0, 1] = math.inf
            x[1, 2] = -math.inf
        yield Sample((x,), note="nan and infinities")
        yield Sample((x, 1.0, 100.0, -100.0), note="replacements")
        yield Sample((x,), {"posinf": 7.5}, note="posinf only")
        yield Sample((x,), {"nan": -2.0, "neginf": 0.25}, note="keywords")
    yield Sample((make_tensor((2, 3), dtype), 1.0, 2.0, 3.0), note="replacements")


def _logit_samples(dtype):
    lo, hi = (0.02, 0.98)
    yield from unary_samples(dtype, low=lo, high=hi)
    yield Sample((make_tensor((3, 4), dtype, low=lo, high=hi), 0.1), note="eps clamps")
    yield Sample((make_tensor((3, 4), dtype, low=lo, high=hi),), {"eps": 1e-6}, note="eps kw")
    yield Sample((make_tensor((3, 4), dtype, low=lo, high=hi), -1.0), note="negative eps")


def _sgn_samples(dtype):
    yield from unary_samples(dtype)
    x = make_tensor((2, 3), dtype)
    x[0, 0] = 0
    yield Sample((x,), note="zero")


def _xlogy_samples(dtype):
    yield from binary_samples(dtype, rhs_low=0.5, rhs_high=4)
    if dtype.is_floating_point:
        x = make_tensor((2, 3), dtype)
        y = make_tensor((2, 3), dtype, low=0.5, high=3)
        x[0, 0] = 0
        x[0, 1] = 0
        y[0, 1] = math.nan
        y[1, 1] = math.nan
        x[1, 2] = 0
        y[1, 2] = 0
        yield Sample((x, y), note="zeros and NaNs")
    yield Sample((2, make_tensor((2, 3), dtype, low=0.5, high=4)), note="scalar x")
    yield Sample((0, make_tensor((2, 3), dtype, low=0.5, high=4)), note="scalar 0")


def _logaddexp_samples(dtype):
    yield from binary_samples(dtype, scalars=False)
    if dtype.is_floating_point:
        x = make_tensor((2, 3), dtype)
        y = make_tensor((2, 3), dtype)
        x[0, 0] = y[0, 0] = math.inf
        x[0, 1] = y[0, 1] = -math.inf
        x[1, 0] = math.inf
        y[1, 1] = -math.inf
        x[1, 2] = math.nan
        yield Sample((x, y), note="infinities and NaN")


def _hypot_samples(dtype):
    yield from binary_samples(dtype, scalars=False)
    if dtype.is_floating_point:
        x = make_tensor((2, 3), dtype)
        y = make_tensor((2, 3), dtype)
        x[0, 0] = math.inf
        y[0, 0] = math.nan
        y[1, 1] = -math.inf
        yield Sample((x, y), note="infinities")


def _float_power_samples(dtype):
    yield from binary_samples(dtype, low=0.5, high=3, rhs_low=-2, rhs_high=3)
    yield Sample((2, make_tensor((3,), dtype, low=-2, high=3)), note="scalar base")
    yield Sample((make_tensor((3,), dtype, low=0.5, high=3), 2.5), note="float exponent")


def _heaviside_samples(dtype):
    yield from binary_samples(dtype, scalars=False)
    x = make_tensor((3, 4), dtype)
    x[0] = 0
    yield Sample((x, make_tensor((4,), dtype)), note="zeros")


OPS = [
    # creation
    OpInfo("torch.zeros", torch.zeros, _fill_samples, dtypes=None),
    OpInfo("torch.ones", torch.ones, _fill_samples, dtypes=None),
    OpInfo("torch.empty", torch.empty, _fill_samples, dtypes=None, compare_values=False),
    OpInfo("torch.full", torch.full, _full_samples, dtypes=None),
    OpInfo("torch.zeros_like", torch.zeros_like, _like_samples, dtypes=None),
    OpInfo("torch.ones_like", torch.ones_like, _like_samples, dtypes=None),
    OpInfo("torch.empty_like", torch.empty_like, _like_samples, dtypes=None, compare_values=False),
    OpInfo("torch.full_like", torch.full_like, _full_like_samples, dtypes=None),
    OpInfo("torch.eye", torch.eye, _eye_samples, dtypes=None),
    OpInfo("torch.arange", torch.arange, _arange_samples, dtypes=None),
    OpInfo("torch.linspace", torch.linspace, _linspace_samples, dtypes=None),
    # random
    OpInfo("torch.rand", torch.rand, _rand_samples, dtypes=None, compare_values=False),
    OpInfo("torch.randn", torch.randn, _rand_samples, dtypes=None, compare_values=False),
    OpInfo("torch.randint", torch.randint, _randint_samples, dtypes=None, compare_values=False),
    OpInfo("torch.rand_like", torch.rand_like, _rand_like_samples, dtypes=None, compare_values=False),
    OpInfo("torch.randn_like", torch.randn_like, _rand_like_samples, dtypes=None, compare_values=False),
    OpInfo("torch.randint_like", torch.randint_like, _randint_like_samples, dtypes=None, compare_values=False),
    # conversions
    OpInfo("torch.Tensor.to", torch.Tensor.to, _to_samples, dtypes=None),
    OpInfo("torch.Tensor.type_as", torch.Tensor.type_as, _type_as_samples, dtypes=None),
]
for _name in ("float", "double", "half", "bfloat16", "int", "long", "bool", "short", "byte", "char"):
    OPS.append(OpInfo(f"torch.Tensor.{_name}", getattr(torch.Tensor, _name), unary_samples, dtypes=None))

OPS += [
    OpInfo("torch.clamp", torch.clamp, _clamp_samples, dtypes=None),
    OpInfo("torch.clip", torch.clip, _clamp_samples, dtypes=None),
    OpInfo("torch.clamp_min", torch.clamp_min, _clamp_one_samples, dtypes=None),
    OpInfo("torch.clamp_max", torch.clamp_max, _clamp_one_samples, dtypes=None),
    OpInfo("torch.lerp", torch.lerp, _lerp_samples, dtypes=None),
    OpInfo("torch.addcmul", torch.addcmul, lambda dt: _addc_samples(dt, False), dtypes=None),
    OpInfo("torch.addcdiv", torch.addcdiv, lambda dt: _addc_samples(dt, True), dtypes=None),
    OpInfo("torch.square", torch.square, unary_samples, dtypes=None),
    OpInfo("torch.rsub", torch.rsub, _rsub_samples, dtypes=None),
    OpInfo("torch.true_divide", torch.true_divide, _div_samples, dtypes=None),
    OpInfo("torch.floor_divide", torch.floor_divide, _div_samples, dtypes=None),
    OpInfo("torch.nan_to_num", torch.nan_to_num, _nan_to_num_samples, dtypes=None),
    OpInfo("torch.logit", torch.logit, _logit_samples, dtypes=None),
    OpInfo("torch.frac", torch.frac, unary_samples, dtypes=None),
    OpInfo("torch.positive", torch.positive, unary_samples, dtypes=None),
    OpInfo("torch.sgn", torch.sgn, _sgn_samples, dtypes=None),
    OpInfo("torch.xlogy", torch.xlogy, _xlogy_samples, dtypes=None),
    OpInfo("torch.hypot", torch.hypot, _hypot_samples, dtypes=None),
    OpInfo("torch.logaddexp", torch.logaddexp, _logaddexp_samples, dtypes=None),
    OpInfo("torch.float_power", torch.float_power, _float_power_samples, dtypes=None),
    OpInfo("torch.heaviside", torch.heaviside, _heaviside_samples, dtypes=None),
]
