"""Errors of the front end: unsupported ops (named, with the user's file and line), keraunos.explain,
data-dependent control flow, in-place updates of inputs, errors from C++ arriving as Python
exceptions with their message, and bad keraunos.jit options."""

import os
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import keraunos

HERE = os.path.abspath(__file__)
FILE = os.path.basename(HERE)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def R(*shape):
    return torch.randn(*shape)


def line_of(fn, marker):
    """The line number in this file of the first line of fn's source that contains marker."""
    import inspect

    lines, start = inspect.getsourcelines(fn)
    for i, text in enumerate(lines):
        if marker in text:
            return start + i
    raise AssertionError(f"{marker!r} not in {fn.__name__}")


def raises(exc, jf, *args, **kwargs):
    """pytest.raises(exc) around jf(*args), keeping no traceback: pytest would print the frames' arguments,
    and repr() of a finished trace's proxy crashes (test_proxy_repr_after_tracing_does_not_crash)."""
    try:
        jf(*args, **kwargs)
    except exc as e:
        e.__traceback__ = None
        return e
    except Exception as e:
        raise AssertionError(f"expected {exc}, got {type(e).__name__}: {e}") from None
    raise AssertionError(f"expected {exc}, nothing was raised")


# -- unsupported ops ----------------------------------------------------------------------------------


def uses_fft(a):
    b = a * 2
    return torch.fft.fft(b).real  # unsupported-call


def uses_svd(a):
    b = a + 1
    return torch.linalg.svd(b).S  # unsupported-call


def uses_cumulative_trapezoid(a):
    return torch.cumulative_trapezoid(a.exp(), dim=-1)  # unsupported-call


UNSUPPORTED = [(uses_fft, "torch.fft.fft"), (uses_svd, "torch.linalg.svd"), (uses_cumulative_trapezoid, "torch.cumulative_trapezoid")]
IDS = ["fft", "svd", "cumulative_trapezoid"]


@pytest.mark.parametrize("fn,name", UNSUPPORTED, ids=IDS)
def test_unsupported_op_raises_with_user_location(fn, name):
    e = raises(keraunos.UnsupportedOpError, keraunos.jit(fn), R(4, 4))
    msg = str(e)
    line = line_of(fn, "# unsupported-call")
    assert f"{HERE}:{line}" in msg, msg
    assert name.rsplit(".", 1)[1] in msg, msg  # the function's own name at least
    assert isinstance(e, NotImplementedError)


@pytest.mark.parametrize("fn,name", UNSUPPORTED, ids=IDS)
def test_unsupported_op_message_names_the_torch_function(fn, name):
    e = raises(keraunos.UnsupportedOpError, keraunos.jit(fn), R(4, 4))
    assert f"keraunos does not support {name} " in str(e), str(e)
    ex = keraunos.explain(fn, R(4, 4))
    assert [n for n, _ in ex.unsupported] == [name]


def test_unsupported_op_in_a_module_names_the_forward_line():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            h = self.fc(x)
            return torch.fft.fft(h).real  # in-forward

    e = raises(keraunos.UnsupportedOpError, keraunos.jit(M()), R(2, 4))
    assert f"{HERE}:{line_of(M.forward, '# in-forward')}" in str(e), str(e)


def two_unsupported(a):
    b = a.sin()
    c = torch.fft.fft(b)  # first-unsupported
    d = torch.linalg.svd(b * 2)  # second-unsupported
    return c.real.sum() + d.S.sum() + b


def test_explain_lists_every_unsupported_call():
    ex = keraunos.explain(two_unsupported, R(4, 4))  # does not raise
    assert len(ex.unsupported) == 2, ex.unsupported
    (n1, w1), (n2, w2) = ex.unsupported
    assert "fft" in n1 and "svd" in n2
    assert w1.startswith(f"{HERE}:{line_of(two_unsupported, '# first-unsupported')}"), w1
    assert w2.startswith(f"{HERE}:{line_of(two_unsupported, '# second-unsupported')}"), w2
    assert "torch.fft.fft(b)" in w1  # the source line
    text = str(ex)
    assert "2 unsupported" in text and w1 in text and w2 in text
    # jit stops at the first one
    e = raises(keraunos.UnsupportedOpError, keraunos.jit(two_unsupported), R(4, 4))
    assert f":{line_of(two_unsupported, '# first-unsupported')}" in str(e)


