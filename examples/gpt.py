"""A GPT in plain PyTorch, written the way nanoGPT and LitGPT write it.

    from examples.gpt import GPT
    model = GPT.from_name("small")                 # or "tiny", "gpt2-124m", "gpt2-medium-350m", "llama-small"
    logits = model(idx)                            # idx: int64 [B, T]
    logits, loss = model(idx, targets)             # next-token cross-entropy

Flags in GPTConfig choose learned position embeddings or RoPE, LayerNorm or RMSNorm, a GELU (tanh)
or SwiGLU MLP, and grouped-query attention (n_query_groups < n_head). Attention goes through
F.scaled_dot_product_attention(..., is_causal=True). The LM head shares its weight with the token
embedding.
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclasses.dataclass
class GPTConfig:
    name: str = ""
    block_size: int = 1024  # the longest sequence
    vocab_size: int = 50304  # GPT-2's 50257 padded to a multiple of 64
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    n_query_groups: int | None = None  # None: n_head (multi-head); 1: multi-query; else grouped-query
    intermediate_size: int | None = None  # None: 4 * n_embd (GELU) or LLaMA's 8/3 * n_embd rounded (SwiGLU)
    dropout: float = 0.0
    bias: bool = True  # bias in Linear layers and LayerNorm
    pos_embedding: str = "learned"  # "learned" or "rope"
    rope_base: float = 10000.0
    norm: str = "layernorm"  # "layernorm" or "rmsnorm"
    norm_eps: float = 1e-5
    mlp: str = "gelu"  # "gelu" (tanh approximation) or "swiglu"
    tie_weights: bool = True

    def __post_init__(self):
        if self.n_query_groups is None:
            self.n_query_groups = self.n_head
        assert self.n_embd % self.n_head == 0, "n_embd must be a multiple of n_head"
        assert self.n_head % self.n_query_groups == 0, "n_head must be a multiple of n_query_groups"
        assert self.pos_embedding in ("learned", "rope"), self.pos_embedding
        assert self.norm in ("layernorm", "rmsnorm"), self.norm
        assert self.mlp in ("gelu", "swiglu"), self.mlp
        if self.intermediate_size is None:
            if self.mlp == "gelu":
                self.intermediate_size = 4 * self.n_embd
            else:  # LLaMA: 2/3 of 4 * n_embd, rounded up to a multiple of 64
                self.intermediate_size = 64 * math.ceil(int(8 * self.n_embd / 3) / 64)

    @property
    def head_size(self) -> int:
        return self.n_embd // self.n_head

    @classmethod
    def from_name(cls, name: str, **overrides) -> GPTConfig:
        if name not in CONFIGS:
            raise ValueError(f"unknown config {name!r}; known: {', '.join(CONFIGS)}")
        return cls(**{**CONFIGS[name], "name": name, **overrides})


CONFIGS = {
    # ~0.1M parameters: for tests.
    "tiny": dict(block_size=64, vocab_size=256, n_layer=2, n_head=4, n_embd=64),
    # ~0.1M, LLaMA-style: RoPE, RMSNorm, SwiGLU, grouped-query attention, no biases.
    "tiny-llama": dict(
        block_size=64,
        vocab_size=256,
        n_layer=2,
        n_head=4,
        n_query_groups=2,
        n_embd=64,
        bias=False,
        pos_embedding="rope",
        norm="rmsnorm",
        mlp="swiglu",
    ),
    # ~10M parameters.
    "small": dict(block_size=256, vocab_size=4096, n_layer=6, n_head=6, n_embd=384),
    # ~10M, LLaMA-style.
    "llama-small": dict(
        block_size=256,
        vocab_size=4096,
        n_layer=6,
        n_head=6,
        n_query_groups=2,
        n_embd=384,
        bias=False,
        pos_embedding="rope",
        norm="rmsnorm",
        mlp="swiglu",
    ),
    # GPT-2 (124M) and GPT-2 medium (350M), with the vocabulary padded to 50304 as nanoGPT does.
    "gpt2-124m": dict(block_size=1024, vocab_size=50304, n_layer=12, n_head=12, n_embd=768),
    "gpt2-medium-350m": dict(block_size=1024, vocab_size=50304, n_layer=24, n_head=16, n_embd=1024),
}


class RMSNorm(nn.Module):
    """RMSNorm written out (F.rms_norm computes the same)."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return (x * self.weight.float()).to(dtype)


def make_norm(config: GPTConfig) -> nn.Module:
    if config.norm == "rmsnorm":
        return RMSNorm(config.n_embd, eps=config.norm_eps)
    return nn.LayerNorm(config.n_embd, eps=config.norm_eps, bias=config.bias)


