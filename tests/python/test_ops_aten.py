"""Every op through the ATen executor: recorded, dispatched (ATen runs a torch-level op as one call
of its own kernel; random ops and indexing decompose to prims, each with its reason), planned and
run, against calling PyTorch directly on the same fresh random inputs, for every dtype the op
supports, on the CPU and, where one is present, on a CUDA device."""

import pytest
from eager_compare import DEVICES
from opinfo import ALL_DTYPES, ALL_OPS
from opinfo.tracing import record
from test_ops_decomp import check_numerics

from keraunos import _C


def check_op_aten(op, failures, device="cpu"):
    check_numerics(op, failures, lambda tb, inputs: _C.compile_trace(tb, ["aten"]).run(inputs), device=device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.id)
def test_aten_executor_matches_torch(op, device):
    failures = []
    check_op_aten(op, failures, device)
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:20])


@pytest.mark.parametrize("op", [o for o in ALL_OPS if o.id.startswith("torch.")], ids=lambda o: o.id)
def test_torch_ops_run_whole_or_say_why_not(op):
    """A torch-level op runs as one ATen call (never as its decomposition, op by op, which is slower
    than eager), unless ATen's checker says why not; an op ATen has no kernel for fails here."""
    prog = None
    for dtype in op.dtypes or ALL_DTYPES:  # the first sample keraunos accepts (the meta test covers the rest)
        for sample in op.samples(dtype):
            try:
                tb, _ = record(op.id, sample.args, sample.kwargs)
                prog = _C.compile_trace(tb, ["aten"])
                break
            except Exception:
                continue
        if prog is not None:
            break
    assert prog is not None, f"no sample of {op.id} was accepted"
    rows = [r for r in prog.placement_rows if r[0] == op.id]
    assert rows, prog.placement
    op_, executor, declined = rows[0]
    if executor == "aten":
        return
    reasons = dict(declined)
    assert "aten" in reasons and not reasons["aten"].startswith("does not implement"), prog.placement
