"""keraunos.jit on nn.Modules, against eager PyTorch on fresh random inputs: layers, blocks, buffers,
weight tying, train/eval, parameters changed between calls, a training step, and examples/gpt.py."""

import copy
import math
import os
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import keraunos

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from eager_compare import DEVICES, TOL, R, assert_same, call, to_device  # noqa: F401,E402

# -- modules ------------------------------------------------------------------------------------------


class Residual(nn.Module):
    def __init__(self, d=16):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x):
        return x + self.fc2(F.gelu(self.fc1(self.ln(x))))


class CausalSelfAttention(nn.Module):
    """nanoGPT's attention, written out: one qkv matmul, split, view, transpose, a masked softmax."""

    def __init__(self, n_embd=32, n_head=4, block_size=16, dropout=0.1):
        super().__init__()
        self.n_head, self.n_embd = n_head, n_embd
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class TransformerBlock(nn.Module):
    def __init__(self, n_embd=32, n_head=4, block_size=16):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(approximate="tanh"), nn.Linear(4 * n_embd, n_embd), nn.Dropout(0.1))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class MaskedScores(nn.Module):
    """Buffers: a causal mask sliced to the input's length, and a scale."""

    def __init__(self, n=16):
        super().__init__()
        self.register_buffer("mask", torch.tril(torch.ones(n, n, dtype=torch.bool)))
        self.register_buffer("scale", torch.tensor(0.5))
        self.register_buffer("unused", None)

    def forward(self, s):
        T = s.size(-1)
        return s.masked_fill(~self.mask[:T, :T], float("-inf")).softmax(-1) * self.scale


class TiedLM(nn.Module):
    def __init__(self, vocab=20, d=8):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.wte.weight

    def forward(self, idx, targets=None):
        logits = self.head(self.ln(self.wte(idx)))
        if targets is None:
            return logits
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


class TrainingFlag(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        h = self.fc(x)
        if self.training:
            return h * 2.0 + 1.0
        return h.softmax(-1)


class KwargsModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 3)

    def forward(self, x, *, mask=None, temperature=1.0):
        y = self.fc(x) / temperature
        if mask is not None:
            y = y.masked_fill(mask, -1e4)
        return {"logits": y, "probs": y.softmax(-1)}


def _idx():
    return (torch.randint(0, 20, (3, 5)),)


# (id, make_module(), make_inputs())
MODULES = [
    ("linear", lambda: nn.Linear(8, 5), lambda: (R(2, 3, 8),)),
    ("linear_no_bias", lambda: nn.Linear(8, 5, bias=False), lambda: (R(4, 8),)),
    ("mlp_sequential", lambda: nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 8)), lambda: (R(4, 8),)),
    ("layer_norm", lambda: nn.LayerNorm(8), lambda: (R(2, 3, 8),)),
    ("rms_norm", lambda: nn.RMSNorm(8), lambda: (R(2, 3, 8),)),
    ("embedding", lambda: nn.Embedding(10, 8), lambda: (torch.randint(0, 10, (2, 5)),)),
    ("dropout_eval", lambda: nn.Dropout(0.3), lambda: (R(4, 8),)),
    ("gelu", lambda: nn.GELU(), lambda: (R(4, 8),)),
    pytest.param("relu", lambda: nn.ReLU(), lambda: (R(4, 8),), id="relu"),
    pytest.param("mlp_relu", lambda: nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)), lambda: (R(4, 8),), id="mlp_relu"),
    ("silu", lambda: nn.SiLU(), lambda: (R(4, 8),)),
    ("tanh", lambda: nn.Tanh(), lambda: (R(4, 8),)),
    ("activations_stack", lambda: nn.Sequential(nn.Linear(8, 8), nn.LeakyReLU(0.2), nn.Sigmoid(), nn.Softmax(-1)), lambda: (R(4, 8),)),
    ("residual_block", Residual, lambda: (R(2, 5, 16),)),
    ("nanogpt_attention", CausalSelfAttention, lambda: (R(2, 7, 32),)),
    ("transformer_block", TransformerBlock, lambda: (R(2, 9, 32),)),
    ("buffers", MaskedScores, lambda: (R(2, 7, 7),)),
    ("weight_tying", TiedLM, _idx),
    ("weight_tying_with_loss", TiedLM, lambda: (torch.randint(0, 20, (3, 5)), torch.randint(0, 20, (3, 5)))),
    ("keyword_arguments", KwargsModule, lambda: (R(3, 6),)),
    (
        "bf16_mlp",
        lambda: nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 8), nn.LayerNorm(8)).to(torch.bfloat16),
        lambda: (R(4, 8, dtype=torch.bfloat16),),
    ),
    ("fp64_block", lambda: Residual(8).double(), lambda: (R(2, 3, 8, dtype=torch.float64),)),
]


