"""Values of the random ops: their decompositions (down to prims.rng_seed_offset and
prims.uniform_philox) run by the prim reference interpreter, and by the ATen executor where the
build has it, must give the right distributions. 10^5 samples each; the bounds are several standard
errors wide."""

import math

import pytest
import torch
from opinfo.interpret import run_trace
from opinfo.tracing import record

from keraunos import _C

N = 100_000


def _interpret(op_id, args, kwargs, inputs=()):
    tb, _ = record(op_id, args, kwargs)
    return run_trace(tb, list(inputs))[0]


def _aten(op_id, args, kwargs, inputs=()):
    tb, _ = record(op_id, args, kwargs)
    return _C.compile_trace(tb, ["aten"]).run(list(inputs))[0]


RUNNERS = [pytest.param(_interpret, id="interpreter")]
if hasattr(_C, "compile_trace"):
    RUNNERS.append(pytest.param(_aten, id="aten"))


def _check_uniform(x, lo=0.0, hi=1.0):
    x = x.double()
    assert x.min() >= lo and x.max() < hi, (x.min().item(), x.max().item())
    width = hi - lo
    assert abs(x.mean().item() - (lo + hi) / 2) < 0.01 * width
    assert abs(x.std().item() - width / math.sqrt(12)) < 0.01 * width
    # Each tenth of the range holds about a tenth of the samples.
    counts = torch.histc(x, bins=10, min=lo, max=hi)
    assert ((counts / x.numel() - 0.1).abs() < 0.01).all(), counts


def _check_normal(x, std=1.0):
    x = x.double()
    assert torch.isfinite(x).all()
    assert abs(x.mean().item()) < 0.02 * std
    assert abs(x.std().item() - std) < 0.02 * std
    assert abs((x.abs() < std).double().mean().item() - 0.6827) < 0.01
    assert abs((x.abs() < 2 * std).double().mean().item() - 0.9545) < 0.01


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_rand_is_uniform(run, dtype):
    x = run("torch.rand", ((N,),), {"dtype": dtype})
    assert x.shape == (N,) and x.dtype == dtype
    _check_uniform(x)
    if dtype in (torch.float16, torch.bfloat16):
        # torch's grid for low-precision samples: multiples of 2^-digits.
        digits = 11 if dtype == torch.float16 else 8
        k = x.double() * 2**digits
        assert (k == k.floor()).all()


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128])
def test_rand_complex_parts_are_uniform(run, dtype):
    x = run("torch.rand", ((N,),), {"dtype": dtype})
    assert x.dtype == dtype
    _check_uniform(x.real)
    _check_uniform(x.imag)
    assert abs(torch.corrcoef(torch.stack([x.real, x.imag]).double())[0, 1].item()) < 0.02


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_randn_is_standard_normal(run, dtype):
    x = run("torch.randn", ((N,),), {"dtype": dtype})
    assert x.shape == (N,) and x.dtype == dtype
    _check_normal(x)


@pytest.mark.parametrize("run", RUNNERS)
def test_randn_complex(run):
    x = run("torch.randn", ((N,),), {"dtype": torch.complex64})
    _check_normal(x.real, std=math.sqrt(0.5))
    _check_normal(x.imag, std=math.sqrt(0.5))
    assert abs(torch.corrcoef(torch.stack([x.real, x.imag]).double())[0, 1].item()) < 0.02


@pytest.mark.parametrize("run", RUNNERS)
def test_randn_multidim(run):
    x = run("torch.randn", ((100, 1000),), {})
    assert x.shape == (100, 1000)
    _check_normal(x.flatten())
    # Rows are not copies of each other.
    assert abs(torch.corrcoef(x[:2].double())[0, 1].item()) < 0.1


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize(
    "low,high,dtype",
    [(0, 10, torch.int64), (-5, 5, torch.int8), (3, 1000, torch.int32), (0, 2, torch.bool), (-7, 9, torch.float32), (0, 256, torch.uint8)],
)
def test_randint_is_uniform_over_the_range(run, low, high, dtype):
    x = run("torch.randint", (low, high, (N,)), {"dtype": dtype})
    assert x.shape == (N,) and x.dtype == dtype
    v = x.long()
    assert v.min() >= low and v.max() < high
    assert (x.double() == x.double().floor()).all()
    counts = torch.bincount(v - low, minlength=high - low).double()
    expected = N / (high - low)
    # Every value appears, none much more often than the others.
    if high - low <= 256:
        assert (counts > 0).all()
        assert ((counts - expected).abs() < 6 * math.sqrt(expected) + 1).all()
    assert abs(v.double().mean().item() - (low + high - 1) / 2) < 0.01 * (high - low)


@pytest.mark.parametrize("run", RUNNERS)
def test_like_variants(run):
    base = torch.zeros(200, 500, dtype=torch.float64)
    x = run("torch.rand_like", (base,), {}, [base])
    assert x.shape == base.shape and x.dtype == torch.float64
    _check_uniform(x.flatten())
    y = run("torch.randn_like", (base,), {"dtype": torch.float32}, [base])
    assert y.dtype == torch.float32
    _check_normal(y.flatten())
    z = run("torch.randint_like", (base, -3, 4), {}, [base])
    assert z.dtype == torch.float64 and z.min() == -3 and z.max() == 3


@pytest.mark.skipif(not hasattr(_C, "compile_trace"), reason="needs the runtime")
def test_two_draws_in_one_trace_differ():
    # Each random op reads its own (seed, offset); CSE must not merge two identical calls.
    tb = _C.TraceBuilder()
    outs = tb.call("torch.rand", [(1000,)], {}) + tb.call("torch.rand", [(1000,)], {}) + tb.call("torch.randn", [(1000,)], {})
    tb.set_outputs(outs)
    a, b, c = _C.compile_trace(tb, ["aten"]).run([])
    assert not torch.equal(a, b)
    assert abs(torch.corrcoef(torch.stack([a, b]).double())[0, 1].item()) < 0.15
    assert abs(c.double().mean().item()) < 0.15
