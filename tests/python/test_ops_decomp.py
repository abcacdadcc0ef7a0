"""Numerics of decompositions: every op, recorded and flattened to prims, then run by the prim
reference interpreter, computes what PyTorch computes on the same fresh random inputs."""

import pytest
import torch
from opinfo import ALL_DTYPES, ALL_OPS, flatten_outputs
from opinfo.interpret import run_trace
from opinfo.tracing import dtype_name, record

# Tolerances per dtype (rtol, atol): decompositions compute low precision in float32 and round once,
# as PyTorch's CPU kernels mostly do, but their order of operations can differ.
TOL = {
    torch.float16: (1e-2, 1e-2),
    torch.bfloat16: (2e-2, 2e-2),
    torch.float32: (1e-5, 1e-5),
    torch.float64: (1e-7, 1e-7),
    torch.complex64: (1e-5, 1e-5),
    torch.complex128: (1e-7, 1e-7),
}


def _inputs(args, kwargs):
    flat = []

    def walk(x):
        if isinstance(x, torch.Tensor):
            flat.append(x)
        elif isinstance(x, (list, tuple)):
            for e in x:
                walk(e)

    for a in args:
        walk(a)
    for v in kwargs.values():
        walk(v)
    return flat


def compare(op, got, want, where, failures):
    if isinstance(want, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            failures.append(f"{where}: expected a tensor, got {type(got).__name__}")
            return
        if got.shape != want.shape or got.dtype != want.dtype:
            failures.append(f"{where}: got {tuple(got.shape)} {got.dtype}, want {tuple(want.shape)} {want.dtype}")
            return
        if not op.compare_values:
            return
        rtol, atol = (op.rtol or {}).get(want.dtype) or TOL.get(want.dtype, (0, 0)), None
        rtol, atol = rtol if isinstance(rtol, tuple) else (rtol, 0)
        atol = (op.atol or {}).get(want.dtype, atol)
        try:
            torch.testing.assert_close(got, want, rtol=rtol, atol=atol, equal_nan=True)
        except AssertionError as e:
            failures.append(f"{where}: values differ: {str(e).splitlines()[0:4]}")
    elif op.compare_values and got != want and not (got != got and want != want):
        failures.append(f"{where}: got {got}, want {want}")


def _moved(x, device):
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, (list, tuple)):
        return type(x)(_moved(e, device) for e in x)
    return x


def check_numerics(op, failures, run, dtypes=None, max_samples=None, device="cpu"):
    """Runs `run(tb, inputs)` (a recorded op and its input tensors -> outputs) on every sample
    PyTorch accepts and compares with the reference; the decomposition, ATen and fuser tests share it.
    With device="cuda" the samples' tensors move there first (the reference runs there too)."""
    for dtype in op.dtypes or ALL_DTYPES:
        if dtypes is not None and dtype not in dtypes:
            continue
        for k, sample in enumerate(op.samples(dtype)):
            if max_samples is not None and k >= max_samples:
                break
            if op.skip_reason(dtype, sample):
                continue
            args, kwargs = sample.args, sample.kwargs
            if device != "cpu":
                # keraunos takes torch's CPU rules for what it accepts (the meta test checks parity);
                # CUDA kernels accept a few more edge cases (an empty integer loss input, abs of bools).
                try:
                    op.ref(*args, **kwargs)
                except Exception:
                    continue
                args, kwargs = _moved(tuple(args), device), {k: _moved(v, device) for k, v in kwargs.items()}
            try:
                want = flatten_outputs(op.ref(*args, **kwargs))
            except Exception:
                continue  # torch rejects it; the meta test checks that keraunos does too
            where = f"{dtype_name(dtype)} {sample!r}"
            try:
                tb, _ = record(op.id, args, kwargs)
                got = run(tb, _inputs(args, kwargs))
            except Exception as e:
                failures.append(f"{where}: {type(e).__name__}: {e}")
                continue
            for g, w in zip(got, want):
                compare(op, g, w, where, failures)


def check_op_numerics(op, failures):
    check_numerics(op, failures, run_trace)


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.id)
def test_decomposition_matches_torch(op):
    failures = []
    check_op_numerics(op, failures)
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:20])
