"""Every op through the CPU fuser (with ATen behind it for what the fuser does not claim): ops the
fuser claims run as generated kernels, alone and inside the multi-op regions their decompositions
form, and must match PyTorch on fresh random inputs. Samples cover broadcasting, non-contiguous
inputs, 0-d, size-1 and 0-size dims. Dtypes: every one the fuser claims (all but complex and
float8)."""

import pytest
import torch
from opinfo import ALL_OPS, flatten_outputs
from opinfo.tracing import record
from test_ops_decomp import _inputs, check_numerics, compare

from keraunos import _C

FUSER_DTYPES = (
    torch.float32,
    torch.bfloat16,
    torch.float16,
    torch.float64,
    torch.int64,
    torch.int32,
    torch.int16,
    torch.int8,
    torch.uint8,
    torch.bool,
)
# The table's first samples per dtype cover broadcasting, 0-d, size-1/0-size and non-contiguous
# inputs for most ops; each distinct region is a host-compiler run, so keep it to these.
MAX_SAMPLES = 4


def check_op_fuser(op, failures):
    check_numerics(
        op, failures, lambda tb, inputs: _C.compile_trace(tb, ["fuser"]).run(inputs), dtypes=FUSER_DTYPES, max_samples=MAX_SAMPLES
    )


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.id)
def test_fuser_matches_torch(op):
    failures = []
    check_op_fuser(op, failures)
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:20])


@pytest.mark.parametrize(
    "op_id",
    ["prims.add", "prims.exp", "torch.softmax", "torch.nn.functional.layer_norm", "torch.sum", "torch.nn.functional.gelu", "torch.where"],
)
def test_fuser_runs_these_ops_as_generated_kernels(op_id):
    from opinfo import OPS_BY_ID

    op = OPS_BY_ID[op_id]
    # A sample with a real 2-D (or larger) input: 0-d and empty inputs leave nothing to fuse.
    sample = next(
        s for s in op.samples(torch.float32) if isinstance(s.args[0], torch.Tensor) and s.args[0].dim() >= 2 and s.args[0].numel() > 0
    )
    tb, _ = record(op.id, sample.args, sample.kwargs)
    prog = _C.compile_trace(tb, ["fuser"])
    assert "fuser.region" in prog.text, prog.text
    got = prog.run(_inputs(sample.args, sample.kwargs))
    failures = []
    for g, w in zip(got, flatten_outputs(op.ref(*sample.args, **sample.kwargs))):
        compare(op, g, w, op_id, failures)
    assert not failures, failures
