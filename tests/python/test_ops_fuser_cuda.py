"""The CUDA fuser (`fuser_cuda`) over the conformance table.

Without a GPU: every region the table's samples form on CUDA tensors is generated and compiled
through NVRTC for Hopper (sm_90a), so invalid generated CUDA fails here (KERAUNOS_STRICT=1 turns a
failed compile into an error). With a GPU: the kernels run and must match ATen's CUDA results, with
outputs poisoned first (0xff bytes) so an element the kernel does not write shows."""

import os

import pytest
import torch
from opinfo import ALL_OPS
from opinfo.tracing import record
from test_ops_decomp import check_numerics

from keraunos import _C

pytestmark = pytest.mark.skipif("fuser_cuda" not in _C.executors(), reason="keraunos was built without the CUDA fuser")

CUDA_DTYPES = (torch.float32, torch.bfloat16, torch.float16, torch.int64, torch.bool)
MAX_SAMPLES = 3


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.id)
def test_cuda_kernels_compile(op):
    regions = 0
    for dtype in op.dtypes or CUDA_DTYPES:
        if dtype not in CUDA_DTYPES:
            continue
        for k, sample in enumerate(op.samples(dtype)):
            if k >= MAX_SAMPLES:
                break
            if op.skip_reason(dtype, sample):
                continue
            try:
                tb, _ = record(op.id, sample.args, sample.kwargs, device="cuda:0")
            except Exception:
                continue  # rejected when recorded (the meta test checks the message)
            # Building the plan compiles each region's kernel; a kernel that does not compile raises.
            prog = _C.compile_trace(tb, ["fuser_cuda"])
            regions += prog.text.count("fuser_cuda.region(")
    if regions == 0:
        pytest.skip(f"{op.id}: no sample forms a pointwise CUDA region")


needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@needs_gpu
@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.id)
def test_cuda_fuser_matches_aten_cuda(op, monkeypatch):
    monkeypatch.setenv("KERAUNOS_POISON_OUTPUTS", "1")
    failures = []
    check_numerics(
        op,
        failures,
        lambda tb, inputs: _C.compile_trace(tb, ["fuser_cuda"]).run(inputs),
        dtypes=CUDA_DTYPES,
        max_samples=MAX_SAMPLES + 1,
        device="cuda",
    )
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:20])


@needs_gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_cuda_pointwise_at_sizes_that_fill_the_card(dtype):
    import keraunos

    os.environ["KERAUNOS_POISON_OUTPUTS"] = "1"

    def chain(x, y):
        return torch.sigmoid(torch.tanh(x * 2 + 1) - y.t()) * 3

    x = torch.randn(4096, 1023, device="cuda", dtype=dtype)
    y = torch.randn(1023, 4096, device="cuda", dtype=dtype)  # transposed: a strided input
    f = keraunos.jit(chain, executors=["fuser_cuda"])
    torch.testing.assert_close(f(x, y), chain(x, y), **({} if dtype == torch.float32 else {"rtol": 2e-2, "atol": 2e-2}))
    p = keraunos.placement(f)
    assert "fuser_cuda" in str(p), p
    # a broadcast and a 0-d result
    b = torch.randn(1, 1023, device="cuda", dtype=dtype)
    g = keraunos.jit(lambda x, b: (x + b).exp(), executors=["fuser_cuda"])
    torch.testing.assert_close(g(x, b), (x + b).exp(), **({} if dtype == torch.float32 else {"rtol": 2e-2, "atol": 2e-2}))


@needs_gpu
def test_cuda_gather_out_of_range_raises():
    import keraunos

    f = keraunos.jit(lambda x, i: torch.take_along_dim(x * 2, i, dim=1) + 1, executors=["fuser_cuda"])
    x = torch.randn(3, 5, device="cuda")
    ok = torch.zeros(3, 2, dtype=torch.long, device="cuda")
    torch.testing.assert_close(f(x, ok), torch.take_along_dim(x * 2, ok, dim=1) + 1)
    with pytest.raises(RuntimeError, match="out of range"):
        f(x, ok + 7)


@needs_gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_cuda_rows_softmax_layer_norm_and_reductions(dtype):
    import keraunos

    os.environ["KERAUNOS_POISON_OUTPUTS"] = "1"
    tol = {} if dtype == torch.float32 else {"rtol": 2e-2, "atol": 2e-2}
    x = torch.randn(2048, 4099, device="cuda", dtype=dtype)  # rows longer than a block, not a multiple of it
    w = torch.randn(4099, device="cuda", dtype=dtype)
    cases = {
        "softmax": lambda x: torch.softmax(x * 0.5, -1),
        "masked softmax": lambda x: torch.softmax(torch.where(x > 1.5, float("-inf"), x), -1),
        "layer_norm": lambda x: torch.nn.functional.layer_norm(x, (4099,), w, w),
        "rms_norm": lambda x: torch.nn.functional.rms_norm(x, (4099,), w),
        "row sum and max": lambda x: (x.float().sum(-1), x.amax(-1)),
        "transposed rows": lambda x: torch.softmax(x.t().contiguous().t(), -1),
    }
    for name, fn in cases.items():
        f = keraunos.jit(fn, executors=["fuser_cuda"])
        torch.testing.assert_close(f(x), fn(x), **tol, msg=name)
        assert "fuser_cuda" in str(keraunos.placement(f)), name
    # A whole-tensor sum: too few rows for a block each, so the call runs with ATen (the run-time check).
    big = torch.randn(1 << 22, device="cuda")
    g = keraunos.jit(lambda t: (t * 2).sum(), executors=["fuser_cuda"])
    torch.testing.assert_close(g(big), (big * 2).sum(), rtol=1e-4, atol=1e-2)
