"""Dropout's values, which the conformance table cannot compare element by element: the mask comes
from prims.rng_seed_offset + prims.uniform_philox, so the check is statistical. Run through the prim
reference interpreter: about p of the outputs are zero and the others equal input / (1 - p)."""

import pytest
import torch
import torch.nn.functional as F
from opinfo.core import make_tensor
from opinfo.interpret import run_trace
from opinfo.tracing import dtype_name, record

from keraunos import _C  # noqa: F401

FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
RTOL = {torch.float16: 2e-3, torch.bfloat16: 1e-2, torch.float32: 1e-6, torch.float64: 1e-12}


def _run(op_id, args, kwargs=None):
    kwargs = kwargs or {}
    tb, outs = record(op_id, args, kwargs)
    assert not tb.verify()
    inputs = [a for a in args if isinstance(a, torch.Tensor)] + [v for v in kwargs.values() if isinstance(v, torch.Tensor)]
    return tb, run_trace(tb, inputs)[0]


def _prims(tb):
    return [sym for sym, _, _ in tb.flat_prims()]


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_name)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_statistics(dtype, p):
    # Inputs away from zero, so that a zero output can only come from the mask.
    x = make_tensor((200, 300), dtype, low=0.5, high=3.0)
    tb, got = _run("torch.nn.functional.dropout", (x,), {"p": p})
    want = F.dropout(x, p)
    assert got.shape == want.shape and got.dtype == want.dtype
    dropped = got == 0
    frac = dropped.double().mean().item()
    # 60000 Bernoulli draws: the standard deviation of the fraction is below 0.0021.
    assert abs(frac - p) < 0.015, f"dropped fraction {frac:.4f}, expected {p}"
    kept = ~dropped
    torch.testing.assert_close(got[kept].double(), (x[kept].double() / (1 - p)).to(dtype).double(), rtol=RTOL[dtype], atol=0)
    assert _prims(tb).count("prims.uniform_philox") == 1 and _prims(tb).count("prims.rng_seed_offset") == 1


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_name)
def test_dropout_deterministic_cases(dtype):
    x = make_tensor((4, 5), dtype)
    for kwargs, want in [({"training": False}, x), ({"p": 0.0}, x), ({"p": 1.0}, x * 0)]:
        tb, got = _run("torch.nn.functional.dropout", (x,), kwargs)
        assert torch.equal(got, want), kwargs
        assert "prims.uniform_philox" not in _prims(tb), "no random numbers when the result is deterministic"


def test_dropout_p_one_keeps_nan():
    x = torch.tensor([float("nan"), 1.0, -2.0])
    _, got = _run("torch.nn.functional.dropout", (x,), {"p": 1.0})
    assert torch.equal(got.isnan(), F.dropout(x, 1.0).isnan())


def test_each_dropout_draws_its_own_numbers():
    # Two dropouts in one trace: each reads (seed, offset) and advances the offset by its numel.
    tb = _C.TraceBuilder()
    x = tb.add_input_tensor([3, 4], "float32", "cpu", False)
    a = tb.call("torch.nn.functional.dropout", [x], {"p": 0.5})
    b = tb.call("torch.nn.functional.dropout", [x], {"p": 0.5})
    tb.set_outputs(a + b)
    assert not tb.verify()
    calls = [(sym, args) for sym, args, _ in tb.flat_prims() if sym == "prims.rng_seed_offset"]
    assert len(calls) == 2 and all(args[0] == 12 for _, args in calls)


def test_dropout_rejects_inplace_and_bad_p():
    x = make_tensor((3, 4), torch.float32)
    with pytest.raises(TypeError, match="in place"):
        record("torch.nn.functional.dropout", (x,), {"inplace": True})
    with pytest.raises(TypeError, match="between 0 and 1"):
        record("torch.nn.functional.dropout", (x,), {"p": 1.5})


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_name)
@pytest.mark.parametrize("p", [0.25, 0.6])
def test_sdpa_dropout(dtype, p):
    # With value = identity the output is the (dropped, rescaled) attention weights themselves.
    L = S = 96
    q = make_tensor((1, 2, L, 8), dtype)
    k = make_tensor((1, 2, S, 8), dtype)
    v = torch.eye(S, dtype=dtype).expand(1, 2, S, S).contiguous()
    tb, got = _run("torch.nn.functional.scaled_dot_product_attention", (q, k, v), {"dropout_p": p})
    want_meta = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
    assert got.shape == want_meta.shape and got.dtype == want_meta.dtype
    probs = F.scaled_dot_product_attention(q.double(), k.double(), v.double())  # no dropout, float64
    dropped = got == 0
    frac = dropped.double().mean().item()
    assert abs(frac - p) < 0.02, f"dropped fraction {frac:.4f}, expected {p}"
    kept = ~dropped
    tol = {torch.float16: 2e-2, torch.bfloat16: 5e-2, torch.float32: 1e-4, torch.float64: 1e-10}[dtype]
    torch.testing.assert_close(got[kept].double(), probs[kept] / (1 - p), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", FLOATS, ids=dtype_name)
def test_sdpa_dropout_one_is_zero(dtype):
    q, k, v = (make_tensor((2, 3, 4, 8), dtype) for _ in range(3))
    _, got = _run("torch.nn.functional.scaled_dot_product_attention", (q, k, v), {"dropout_p": 1.0})
    assert torch.equal(got, torch.zeros_like(got))
    assert got.dtype == F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).dtype
