"""keraunos.jit on Python functions, against eager PyTorch on fresh random inputs.

Every case in CASES is traced, compiled and run twice (the second call with new random inputs of the
same signature reuses the plan) and compared with calling the function eagerly; the other tests cover
Python numbers and the plan cache, None, identity outputs without copies, dtypes, grad modes, the
default dtype, autocast and gradients.
"""

import re

import pytest
import torch
import torch.nn.functional as F
from eager_compare import DEVICES, TOL, R, assert_same, call, to_device  # noqa: F401,E402

import keraunos


def POS(*shape, dtype=torch.float32):
    """Random values away from zero (divisors)."""
    return (torch.rand(*shape) + 0.5).to(dtype) * torch.where(torch.rand(*shape) > 0.5, 1.0, -1.0).to(dtype)


def INT(lo, hi, *shape, dtype=torch.int64):
    return torch.randint(lo, hi, shape, dtype=dtype)


def _targets(n, c, ignore=-100):
    t = torch.randint(0, c, (n,))
    t[torch.randperm(n)[: n // 4]] = ignore
    return t


def _mask(t):
    m = torch.rand(t, t) > 0.4
    m |= torch.eye(t, dtype=torch.bool)  # no fully masked row
    return m


def _kw(a, *, b, scale=2.0):
    return a * scale + b


def _nested(d, pair):
    x, ys = pair
    return {"sum": d["a"] + d["b"][0], "parts": [x * 2, (ys[0] - ys[1], ys[1].exp())], "same": d["b"][1]}


def _inplace_on_intermediate(a):
    b = a * 2
    b.add_(1.0)
    b.mul_(a)
    b += a
    return b


# (id, fn, make_inputs() -> (args, kwargs))
CASES = [
    ("add_sub_mul_div", lambda a, b: a + b * 2 - a / b, lambda: ((R(2, 3, 4), POS(2, 3, 4)), {})),
    ("floordiv_mod", lambda a, b: (a // b, a % b, a % 0.7), lambda: ((R(3, 5) * 4, POS(3, 5)), {})),
    pytest.param("pow_operator", lambda a, b: (a.abs() ** 1.5, a**2, a.abs() ** b), lambda: ((R(3, 4), R(3, 4)), {}), id="pow_operator"),
    ("pow_method", lambda a: (a.pow(3), torch.pow(a.abs(), 0.5), torch.pow(2.0, a)), lambda: ((R(3, 4),), {})),
    ("matmul_operator", lambda a, b: a @ b, lambda: ((R(2, 3, 4), R(2, 4, 5)), {})),
    (
        "comparisons",
        lambda a, b: (a < b, a <= b, a > b, a >= b, a == b, a != b, a > 0.5),
        lambda: ((INT(-2, 3, 4, 5).float(), INT(-2, 3, 4, 5).float()), {}),
    ),
    ("unary_neg_abs_pos", lambda a: (-a, abs(a), +a, -(a * 2).abs()), lambda: ((R(3, 4),), {})),
    (
        "bool_invert_and_or_xor",
        lambda a, b: (~(a > 0), (a > 0) & (b > 0), (a > 0) | (b < 0), (a > b) ^ (b > 0)),
        lambda: ((R(3, 4), R(3, 4)), {}),
    ),
    ("reverse_ops_numbers", lambda a, b: (2 - a, 3 * a, 1 + a, 2**a, 7.0 // b, 5.0 % b), lambda: ((R(3, 4), POS(3, 4)), {})),
    pytest.param("reverse_truediv", lambda a: (1 / a, 2.5 / a), lambda: ((POS(3, 4),), {}), id="reverse_truediv"),
    ("sum_keepdim", lambda a: (a.sum(-1, keepdim=True), a.sum(), a.sum((0, 2))), lambda: ((R(2, 3, 4),), {})),
    ("view", lambda a: (a.view(2, -1), a.view(-1), a.view(4, 3, 2)), lambda: ((R(2, 3, 4),), {})),
    ("permute_transpose", lambda a: (a.permute(0, 2, 1), a.transpose(1, 2), a.mT, a[0].T), lambda: ((R(2, 3, 4),), {})),
    ("reshape", lambda a: (a.reshape(6, 4), a.reshape((-1,)), a.reshape(2, 12) + 1), lambda: ((R(2, 3, 4),), {})),
    (
        "expand_unsqueeze",
        lambda a: (a[:, :1].expand(2, 5, 4), a.unsqueeze(1).expand(-1, 3, -1, -1), a.unsqueeze(-1)),
        lambda: ((R(2, 3, 4),), {}),
    ),
    ("flatten", lambda a: (a.flatten(1), a.flatten(), torch.flatten(a, 0, 1)), lambda: ((R(2, 3, 4),), {})),
    (
        "dtype_conversions",
        lambda a, b, c: (a.float(), c.to(torch.float64), c.type_as(b), c.to(b), c.half(), a.to(dtype=torch.float32) * c),
        lambda: ((R(3, 4, dtype=torch.float64), R(3, 4, dtype=torch.float16), R(3, 4)), {}),
    ),
    ("softmax_method", lambda a: a.softmax(-1) + a.log_softmax(dim=1), lambda: ((R(2, 3, 4),), {})),
    ("max_dim", lambda a: (a.max(dim=1).values, a.max(dim=1), a.max(), a.min(-1).indices), lambda: ((R(2, 5, 4),), {})),
    ("mean_var", lambda a: (a.mean(), a.var(unbiased=False), a.var(-1), a.mean(dim=-1, keepdim=True), a.std(0)), lambda: ((R(4, 6),), {})),
    ("clamp", lambda a: (a.clamp(min=0), a.clamp(-0.5, 0.5), torch.clamp(a, max=0.1)), lambda: ((R(3, 4),), {})),
    (
        "masked_fill",
        lambda a, m: (a.masked_fill(m, -1.5), a.masked_fill(~m, float("-inf")).softmax(-1)),
        lambda: ((R(4, 5), _mask(5)[:4]), {}),
    ),
    (
        "split_chunk",
        lambda a: (a.split(2, dim=-1), a.chunk(3, dim=1), a.split([1, 3], dim=-1), torch.chunk(a, 3, -1)),
        lambda: ((R(2, 3, 4),), {}),
    ),
    (
        "basic_indexing",
        lambda a: (a[0, 1:, None, ::2], a[..., -1], a[:, None], a[1], a[-1, ..., 1:3], a[:, -2:]),
        lambda: ((R(2, 3, 4),), {}),
    ),
    ("tensor_indexing", lambda a, i, j: (a[i], a[:, j], a[i, :, 1]), lambda: ((R(3, 4, 5), INT(0, 3, 6), INT(-4, 4, 2)), {})),
    (
        "cat_stack",
        lambda a, b: (torch.cat([a, b], dim=1), torch.stack((a, b)), torch.stack([a, b], dim=-1)),
        lambda: ((R(2, 3, 4), R(2, 3, 4)), {}),
    ),
    ("where", lambda a, b: (torch.where(a > b, a, b), torch.where(a > 0, a, 0.5)), lambda: ((R(3, 4), R(3, 4)), {})),
    ("tril_triu", lambda a: (torch.tril(a), torch.triu(a, 1), a.tril(-1)), lambda: ((R(2, 5, 5),), {})),
    (
        "arange_inside",
        lambda a: (a + torch.arange(a.shape[-1]) * 0.5, torch.arange(0, 8, 2) * a[:, :4], torch.arange(4.0) / a),
        lambda: ((POS(3, 4),), {}),
    ),
    (
        "zeros_ones_inside",
        lambda a: (a + torch.zeros(4) + torch.ones(3, 4), torch.full((3, 4), 0.25) * a, torch.ones_like(a) - a, a * torch.tensor(2.0)),
        lambda: ((R(3, 4),), {}),
    ),
    ("einsum_list", lambda a, b: torch.einsum("bij,bkj->bik", [a, b]), lambda: ((R(2, 3, 4), R(2, 5, 4)), {})),
    pytest.param(
        "einsum_varargs", lambda a, b: torch.einsum("bij,bkj->bik", a, b), lambda: ((R(2, 3, 4), R(2, 5, 4)), {}), id="einsum_varargs"
    ),
    (
        "torch_matmul_softmax",
        lambda a, b: torch.softmax(torch.matmul(a, b.transpose(-2, -1)), dim=-1),
        lambda: ((R(2, 3, 4), R(2, 5, 4)), {}),
    ),
    (
        "activations",
        lambda a: (
            F.gelu(a),
            F.gelu(a, approximate="tanh"),
            F.silu(a),
            torch.tanh(a),
            torch.sigmoid(a),
            F.leaky_relu(a, 0.1),
            F.elu(a),
            F.softplus(a),
            F.mish(a),
            F.hardswish(a),
            torch.relu(a),
            a.relu(),
        ),
        lambda: ((R(3, 7),), {}),
    ),
    pytest.param("functional_relu", lambda a: F.relu(a) + F.relu6(a), lambda: ((R(3, 7),), {}), id="functional_relu"),
    ("layer_norm", lambda a, w, b: F.layer_norm(a, (8,), w, b, eps=1e-5), lambda: ((R(2, 3, 8), R(8), R(8)), {})),
    ("rms_norm", lambda a, w: F.rms_norm(a, (8,), w, eps=1e-6), lambda: ((R(2, 3, 8), R(8)), {})),
    (
        "cross_entropy",
        lambda a, t: (F.cross_entropy(a, t), F.cross_entropy(a, t, ignore_index=-100, reduction="sum")),
        lambda: ((R(12, 7), _targets(12, 7)), {}),
    ),
    ("cross_entropy_ignore_index", lambda a, t: F.cross_entropy(a, t, ignore_index=3), lambda: ((R(12, 7), _targets(12, 7, ignore=3)), {})),
    (
        "sdpa_causal",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        lambda: ((R(2, 3, 6, 8), R(2, 3, 6, 8), R(2, 3, 6, 8)), {}),
    ),
    (
        "sdpa_bool_mask",
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
        lambda: ((R(2, 3, 6, 8), R(2, 3, 6, 8), R(2, 3, 6, 8), _mask(6)), {}),
    ),
    ("dropout_eval", lambda a: F.dropout(a, 0.5, training=False) * 2, lambda: ((R(3, 4),), {})),
    ("embedding", lambda i, w: F.embedding(i, w), lambda: ((INT(0, 10, 2, 3), R(10, 4)), {})),
    ("linear", lambda a, w, b: F.linear(a, w, b), lambda: ((R(2, 3, 4), R(5, 4), R(5)), {})),
    ("keyword_arguments", _kw, lambda: ((R(3, 4),), {"b": R(3, 4), "scale": 0.5})),
    ("nested_inputs_outputs", _nested, lambda: (({"a": R(3), "b": [R(3), R(2)]}, (R(2, 2), [R(4), R(4)])), {})),
    ("returns_input_unchanged", lambda a, b: (a, b * 2, a), lambda: ((R(3), R(3)), {})),
    ("multiple_outputs", lambda a: (a.sin(), a.cos(), a.exp(), a.sum()), lambda: ((R(3, 4),), {})),
    (
        "int64_inputs",
        lambda a, b: (a + b, a * b, a // b, a % b, a / b, a * 2.5, a - 3, a.sum()),
        lambda: ((INT(-20, 20, 3, 4), INT(1, 6, 3, 4)), {}),
    ),
    (
        "int32_int16_inputs",
        lambda a, b: (a.sum(), a.float().mean(), a * b, (a.float() * 1.5).to(torch.int16), a.max()),
        lambda: ((INT(-5, 5, 3, 4, dtype=torch.int32), INT(-5, 5, 3, 4, dtype=torch.int16)), {}),
    ),
    (
        "fp16_inputs",
        lambda a, b: ((a * b + 1).softmax(-1), a @ b.mT, a.sum(-1)),
        lambda: ((R(3, 4, dtype=torch.float16), R(3, 4, dtype=torch.float16)), {}),
    ),
    (
        "bf16_inputs",
        lambda a, b: (a @ b.mT, F.gelu(a), (a + b).mean(-1)),
        lambda: ((R(3, 4, dtype=torch.bfloat16), R(3, 4, dtype=torch.bfloat16)), {}),
    ),
    (
        "fp64_inputs",
        lambda a, b: ((a * b).sum(-1), a.exp() / b, torch.softmax(a, 0)),
        lambda: ((R(3, 4, dtype=torch.float64), POS(3, 4, dtype=torch.float64)), {}),
    ),
    (
        "mixed_dtype_promotion",
        lambda a, b, c, i: (a + b, a * c, c * i, i * 0.5, b + i, a + 1.5),
        lambda: ((R(3, 4, dtype=torch.float16), R(3, 4, dtype=torch.float64), R(3, 4), INT(-3, 3, 3, 4)), {}),
    ),
    (
        "reductions",
        lambda a: (a.amax(dim=(0, 2)), a.argmax(-1), torch.logsumexp(a, -1), a.cumsum(1), a.prod(-1)),
        lambda: ((R(2, 3, 4),), {}),
    ),
    ("topk_sort", lambda a: (torch.topk(a, 2, dim=-1), a.sort(-1)), lambda: ((R(3, 6),), {})),
    (
        "normalize_pad_one_hot",
        lambda a, i: (F.normalize(a, dim=-1), F.pad(a, (1, 2)), F.one_hot(i, 5)),
        lambda: ((R(3, 4), INT(0, 5, 3)), {}),
    ),
    ("gather", lambda a, i: a.gather(-1, i), lambda: ((R(2, 3, 4), INT(0, 4, 2, 3, 2)), {})),
    ("transpose_contiguous_view", lambda a: a.transpose(0, 1).contiguous().view(-1) * a.size(0), lambda: ((R(2, 3, 4),), {})),
    ("inplace_on_intermediate", _inplace_on_intermediate, lambda: ((R(3, 4),), {})),
]


def _case_params():
    out = []
    for c in CASES:
        out.append(pytest.param(*c, id=c[0]) if type(c) is tuple else c)
    return out


# Cases that create CPU tensors inside the function: eager cannot mix them with CUDA inputs either.
CPU_ONLY = {"arange_inside", "zeros_ones_inside"}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name,fn,make", _case_params())
def test_function_matches_eager(name, fn, make, device):
    if device != "cpu" and name in CPU_ONLY:
        pytest.skip("creates CPU tensors next to its inputs, which eager rejects on CUDA too")
    jf = keraunos.jit(fn)
    for _ in range(2):  # the second call reuses the plan on new random data
        args, kwargs = to_device(make(), device)
        got = call(jf, *args, **kwargs)
        want = fn(*args, **kwargs)
        assert_same(got, want)
    info = keraunos.cache_info(jf)
    assert (info["misses"], info["hits"]) == (1, 1), info


def test_enough_distinct_functions():
    assert len(CASES) >= 35


# -- Python numbers and the plan cache ---------------------------------------------------------------


def _scale_shift(a, s):
    return a * s + s


def test_number_constant_values_new_plan():
    jf = keraunos.jit(_scale_shift, cache="constant values")
    a = R(3, 4)
    assert_same(call(jf, a, 2.0), _scale_shift(a, 2.0))
    assert keraunos.cache_info(jf)["plans"] == 1
    assert_same(call(jf, a, 3.5), _scale_shift(a, 3.5))
    assert keraunos.cache_info(jf)["plans"] == 2
    a2 = R(3, 4)
    assert_same(call(jf, a2, 2.0), _scale_shift(a2, 2.0))  # back to the first value: a hit
    info = keraunos.cache_info(jf)
    assert (info["plans"], info["hits"]) == (2, 1), info


def test_number_symbolic_values_no_new_plan():
    jf = keraunos.jit(_scale_shift, cache="symbolic values")
    a = R(3, 4)
    assert_same(call(jf, a, 2.0), _scale_shift(a, 2.0))
    assert_same(call(jf, a, 3.5), _scale_shift(a, 3.5))
    assert keraunos.cache_info(jf)["plans"] == 1


def test_number_symbolic_values_plan_count():
    # The cache side of "symbolic values" on its own: a new float value is a hit, an int is a new type.
    jf = keraunos.jit(_scale_shift, cache="symbolic values")
    a = R(3, 4)
    call(jf, a, 2.0)
    call(jf, a, 3.5)
    info = keraunos.cache_info(jf)
    assert (info["plans"], info["hits"]) == (1, 1), info
    assert_same(call(jf, a, 3), _scale_shift(a, 3))  # first int: traced now, so right
    assert keraunos.cache_info(jf)["plans"] == 2


def test_number_no_caching():
    jf = keraunos.jit(_scale_shift, cache="no caching")
    a = R(3, 4)
    for s in (2.0, 3.5, 2.0):
        assert_same(call(jf, a, s), _scale_shift(a, s))
    assert keraunos.cache_info(jf)["hits"] == 0


def test_int_number_shapes_the_result():
    f = lambda a, n: a.view(n, -1).sum(0) * n  # noqa: E731
    jf = keraunos.jit(f)
    a = R(6, 4)
    for n in (2, 6, 3):
        assert_same(call(jf, a, n), f(a, n))
    assert keraunos.cache_info(jf)["plans"] == 3


def test_bool_and_string_arguments():
    def f(a, flag, mode):
        b = a.softmax(-1) if flag else a.log_softmax(-1)
        return F.gelu(b, approximate=mode)

    jf = keraunos.jit(f)
    a = R(3, 5)
    for flag, mode in [(True, "none"), (False, "tanh"), (True, "tanh")]:
        assert_same(call(jf, a, flag, mode), f(a, flag, mode))


# -- None, identity, no copies -------------------------------------------------------------------------


def _maybe_bias(a, bias=None):
    out = a * 2 if bias is None else a * 2 + bias
    return out, None, bias


def test_none_inputs_and_outputs():
    jf = keraunos.jit(_maybe_bias)
    a, b = R(3, 4), R(4)
    got = call(jf, a, None)
    assert got[1] is None and got[2] is None
    assert_same(got, _maybe_bias(a, None))
    assert_same(call(jf, a, b), _maybe_bias(a, b))
    assert_same(call(jf, a, bias=None), _maybe_bias(a, bias=None))
    assert keraunos.cache_info(jf)["plans"] >= 2


def test_outputs_that_are_inputs_are_not_copied():
    jf = keraunos.jit(lambda a, b: (a, a + b, b, a))
    a, b = R(3, 4), R(3, 4)
    out = call(jf, a, b)
    assert all(type(o) is torch.Tensor for o in out)
    assert out[0].data_ptr() == a.data_ptr() and out[3].data_ptr() == a.data_ptr()
    assert out[2].data_ptr() == b.data_ptr()
    assert out[1].data_ptr() not in (a.data_ptr(), b.data_ptr())
    torch.testing.assert_close(out[1], a + b)
    # the second call (a plan hit) passes the new tensors through, too
    a2, b2 = R(3, 4), R(3, 4)
    out2 = call(jf, a2, b2)
    assert out2[0].data_ptr() == a2.data_ptr() and out2[2].data_ptr() == b2.data_ptr()


def test_identity_function():
    jf = keraunos.jit(lambda a: a)
    a = R(5)
    out = call(jf, a)
    assert type(out) is torch.Tensor and out.data_ptr() == a.data_ptr()
    torch.testing.assert_close(out, a, rtol=0, atol=0)


def test_outputs_are_ordinary_tensors_usable_in_eager():
    jf = keraunos.jit(lambda a: (a.exp(), a.sum(-1)))
    a = R(3, 4)
    e, s = call(jf, a)
    assert type(e) is torch.Tensor and type(s) is torch.Tensor
    assert e.is_contiguous() and not e.requires_grad
    e.add_(1.0)  # writable, and ours: the next call is not affected
    assert_same(call(jf, a), (a.exp(), a.sum(-1)))


# -- grad modes, default dtype, autocast -----------------------------------------------------------------


def _mlp(x, w1, b1, w2):
    return (F.gelu(x @ w1 + b1) @ w2).softmax(-1)


def _mlp_inputs(requires_grad=False):
    ins = [R(4, 8), R(8, 16) * 0.3, R(16), R(16, 5) * 0.3]
    return [t.requires_grad_(requires_grad) for t in ins]


def test_no_grad():
    jf = keraunos.jit(_mlp)
    ins = _mlp_inputs(requires_grad=True)
    with torch.no_grad():
        got = call(jf, *ins)
        want = _mlp(*ins)
    assert not got.requires_grad
    assert_same(got, want)


def test_inference_mode():
    jf = keraunos.jit(_mlp)
    with torch.inference_mode():
        ins = _mlp_inputs()
        got = call(jf, *ins)
        want = _mlp(*ins)
    assert got.is_inference() == want.is_inference()
    assert_same(got, want)
    ins = _mlp_inputs()  # and outside inference mode again
    assert_same(call(jf, *ins), _mlp(*ins))


def _creates_tensors(a, s):
    return a + torch.arange(a.shape[-1]) * s + torch.ones(a.shape[-1]) / 3, torch.full((2,), s), torch.tensor(s) * 1.0


def test_default_dtype_float64():
    jf = keraunos.jit(_creates_tensors)
    a = R(3, 4)
    assert_same(call(jf, a, 0.1), _creates_tensors(a, 0.1))
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        a = R(3, 4, dtype=torch.float32)
        want = _creates_tensors(a, 0.1)
        got = call(jf, a, 0.1)
        assert want[0].dtype == torch.float64  # what eager does
        assert_same(got, want)
    finally:
        torch.set_default_dtype(prev)
    a = R(3, 4)
    assert_same(call(jf, a, 0.1), _creates_tensors(a, 0.1))  # float32 again


def _autocast_matmuls(x, w, b, q):
    h = F.linear(x, w, b)
    return h, x @ w.t(), torch.matmul(x, w.t()) + b, F.scaled_dot_product_attention(q, q, q, is_causal=True), h.float() * 2


def test_autocast_bf16_lower_precision_ops():
    jf = keraunos.jit(_autocast_matmuls)
    ins = (R(2, 3, 8), R(6, 8), R(6), R(2, 2, 5, 8))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = call(jf, *ins)
        want = _autocast_matmuls(*ins)
    assert [g.dtype for g in got] == [w.dtype for w in want]
    assert want[0].dtype == torch.bfloat16
    assert_same(got, want, tol=(2e-2, 2e-2))
    # the same function outside autocast: float32, not the autocast plan
    got = call(jf, *ins)
    assert got[0].dtype == torch.float32
    assert_same(got, _autocast_matmuls(*ins))


def _autocast_mixed(x, w, b):
    h = F.linear(x, w, b)
    return h.softmax(-1), F.layer_norm(h, (6,)), h.exp(), h.sum(-1), torch.logsumexp(h, -1), F.mse_loss(h, x[..., :6])


def test_autocast_bf16_other_ops_match_eager_dtypes():
    jf = keraunos.jit(_autocast_mixed)
    ins = (R(2, 3, 8), R(6, 8), R(6))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = call(jf, *ins)
        want = _autocast_mixed(*ins)
    assert_same(got, want, tol=(2e-2, 2e-2))


# -- gradients ---------------------------------------------------------------------------------------


def test_gradients_match_eager():
    def f(x, w, b, c):
        h = torch.tanh(x @ w + b)
        return (h * c).sum(), h.mean(0)

    def make():
        return [R(4, 5).requires_grad_(), R(5, 3), R(3).requires_grad_(), R(4, 3).requires_grad_()]

    jf = keraunos.jit(f)
    ins = make()
    ref = [t.detach().clone().requires_grad_(t.requires_grad) for t in ins]
    got = call(jf, *ins)
    want = f(*ref)
    assert got[0].requires_grad and got[0].grad_fn is not None
    assert_same(tuple(g.detach() for g in got), tuple(w.detach() for w in want))
    g_out = R(3)
    (got[0] * 2 + (got[1] * g_out).sum()).backward()
    (want[0] * 2 + (want[1] * g_out).sum()).backward()
    assert ins[1].grad is None
    for t, r in zip(ins, ref):
        if r.requires_grad:
            assert_same(t.grad, r.grad)


def test_gradients_through_softmax_and_layer_norm():
    def f(x, w, b):
        y = F.layer_norm(x, (x.shape[-1],), w, b)
        return F.cross_entropy(y, torch.arange(y.shape[0]) % y.shape[1])

    jf = keraunos.jit(f)
    ins = [R(6, 8).requires_grad_(), (R(8) + 1).requires_grad_(), R(8).requires_grad_()]
    ref = [t.detach().clone().requires_grad_() for t in ins]
    lg, lw = call(jf, *ins), f(*ref)
    assert_same(lg.detach(), lw.detach())
    lg.backward()
    lw.backward()
    for t, r in zip(ins, ref):
        assert_same(t.grad, r.grad)


def test_dynamic_shapes_reuse_the_plan():
    f = lambda a: a.softmax(-1).sum(0) * 2 + a.mean()  # noqa: E731
    jf = keraunos.jit(f, dynamic=True)
    for n in (3, 5, 7):
        a = R(n, 4)
        assert_same(call(jf, a), f(a))
    assert keraunos.cache_info(jf)["plans"] == 1


# -- placement, inspection, and one ATen call per torch-level op ---------------------------------------


def _block(x, w, b, g):
    h = F.layer_norm(x, (x.shape[-1],), g, b)
    h = F.gelu(F.linear(h, w), approximate="tanh") + x.to(torch.float64).float()
    return torch.softmax(h * 0.5, dim=-1), h.var(-1), torch.where(h > 0, h, 0.1)


def _block_inputs(device):
    return to_device((R(4, 8), R(8, 8) * 0.3, R(8), R(8) + 1), device)


@pytest.mark.parametrize("device", DEVICES)
def test_placement_and_traces_on_the_device(device):
    jf = keraunos.jit(_block)
    ins = _block_inputs(device)
    with torch.no_grad():
        assert_same(call(jf, *ins), _block(*ins), tol=(1e-4, 1e-5))
    p = keraunos.placement(jf)
    assert p is not None and p.rows, p
    executors = {r[1] for r in p.rows}
    assert "decomposed" not in executors, p.table  # each torch-level op is one call (or fused on the CPU)
    if device == "cuda":
        assert executors == {"aten"}, p.table  # the CPU fuser takes nothing on CUDA ...
        fuser_reasons = [why for r in p.rows for ex, why in r[3] if ex == "fuser"]
        assert fuser_reasons and all("not on the CPU" in w or "CPU" in w for w in fuser_reasons), fuser_reasons  # ... and says why
    final = str(keraunos.last_traces(jf))
    assert re.search(rf'"{device}(:\d+)? f32\[4, 8\]"', final), final
    info = keraunos.cache_info(jf)
    assert (info["misses"], info["plans"]) == (1, 1), info
    with torch.no_grad():
        call(jf, *_block_inputs(device))
    assert keraunos.cache_info(jf)["hits"] == 1


def _block_graph():
    jf = keraunos.jit(_block)
    with torch.no_grad():
        jf(*_block_inputs("cpu"))
    return keraunos.placement(jf)


def test_placement_draws_the_execution_trace():
    p = _block_graph()
    dot = p.to_dot()
    inputs, nodes, outputs = p.graph
    assert [ty for _, ty in inputs] == ["cpu f32[4, 8]", "cpu f32[8, 8]", "cpu f32[8]", "cpu f32[8]"], inputs
    assert dot.count("shape=ellipse") == len(inputs) + 1, dot  # the inputs and the return
    assert dot.count("-> out ") == len(outputs) == 3, dot
    regions = [n for n in nodes if n[0].startswith("fuser.")]
    assert regions and all(n[4] for n in regions), nodes  # a region lists the ops inside it
    assert any("prims.tanh" in n[4] for n in regions), regions
    assert re.search(r"fuser\.region\w*\\n\d+ ops: ", dot), dot
    # linear stays with ATen, and the picture says why the fuser stopped there
    linear = [n for n in nodes if n[0].endswith("linear")]
    assert linear and linear[0][1] == "aten", nodes
    assert re.search(r'linear\\n\[aten\]\\nfuser: [^"]+", tooltip="fuser: ', dot), dot
    # every value a node reads is an edge from its producer, labelled with its type
    produced = {name for name, _ in inputs} | {name for n in nodes for name, _ in n[3]}
    reads = [(i, ty) for i, n in enumerate(nodes) for name, ty in n[2] if name in produced]
    assert sum(dot.count(f' -> n{i} [label="{ty}"]') for i, ty in set(reads)) >= len(set(reads)) > 0, dot
    assert len(re.findall(r" -> n\d+ \[", dot)) == len(reads), dot


def test_placement_render_writes_a_picture(tmp_path):
    import shutil

    p = _block_graph()
    with pytest.raises(ValueError, match=r"render writes \.svg, \.png or \.pdf"):
        p.render(str(tmp_path / "trace.jpg"))
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (scripts/setup.sh installs it where it can)")
    svg = tmp_path / "trace.svg"
    assert p.render(str(svg)) == str(svg)
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "fuser.region" in text, text[:400]
    assert "<svg" in p._repr_svg_()


def test_placement_without_traces_says_why():
    jf = keraunos.jit(_block, keep_traces=False)
    with torch.no_grad():
        jf(*_block_inputs("cpu"))
    p = keraunos.placement(jf)
    assert p is not None and p.rows and p.graph is None, p
    with pytest.raises(RuntimeError, match="keep_traces=False"):
        p.to_dot()


@pytest.mark.parametrize("device", DEVICES)
def test_each_torch_op_runs_as_one_aten_call(device):
    """With only ATen (nothing fuses), the plan makes one ATen call per torch-level op, as eager
    does, never one per prim of its decomposition."""

    def f(x, y):
        return torch.softmax(F.gelu(x + y * 2) - torch.tanh(x), -1).sum(-1, dtype=torch.float64)

    jf = keraunos.jit(f, executors=["aten"])
    x, y = to_device((R(3, 16, dtype=torch.bfloat16), R(16)), device)  # mixed dtypes: no convert calls
    with torch.no_grad():
        assert_same(call(jf, x, y), f(x, y))
    calls = [ln for ln in str(keraunos.last_traces(jf)).splitlines() if ln.strip().startswith("t") and "= aten." in ln]
    assert len(calls) == 7, str(keraunos.last_traces(jf))  # mul, add, gelu, tanh, sub, softmax, sum
    assert all("prims" not in ln.split("=")[1].split("(")[0] for ln in calls), calls


@pytest.mark.parametrize("device", DEVICES)
def test_repeated_calls_take_the_cpp_call_path(device):
    """A cached signature runs without Python: the hit count grows and results stay right, with
    outputs as a tensor, a tuple, and a nested structure (rebuilt by the Python side)."""
    single = keraunos.jit(lambda a, b: a * b + 1)
    pair = keraunos.jit(lambda a, b: (a + b, a - b))
    tree = keraunos.jit(lambda a, b: {"s": a + b, "l": [a * b]})
    a, b = to_device((R(5, 3), R(5, 3)), device)
    for _ in range(3):
        assert_same(call(single, a, b), a * b + 1)
        assert_same(call(pair, a, b), (a + b, a - b))
        assert_same(call(tree, a, b), {"s": a + b, "l": [a * b]})
    for jf in (single, pair, tree):
        info = keraunos.cache_info(jf)
        assert (info["misses"], info["hits"]) == (1, 2), info
