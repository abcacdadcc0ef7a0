"""The op table (src/ops/prim_table.h) is the one place an elementwise prim is declared: every row
must reach the prims library, its torch-level op, the ATen executor, the CPU fuser (when the row says
so) and the Python tracer, with no other list to update. A new row that any of them missed fails
here."""

import pytest
import torch
from opinfo import OPS_BY_ID
from opinfo.tracing import record

import keraunos
from keraunos import _C
from keraunos._ops import table

ROWS = _C.elementwise_prims()
SYMBOLS = {sid for sid, _, _ in _C.symbols()}
CLAIMS = _C.claims()


def _row_id(row):
    return row["prim"]


def test_the_table_has_the_elementwise_prims():
    assert len(ROWS) >= 70
    assert len({r["prim"] for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_each_row_is_registered_claimed_and_traced(row):
    prim, torch_op = row["prim"], row["torch"]
    assert prim in SYMBOLS
    assert prim in CLAIMS["aten"], f"ATen has no kernel for {prim}"
    assert prim in OPS_BY_ID, f"{prim} has no conformance entry in tests/python/opinfo"
    if torch_op:
        assert torch_op in SYMBOLS
        assert torch_op in CLAIMS["aten"], f"ATen does not run {torch_op} whole"
        fn = getattr(torch, torch_op.split(".", 1)[1])
        assert table().by_func.get(fn) == torch_op, f"the tracer does not map {torch_op}"


def _sample_for(prim):
    """The conformance table's first sample of the prim with a 2-D input, in the first dtype it takes."""
    op = OPS_BY_ID[prim]
    for dtype in (torch.float32, torch.int32, torch.complex64, torch.bool):
        if op.dtypes is not None and dtype not in op.dtypes:
            continue
        for s in op.samples(dtype):
            if any(isinstance(a, torch.Tensor) and a.dim() == 2 and a.numel() > 0 for a in s.args):
                return s.args, s.kwargs
    raise AssertionError(f"no 2-D sample for {prim}")


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_the_fuser_claims_exactly_the_rows_that_say_so(row):
    prim = row["prim"]
    args, kwargs = _sample_for(prim)
    tb, _ = record(prim, args, kwargs)
    assert _C.fuser_can_fuse(tb) == ("fuse" in row["fuser"]), (prim, row["fuser"])


@pytest.mark.parametrize("row", [r for r in ROWS if r["cpp_template"]], ids=_row_id)
def test_template_rows_run_fused_and_match_torch(row):
    """A row whose fuser code is a template needs nothing else: traced, fused and run, it matches
    torch on float32 and bfloat16."""
    fn = getattr(torch, row["torch"].split(".", 1)[1])
    f = keraunos.jit(lambda x: fn(x) * 2, executors=["fuser"])
    for dtype in (torch.float32, torch.bfloat16):
        x = torch.randn(7, 33).to(dtype)
        torch.testing.assert_close(f(x), fn(x) * 2)
    assert "fuser.region" in str(keraunos.last_traces(f))