def test_explain_on_a_supported_function_and_a_module():
    ex = keraunos.explain(lambda a, b: (a @ b).softmax(-1) + 1, R(3, 4), R(4, 5))
    assert ex.unsupported == [] and ex.ops >= 2
    assert "supports every op" in str(ex)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return torch.fft.fft(self.fc(x)).real  # module-unsupported

    ex = keraunos.explain(M(), R(2, 4))
    assert len(ex.unsupported) == 1
    assert ex.unsupported[0][1].startswith(f"{HERE}:{line_of(M.forward, '# module-unsupported')}")


# -- control flow and values ------------------------------------------------------------------------


def branches_on_data(x):
    if x.sum() > 0:  # data-dependent
        return x * 2
    return x - 1


def test_data_dependent_control_flow():
    e = raises(keraunos.UnsupportedOpError, keraunos.jit(branches_on_data), R(3, 4))
    msg = str(e)
    assert "data-dependent" in msg and f"{HERE}:{line_of(branches_on_data, '# data-dependent')}" in msg, msg


@pytest.mark.parametrize(
    "fn,words",
    [
        (lambda x: x * x.sum().item(), "item"),
        (lambda x: x * float(x.max()), "float"),
        (lambda x: x[: int(x.argmax())], "int"),
        (lambda x: torch.zeros(3) + torch.tensor(x.tolist()), "tolist"),
    ],
    ids=["item", "float", "int", "tolist"],
)
def test_reading_tensor_values_is_a_clear_error(fn, words):
    e = raises(keraunos.UnsupportedOpError, keraunos.jit(fn), R(5))
    assert words in str(e) and FILE in str(e), str(e)


def test_bool_mask_indexing_is_a_clear_error():
    e = raises(Exception, keraunos.jit(lambda a, m: a[m]), R(3, 4), R(3, 4) > 0)
    assert "data-dependent" in str(e) and "torch.where" in str(e), str(e)


def test_negative_slice_step_is_rejected_like_torch():
    with pytest.raises(ValueError, match="step"):
        R(5)[::-1]
    e = raises((ValueError, TypeError), keraunos.jit(lambda a: a[::-1]), R(5))
    assert "step" in str(e), str(e)


def test_captured_tensor_constant_is_a_clear_error():
    c = R(3)
    e = raises(keraunos.UnsupportedOpError, keraunos.jit(lambda a: a + c), R(3))
    assert "captured constant" in str(e) and FILE in str(e), str(e)


# -- in-place updates ---------------------------------------------------------------------------------


def add_inplace(a):
    a.add_(1.0)  # inplace-method
    return a


def iadd_input(a, b):
    a += b  # inplace-operator
    return a


def setitem_input(a):
    a[0] = 1.0  # inplace-setitem
    return a


@pytest.mark.parametrize(
    "fn,marker,nargs",
    [(add_inplace, "# inplace-method", 1), (iadd_input, "# inplace-operator", 2), (setitem_input, "# inplace-setitem", 1)],
    ids=["add_", "iadd", "setitem"],
)
def test_inplace_update_of_an_input(fn, marker, nargs):
    args = [R(3, 4) for _ in range(nargs)]
    before = [a.clone() for a in args]
    e = raises(keraunos.UnsupportedOpError, keraunos.jit(fn), *args)
    assert f"{HERE}:{line_of(fn, marker)}" in str(e), str(e)
    if fn is not setitem_input:
        assert "in place" in str(e), str(e)
    for a, b in zip(args, before):  # the input is untouched
        assert torch.equal(a, b)


def test_inplace_update_of_a_parameter():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(4))

        def forward(self, x):
            self.w.mul_(0.5)  # param-inplace
            return x * self.w

    with torch.no_grad():
        e = raises(keraunos.UnsupportedOpError, keraunos.jit(M()), R(3, 4))
    assert "in place" in str(e) and f"{HERE}:{line_of(M.forward, '# param-inplace')}" in str(e), str(e)


def test_inplace_update_of_a_tensor_with_views():
    def f(a):
        b = a * 2
        v = b.view(-1)
        b.add_(1.0)  # aliased
        return v

    e = raises(keraunos.UnsupportedOpError, keraunos.jit(f), R(3, 4))
    assert "view" in str(e) and FILE in str(e), str(e)


# -- errors from C++ ------------------------------------------------------------------------------------


def test_shape_mismatch_from_cpp():
    jf = keraunos.jit(lambda a, b: torch.add(a, b))
    e = raises(Exception, jf, R(2, 3), R(4, 3))
    msg = str(e)
    assert "torch.add" in msg and "[2, 3]" in msg and "[4, 3]" in msg and "broadcast" in msg, msg
    assert FILE in msg
    a, b = R(2, 3), R(2, 3)
    torch.testing.assert_close(jf(a, b), a + b)  # still usable


