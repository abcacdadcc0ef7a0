"""Every op through the ATen executor: recorded, dispatched (ATen claims torch-level ops it runs
directly, the rest decompose to prims), planned and run, against calling PyTorch directly on the
same fresh random inputs, for every dtype the op supports."""

import pytest

from keraunos import _C
from opinfo import ALL_OPS
from test_ops_decomp import check_numerics


def check_op_aten(op, failures):
    check_numerics(op, failures, lambda tb, inputs: _C.compile_trace(tb, ["aten"]).run(inputs))


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.id)
def test_aten_executor_matches_torch(op):
    failures = []
    check_op_aten(op, failures)
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:20])
