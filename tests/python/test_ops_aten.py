"""Every op through the ATen executor: recorded, dispatched (ATen claims torch-level ops it runs
directly, the rest decompose to prims), planned and run, against calling PyTorch directly on the
same fresh random inputs, for every dtype the op supports."""

import pytest
import torch

from keraunos import _C
from opinfo import ALL_DTYPES, ALL_OPS, flatten_outputs
from opinfo.tracing import dtype_name, record
from test_ops_decomp import _inputs, compare


def check_op_aten(op, failures):
    for dtype in op.dtypes or ALL_DTYPES:
        for sample in op.samples(dtype):
            if op.skip_reason(dtype, sample):
                continue
            try:
                want = flatten_outputs(op.ref(*sample.args, **sample.kwargs))
            except Exception:
                continue  # torch rejects it; the meta test checks that keraunos does too
            where = f"{dtype_name(dtype)} {sample!r}"
            try:
                tb, _ = record(op.id, sample.args, sample.kwargs)
                got = _C.compile_trace(tb, ["aten"]).run(_inputs(sample.args, sample.kwargs))
            except Exception as e:
                failures.append(f"{where}: {type(e).__name__}: {e}")
                continue
            for g, w in zip(got, want):
                compare(op, g, w, where, failures)


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.id)
def test_aten_executor_matches_torch(op):
    failures = []
    check_op_aten(op, failures)
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:20])