def test_matmul_and_view_errors_from_cpp():
    e = raises(Exception, keraunos.jit(lambda a, b: a @ b), R(2, 3), R(4, 3))
    assert "matmul" in str(e) and "3 != 4" in str(e), str(e)
    e = raises(Exception, keraunos.jit(lambda a: a.view(5, -1)), R(2, 3))
    assert "view" in str(e) and "[5, -1]" in str(e), str(e)


def test_runtime_kernel_error_from_cpp():
    # shapes are fine, the values are not: the ATen kernel raises while the plan runs
    jf = keraunos.jit(lambda i, w: F.embedding(i, w) * 2)
    e = raises(RuntimeError, jf, torch.tensor([1, 20]), R(10, 4))
    assert "index out of range" in str(e), str(e)
    i, w = torch.randint(0, 10, (3,)), R(10, 4)
    torch.testing.assert_close(jf(i, w), F.embedding(i, w) * 2)  # the plan still runs


def test_unknown_op_argument_is_a_type_error():
    e = raises(TypeError, keraunos.jit(lambda a: torch.sum(a, dim=-1, bogus=True)), R(3, 4))
    assert "bogus" in str(e), str(e)


# -- bad options ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,exc",
    [
        (dict(cache="bogus"), ValueError),
        (dict(cache="symbolic_values"), ValueError),
        (dict(cache=None), ValueError),
        (dict(fusion="everything"), ValueError),
        (dict(fusion=True), ValueError),
        (dict(unknown_option=1), TypeError),
        (dict(dynamic="yes"), TypeError),
        (dict(keep_traces="x"), TypeError),
    ],
    ids=["cache", "cache_typo", "cache_none", "fusion", "fusion_bool", "unknown", "dynamic", "keep_traces"],
)
def test_bad_jit_options(kwargs, exc):
    with pytest.raises(exc):
        keraunos.jit(lambda a: a + 1, **kwargs)


@pytest.mark.parametrize("executors", ["aten", ["no-such-executor"]], ids=["string", "unknown"])
def test_bad_executors_option(executors):
    with pytest.raises((ValueError, TypeError)):
        keraunos.jit(lambda a: a + 1, executors=executors)


def test_jit_of_a_non_callable():
    with pytest.raises(TypeError):
        keraunos.jit(42)


def test_inspection_helpers_need_a_jit_function():
    for helper in (keraunos.cache_info, keraunos.placement, keraunos.last_traces):
        with pytest.raises(TypeError):
            helper(lambda a: a)


def test_valid_options_run():
    for kwargs in (dict(executors=["aten"]), dict(fusion="dataflow"), dict(fusion="consecutive"), dict(cache="no caching")):
        f = lambda a, b: (a * b + 1).softmax(-1).sum(0)  # noqa: E731
        a, b = R(3, 4), R(3, 4)
        torch.testing.assert_close(keraunos.jit(f, **kwargs)(a, b), f(a, b), rtol=1e-5, atol=1e-5)


# -- the proxy after tracing --------------------------------------------------------------------------------


def test_proxy_repr_after_tracing_does_not_crash():
    code = (
        "import torch, keraunos\n"
        "kept = []\n"
        "def f(a):\n"
        "    kept.append(a)\n"
        "    return a + 1\n"
        "keraunos.jit(f)(torch.randn(2))\n"
        "r = repr(kept[0])\n"
        "assert 'proxy' in r or 'Proxy' in r, r\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "python"), os.environ.get("PYTHONPATH", "")]))
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"exit status {p.returncode}\n{p.stderr[-2000:]}"


def test_multihead_attention_module_is_reported_unsupported():
    # nn.MultiheadAttention calls F.multi_head_attention_forward, which torch dispatches as one
    # function; keraunos has no symbol for it and says so by name (models use SDPA instead).
    m = torch.nn.MultiheadAttention(8, 2, batch_first=True).eval()
    q = torch.randn(2, 5, 8)
    with pytest.raises(keraunos.UnsupportedOpError, match="torch.nn.functional.multi_head_attention_forward"):
        with torch.no_grad():
            keraunos.jit(m)(q, q, q)
    report = keraunos.explain(m, q, q, q)
    assert [name for name, _ in report.unsupported] == ["torch.nn.functional.multi_head_attention_forward"]