def _params():
    return [pytest.param(*m, id=m[0]) if type(m) is tuple else m for m in MODULES]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name,make_module,make_inputs", _params())
def test_module_matches_eager(name, make_module, make_inputs, device):
    m = make_module().eval().to(device)
    jm = keraunos.jit(m)
    for _ in range(2):  # the second call reuses the plan on new data
        args = to_device(make_inputs(), device)
        with torch.no_grad():
            got = call(jm, *args)
            want = m(*args)
        assert_same(got, want)
    info = keraunos.cache_info(jm)
    assert (info["misses"], info["hits"]) == (1, 1), info


def test_module_keyword_arguments():
    m = KwargsModule()
    jm = keraunos.jit(m)
    x, mask = R(3, 6), torch.rand(3, 3) > 0.5
    with torch.no_grad():
        assert_same(call(jm, x, mask=mask, temperature=0.5), m(x, mask=mask, temperature=0.5))
        assert_same(call(jm, x, temperature=2.0), m(x, temperature=2.0))


def test_enough_distinct_modules():
    assert len(MODULES) >= 15


# -- dropout and train/eval -----------------------------------------------------------------------------


def _check_dropout_output(out, x, p):
    assert type(out) is torch.Tensor and out.shape == x.shape and out.dtype == x.dtype
    zero = out == 0
    frac = zero.float().mean().item()
    assert 0.4 < frac < 0.6, f"fraction of zeros {frac}, p={p}"
    torch.testing.assert_close(out[~zero], x[~zero] / (1 - p))  # the kept values are scaled


def test_dropout_train_mode():
    p = 0.5
    m = nn.Dropout(p).train()
    jm = keraunos.jit(m)
    x = torch.rand(64, 64) + 0.5  # no zeros in the input
    out1 = call(jm, x)
    _check_dropout_output(out1, x, p)
    out2 = call(jm, x)
    _check_dropout_output(out2, x, p)
    assert not torch.equal(out1 == 0, out2 == 0), "the same dropout mask twice"


def test_train_eval_switching_dropout():
    m = nn.Sequential(nn.Linear(32, 64), nn.Dropout(0.5))
    jm = keraunos.jit(m)
    x = R(16, 32)
    m.eval()
    with torch.no_grad():
        assert_same(call(jm, x), m(x))
        m.train()
        ref = m[0](x)
        out = call(jm, x)
        zero = out == 0
        assert 0.35 < zero.float().mean().item() < 0.65
        torch.testing.assert_close(out[~zero], ref[~zero] * 2)
        m.eval()
        assert_same(call(jm, x), m(x))
        m[1].train()  # a submodule alone
        assert (call(jm, x) == 0).float().mean().item() > 0.35


def test_module_using_self_training():
    m = TrainingFlag()
    jm = keraunos.jit(m)
    x = R(4, 6)
    with torch.no_grad():
        m.train()
        assert_same(call(jm, x), m(x))
        m.eval()
        assert_same(call(jm, x), m(x))
        m.train()
        x = R(4, 6)
        assert_same(call(jm, x), m(x))


# -- parameters changed between calls -----------------------------------------------------------------


def _mlp():
    return nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 4))


def test_parameter_updated_in_place():
    m = _mlp()
    jm = keraunos.jit(m)
    x = R(5, 8)
    before = call(jm, x)
    assert_same(before, m(x).detach())
    with torch.no_grad():
        m[0].weight.add_(1.0)
        m[2].bias.mul_(3.0)
    after = call(jm, x)
    assert not torch.allclose(before, after)
    assert_same(after, m(x).detach())


