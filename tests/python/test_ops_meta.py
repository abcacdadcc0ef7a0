"""Conformance of metas: for every op in the table, on every sample and dtype, keraunos accepts
exactly what PyTorch accepts and computes the same output shapes and dtypes."""

import pytest
import torch
from opinfo import ALL_DTYPES, ALL_OPS, flatten_outputs
from opinfo.tracing import dtype_name, record

from keraunos import _C


def _check(op, dtype, sample, failures):
    if op.skip_reason(dtype, sample):
        return
    try:
        expected = flatten_outputs(op.ref(*sample.args, **sample.kwargs))
        torch_error = None
    except Exception as e:  # torch rejects the call
        expected, torch_error = None, e
    try:
        tb, outs = record(op.id, sample.args, sample.kwargs)
        ours_error = None
    except (TypeError, _C.KeraunosError) as e:
        tb, outs, ours_error = None, None, e
    where = f"{dtype_name(dtype)} {sample!r}"
    if torch_error is not None:
        if ours_error is None:
            failures.append(f"{where}: torch rejects it ({str(torch_error).splitlines()[0][:120]}) but keraunos accepts")
        return
    if ours_error is not None:
        failures.append(f"{where}: torch accepts it but keraunos rejects: {ours_error}")
        return
    if len(expected) != len(outs):
        failures.append(f"{where}: torch returns {len(expected)} outputs, keraunos {len(outs)}")
        return
    for i, (e, o) in enumerate(zip(expected, outs)):
        ty = tb.type_of(o)
        if isinstance(e, torch.Tensor):
            got = (tuple(ty[0]), ty[1]) if len(ty) > 1 else ty
            want = (tuple(e.shape), dtype_name(e.dtype))
            if got != want:
                failures.append(f"{where}: output {i} is {got}, torch gives {want}")
        else:
            if len(ty) != 1:
                failures.append(f"{where}: output {i} is a tensor, torch gives a {type(e).__name__}")
    problems = tb.verify()
    if problems:
        failures.append(f"{where}: the recorded trace does not verify: {problems[0]}")


def _check_rejected(op, dtype, sample, failures):
    try:
        record(op.id, sample.args, sample.kwargs)
    except (TypeError, _C.KeraunosError):
        return
    failures.append(f"{dtype_name(dtype)} {sample!r}: {op.id} does not take {dtype_name(dtype)} but keraunos accepts it")


def check_op(op, failures):
    for dtype in op.dtypes or ALL_DTYPES:
        for sample in op.samples(dtype):
            _check(op, dtype, sample, failures)
    if op.dtypes is not None and op.strict_dtypes:
        for dtype in ALL_DTYPES:
            if dtype not in op.dtypes:
                for sample in op.samples(dtype):
                    _check_rejected(op, dtype, sample, failures)


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.id)
def test_meta_matches_torch(op):
    failures = []
    check_op(op, failures)
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures[:25])
