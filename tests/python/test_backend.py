"""torch.compile(fn_or_module, backend="keraunos"), against eager PyTorch on fresh random inputs.
Dynamo captures FX graphs (and handles graph breaks); keraunos compiles each graph. A spy on the
backend's JitFunction checks that keraunos really ran every graph (no silent eager fallback)."""

import copy
import math
import os
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import keraunos
import keraunos._backend

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from eager_compare import DEVICES, TOL, R, assert_same, to_device  # noqa: F401,E402


@pytest.fixture(autouse=True)
def spy(monkeypatch):
    """Resets Dynamo, and counts the graphs keraunos compiled and the calls it ran."""
    torch._dynamo.reset()
    stats = {"graphs": 0, "calls": 0}
    base = keraunos._backend.JitFunction

    class Spy(base):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            stats["graphs"] += 1

        def __call__(self, *a, **kw):
            stats["calls"] += 1
            try:
                return super().__call__(*a, **kw)
            except Exception as e:  # without the traceback: repr() of a finished trace's proxy crashes
                e.__traceback__ = None
                e.__context__ = e.__cause__ = None
                raise e from None

    monkeypatch.setattr(keraunos._backend, "JitFunction", Spy)
    yield stats
    torch._dynamo.reset()


def check(fn, make_inputs, spy, calls=2, tol=None):
    compiled = torch.compile(fn, backend="keraunos")
    for _ in range(calls):
        args = make_inputs()
        got = compiled(*args)
        want = fn(*args)
        assert_same(got, want, tol)
    assert spy["graphs"] >= 1 and spy["calls"] >= calls, spy
    return compiled


# -- functions and modules --------------------------------------------------------------------------


def _attention(q, k, v):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def _loss(logits, t):
    return F.cross_entropy(logits, t, ignore_index=-100), logits.log_softmax(-1).argmax(-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd=32, n_head=4, block_size=16):
        super().__init__()
        self.n_head, self.n_embd = n_head, n_embd
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(d), CausalSelfAttention(d)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(approximate="tanh"), nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


def _targets():
    t = torch.randint(0, 7, (12,))
    t[:3] = -100
    return t


CASES = [
    ("arithmetic", lambda a, b: (a * 2 + b).softmax(-1) - a / (b.abs() + 1), lambda: (R(3, 5), R(3, 5))),
    (
        "view_transpose_chain",
        lambda a: a.view(2, -1).transpose(0, 1).contiguous().reshape(3, -1).sum(-1, keepdim=True),
        lambda: (R(2, 3, 4),),
    ),
    ("indexing_and_creation", lambda a: a[:, None, 1:] * torch.arange(a.shape[-1] - 1) + torch.ones(3), lambda: (R(4, 4),)),
    ("sdpa_causal", _attention, lambda: (R(2, 2, 6, 8), R(2, 2, 6, 8), R(2, 2, 6, 8))),
    ("cross_entropy", _loss, lambda: (R(12, 7), _targets())),
    ("mlp_module", lambda: nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 8)), lambda: (R(4, 8),)),
    ("layer_norm_module", lambda: nn.LayerNorm(8), lambda: (R(2, 3, 8),)),
    ("embedding_module", lambda: nn.Embedding(10, 8), lambda: (torch.randint(0, 10, (2, 5)),)),
    ("nanogpt_attention_module", CausalSelfAttention, lambda: (R(2, 7, 32),)),
    ("transformer_block_module", Block, lambda: (R(2, 9, 32),)),
    (
        "bf16_mlp_module",
        lambda: nn.Sequential(nn.Linear(8, 32), nn.SiLU(), nn.Linear(32, 8)).to(torch.bfloat16),
        lambda: (R(4, 8, dtype=torch.bfloat16),),
    ),
    pytest.param(
        "relu_mlp_module", lambda: nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)), lambda: (R(4, 8),), id="relu_mlp_module"
    ),
    pytest.param("pow_operator", lambda a: a**2 + a.abs() ** 0.5, lambda: (R(3, 4),), id="pow_operator"),
]
MODULE_CASES = {
    "mlp_module",
    "layer_norm_module",
    "embedding_module",
    "nanogpt_attention_module",
    "transformer_block_module",
    "bf16_mlp_module",
    "relu_mlp_module",
}


def _params():
    return [pytest.param(*c, id=c[0]) if type(c) is tuple else c for c in CASES]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name,fn,make_inputs", _params())
def test_compile_matches_eager(name, fn, make_inputs, spy, device):
    if device != "cpu" and name == "indexing_and_creation":
        pytest.skip("creates CPU tensors next to its inputs, which eager rejects on CUDA too")
    if name in MODULE_CASES:
        fn = fn().eval().to(device)
    with torch.no_grad():
        check(fn, lambda: to_device(make_inputs(), device), spy)


def test_enough_distinct_programs():
    assert len(CASES) >= 8


# -- graph breaks -------------------------------------------------------------------------------------


def _with_print(a, b):
    h = (a @ b).tanh()
    print("keraunos backend test: a graph break")
    return h.softmax(-1) * 2 + a.sum()


def test_graph_break_print(spy, capsys):
    with torch.no_grad():
        check(_with_print, lambda: (R(3, 4), R(4, 4)), spy)
    assert "a graph break" in capsys.readouterr().out
    assert spy["graphs"] >= 2, spy  # the graphs before and after the print


def _data_dependent(a):
    s = a.sum()
    if s.item() > 0:
        return (a * 2).softmax(-1), s
    return (a - 1).exp(), s


def test_graph_break_data_dependent_branch(spy):
    compiled = torch.compile(_data_dependent, backend="keraunos")
    for sign in (1.0, -1.0, 1.0):
        a = R(3, 4).abs() * sign + 0.1 * sign  # a sum of each sign, so both branches run
        with torch.no_grad():
            assert_same(compiled(a), _data_dependent(a))
    assert spy["graphs"] >= 2, spy


# -- training and a model -----------------------------------------------------------------------------


def test_compile_training_step_matches_eager(spy):
    m = Block()
    ref = copy.deepcopy(m)
    cm = torch.compile(m, backend="keraunos")
    opt, opt_ref = torch.optim.SGD(m.parameters(), lr=0.1), torch.optim.SGD(ref.parameters(), lr=0.1)
    x, t = R(2, 9, 32), R(2, 9, 32)
    for _ in range(2):
        loss, loss_ref = F.mse_loss(cm(x), t), F.mse_loss(ref(x), t)
        assert_same(loss, loss_ref, tol=(1e-4, 1e-5))
        loss.backward()
        loss_ref.backward()
        for p, q in zip(m.parameters(), ref.parameters()):
            assert_same(p.grad, q.grad, tol=(1e-4, 1e-5))
        opt.step()
        opt_ref.step()
        opt.zero_grad()
        opt_ref.zero_grad()
    with torch.no_grad():
        assert_same(cm(x), ref(x), tol=(1e-4, 1e-5))
    assert spy["calls"] >= 3


@pytest.mark.parametrize("device", DEVICES)
def test_compile_gpt_example(spy, device):
    path = os.path.join(ROOT, "examples", "gpt.py")
    if not os.path.exists(path):
        pytest.skip("examples/gpt.py does not exist yet")
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from examples.gpt import GPT

    m = GPT.from_name("tiny").eval().to(device)
    V = m.config.vocab_size
    with torch.no_grad():
        check(m, lambda: (torch.randint(0, V, (2, 12), device=device),), spy)