def build_rope_cache(seq_len: int, head_size: int, base: float = 10000.0):
    """cos and sin, each [seq_len, head_size] (the half-rotation layout of LitGPT / HF LLaMA)."""
    theta = 1.0 / (base ** (torch.arange(0, head_size, 2, dtype=torch.float32) / head_size))
    pos = torch.arange(seq_len, dtype=torch.float32)
    freqs = torch.outer(pos, theta)  # [T, hs/2]
    freqs = torch.cat([freqs, freqs], dim=-1)  # [T, hs]
    return torch.cos(freqs), torch.sin(freqs)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: [B, nh, T, hs]; cos, sin: [T, hs]."""
    hs = x.size(-1)
    x1 = x[..., : hs // 2]
    x2 = x[..., hs // 2 :]
    rotated = torch.cat((-x2, x1), dim=-1)
    return (x * cos + rotated * sin).to(dtype=x.dtype)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.n_head = config.n_head
        self.n_query_groups = config.n_query_groups
        self.head_size = config.head_size
        qkv_size = (config.n_head + 2 * config.n_query_groups) * config.head_size
        self.c_attn = nn.Linear(config.n_embd, qkv_size, bias=config.bias)  # q, k and v in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout_p = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, rope: tuple | None = None) -> torch.Tensor:
        B, T, C = x.size()
        hs, nh, ng = self.head_size, self.n_head, self.n_query_groups
        q, k, v = self.c_attn(x).split([nh * hs, ng * hs, ng * hs], dim=2)
        q = q.view(B, T, nh, hs).transpose(1, 2)  # [B, nh, T, hs]
        k = k.view(B, T, ng, hs).transpose(1, 2)  # [B, ng, T, hs]
        v = v.view(B, T, ng, hs).transpose(1, 2)
        if rope is not None:
            cos, sin = rope
            q = apply_rope(q, cos, sin)
            k = apply_rope(k, cos, sin)
        if ng != nh:  # grouped-query attention: each k/v head serves nh // ng query heads
            k = k.repeat_interleave(nh // ng, dim=1)
            v = v.repeat_interleave(nh // ng, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=self.attn_dropout_p if self.training else 0.0, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class GeluMLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, config.intermediate_size, bias=config.bias)
        self.c_proj = nn.Linear(config.intermediate_size, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.c_fc(x), approximate="tanh")
        return self.dropout(self.c_proj(x))


class SwiGLUMLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.fc_1 = nn.Linear(config.n_embd, config.intermediate_size, bias=config.bias)  # gate
        self.fc_2 = nn.Linear(config.n_embd, config.intermediate_size, bias=config.bias)  # up
        self.proj = nn.Linear(config.intermediate_size, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.silu(self.fc_1(x)) * self.fc_2(x)
        return self.dropout(self.proj(x))


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = make_norm(config)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = make_norm(config)
        self.mlp = SwiGLUMLP(config) if config.mlp == "swiglu" else GeluMLP(config)

    def forward(self, x: torch.Tensor, rope: tuple | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), rope)
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=make_norm(config),
            )
        )
        if config.pos_embedding == "learned":
            self.transformer["wpe"] = nn.Embedding(config.block_size, config.n_embd)
        else:
            cos, sin = build_rope_cache(config.block_size, config.head_size, config.rope_base)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.transformer.wte.weight  # weight tying
        self.apply(self._init_weights)
        # GPT-2's scaled init of the residual projections.
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight") or pn.endswith("mlp.proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    @classmethod
    def from_name(cls, name: str, **overrides) -> GPT:
        return cls(GPTConfig.from_name(name, **overrides))

    def num_params(self, non_embedding: bool = False) -> int:
        """Parameters, each shared tensor counted once (the tied LM head is not counted again).
        non_embedding: leave out the position embeddings too (nanoGPT's convention)."""
        n = sum(p.numel() for p in self.parameters())
        if non_embedding and "wpe" in self.transformer:
            n -= self.transformer.wpe.weight.numel()
        return n

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        B, T = idx.size()
        assert T <= self.config.block_size, f"sequence of {T} tokens, block_size is {self.config.block_size}"
        x = self.transformer.wte(idx)  # [B, T, C]
        rope = None
        if self.config.pos_embedding == "learned":
            pos = torch.arange(0, T, dtype=torch.long, device=idx.device)
            x = x + self.transformer.wpe(pos)
        else:
            rope = (self.rope_cos[:T], self.rope_sin[:T])
        x = self.transformer.drop(x)
        for block in self.transformer.h:
            x = block(x, rope)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        if targets is None:
            return logits
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


if __name__ == "__main__":
    for name in CONFIGS:
        with torch.device("meta"):
            m = GPT.from_name(name)
        print(f"{name:18s} {m.num_params() / 1e6:8.2f}M parameters")