def test_parameter_data_assigned():
    m = _mlp()
    jm = keraunos.jit(m)
    x = R(5, 8)
    call(jm, x)
    m[0].weight.data = R(16, 8)
    assert_same(call(jm, x), m(x).detach())


def test_parameter_object_replaced():
    m = _mlp()
    jm = keraunos.jit(m)
    x = R(5, 8)
    call(jm, x)
    m[2].weight = nn.Parameter(R(4, 16))
    m[2].bias = nn.Parameter(R(4))
    assert_same(call(jm, x), m(x).detach())


def test_buffer_mutated_and_replaced():
    m = MaskedScores()
    jm = keraunos.jit(m)
    s = R(2, 7, 7)
    assert_same(call(jm, s), m(s))
    m.scale.fill_(2.5)
    assert_same(call(jm, s), m(s))
    m.scale = torch.tensor(-1.5)
    assert_same(call(jm, s), m(s))


# -- training -------------------------------------------------------------------------------------------


def _grads(m):
    return {n: p.grad for n, p in m.named_parameters()}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("make", [_mlp, lambda: TransformerBlock().eval(), TiedLM], ids=["mlp", "transformer_block", "tied_lm"])
def test_backward_matches_eager(make, device):
    m = make().to(device)
    ref = copy.deepcopy(m)
    jm = keraunos.jit(m)
    if isinstance(m, TiedLM):
        idx, tgt = to_device((torch.randint(0, 20, (3, 5)), torch.randint(0, 20, (3, 5))), device)
        got, want = call(jm, idx, tgt)[1], ref(idx, tgt)[1]
    else:
        x = to_device(R(2, 9, 32) if isinstance(m, TransformerBlock) else R(5, 8), device)
        g = to_device(R(*m(x).shape), device)
        got, want = (call(jm, x) * g).sum(), (ref(x) * g).sum()
    assert got.requires_grad
    assert_same(got, want)
    got.backward()
    want.backward()
    gg, gw = _grads(m), _grads(ref)
    assert gg.keys() == gw.keys()
    for n in gw:
        assert gg[n] is not None, n
        assert_same(gg[n], gw[n], tol=(1e-4, 1e-5))


def test_optimizer_steps_match_eager():
    m = TransformerBlock()
    m.eval()  # no dropout: deterministic
    ref = copy.deepcopy(m)
    jm = keraunos.jit(m)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-2)
    opt_ref = torch.optim.AdamW(ref.parameters(), lr=1e-2)
    x, tgt = R(2, 9, 32), R(2, 9, 32)
    for _ in range(3):
        loss = F.mse_loss(call(jm, x), tgt)
        loss_ref = F.mse_loss(ref(x), tgt)
        assert_same(loss, loss_ref, tol=(1e-4, 1e-5))
        loss.backward()
        loss_ref.backward()
        opt.step()
        opt_ref.step()
        opt.zero_grad()
        opt_ref.zero_grad()
    with torch.no_grad():
        assert_same(call(jm, x), ref(x), tol=(1e-4, 1e-4))
    assert not torch.allclose(m.ln_1.weight, torch.ones_like(m.ln_1.weight))  # the steps did something


# -- examples/gpt.py ----------------------------------------------------------------------------------


def _gpt():
    path = os.path.join(ROOT, "examples", "gpt.py")
    if not os.path.exists(path):
        pytest.skip("examples/gpt.py does not exist yet")
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from examples.gpt import GPT

    return GPT


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("config", ["tiny", "tiny-llama"])
def test_gpt_logits(config, dtype, device):
    GPT = _gpt()
    m = GPT.from_name(config).to(dtype).to(device).eval()
    jm = keraunos.jit(m)
    V = m.config.vocab_size
    for B, T in [(2, 16), (1, 7)]:
        idx = torch.randint(0, V, (B, T), device=device)
        with torch.no_grad():
            got = call(jm, idx)
            want = m(idx)
        assert got.shape == (B, T, V)
        assert_same(got, want)
    idx, tgt = torch.randint(0, V, (2, 16), device=device), torch.randint(0, V, (2, 16), device=device)
    with torch.no_grad():
        assert_same(call(jm, idx, tgt), m(idx, tgt))
