"""A GPT-2-style decoder written out op by op.

Attention is spelled as plain matrix products, a mask and a softmax (no fused
attention) so that the exported ONNX graph has one visible Softmax per layer whose
output is the attention pattern. `forward(..., cache=dict)` records the same
intermediate tensors TransformerLens names, for the golden reference outputs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

# Added to the scores of masked keys. Finite (not -inf) so that a query whose keys
# are all padding gets a uniform row instead of NaN.
MASKED_SCORE = -1e9


@dataclass(frozen=True)
class Config:
    vocab_size: int = 4096
    n_positions: int = 512
    d_model: int = 256
    n_layer: int = 4
    n_head: int = 8
    layer_norm_epsilon: float = 1e-5

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_head

    @property
    def d_mlp(self) -> int:
        return 4 * self.d_model

    def to_dict(self) -> dict:
        return asdict(self)


def record(cache: dict | None, name: str, tensor: torch.Tensor) -> None:
    if cache is not None:
        cache[name] = tensor.detach()


def sinusoids(n_positions: int, d_model: int) -> torch.Tensor:
    """[n_positions, d_model] sin/cos pairs at frequencies spaced evenly in (0, π].

    Unlike the geometric spacing of Vaswani et al., which spends most dimensions on
    slow frequencies, even spacing makes sum_k cos(ω_k · (offset - 1)) a sharp peak
    (a Dirichlet kernel), so one rotation per sin/cos pair singles out one offset."""
    position = torch.arange(n_positions, dtype=torch.float32)[:, None]
    pairs = d_model // 2
    frequency = math.pi * torch.arange(1, pairs + 1, dtype=torch.float32) / pairs
    table = torch.zeros(n_positions, d_model)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, prefix: str, cache: dict | None) -> torch.Tensor:
        batch, seq, _ = x.shape
        heads, d_head = self.cfg.n_head, self.cfg.d_head
        q, k, v = self.qkv(x).split(self.cfg.d_model, dim=-1)
        q = q.view(batch, seq, heads, d_head)  # [batch, pos, head, d_head]
        k = k.view(batch, seq, heads, d_head)  # [batch, pos, head, d_head]
        v = v.view(batch, seq, heads, d_head)  # [batch, pos, head, d_head]
        record(cache, f"{prefix}.hook_q", q)
        record(cache, f"{prefix}.hook_k", k)
        record(cache, f"{prefix}.hook_v", v)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # [batch, head, pos, d_head]
        scores = q @ k.transpose(-1, -2) / math.sqrt(d_head)  # [batch, head, query, key]
        scores = torch.where(mask, scores, torch.tensor(MASKED_SCORE, dtype=scores.dtype))
        pattern = torch.softmax(scores, dim=-1)  # [batch, head, query, key]
        record(cache, f"{prefix}.hook_pattern", pattern)
        z = (pattern @ v).transpose(1, 2)  # [batch, pos, head, d_head]
        record(cache, f"{prefix}.hook_z", z)
        return self.out(z.reshape(batch, seq, self.cfg.d_model))


class Mlp(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.fc_in = nn.Linear(cfg.d_model, cfg.d_mlp)
        self.fc_out = nn.Linear(cfg.d_mlp, cfg.d_model)

    def forward(self, x: torch.Tensor, prefix: str, cache: dict | None) -> torch.Tensor:
        post = F.gelu(self.fc_in(x))  # [batch, pos, d_mlp], exact (erf) GELU
        record(cache, f"{prefix}.hook_post", post)
        return self.fc_out(post)


class Block(nn.Module):
    """Pre-LayerNorm residual block: x + attn(ln1(x)), then + mlp(ln2(x))."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_epsilon)
        self.mlp = Mlp(cfg)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, prefix: str, cache: dict | None) -> torch.Tensor:
        record(cache, f"{prefix}.hook_resid_pre", x)
        x = x + self.attn(self.ln1(x), mask, f"{prefix}.attn", cache)
        x = x + self.mlp(self.ln2(x), f"{prefix}.mlp", cache)
        record(cache, f"{prefix}.hook_resid_post", x)
        return x


class GPT(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_epsilon)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2's initialisation: N(0, 0.02), with the projections that write into the
        residual stream scaled down by sqrt(2 * n_layer) so its variance stays put.

        Position embeddings are learned but start as sinusoids (of the same scale as the
        token embeddings), where a fixed offset between two positions is a linear map.
        The shipped model was trained from this start; its previous-token head still
        comes from learning each position's row (frozen at this start, none formed)."""
        for name, p in self.named_parameters():
            if name == "wpe.weight":
                p.data.copy_(sinusoids(self.cfg.n_positions, self.cfg.d_model) * 0.02 * math.sqrt(2))
            elif name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() == 1:  # LayerNorm gains
                nn.init.ones_(p)
            elif name.endswith("out.weight"):  # attn.out and mlp.fc_out
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * self.cfg.n_layer))
            else:
                nn.init.normal_(p, std=0.02)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                cache: dict | None = None) -> torch.Tensor:
        """input_ids, attention_mask: [batch, pos] int64 -> logits [batch, pos, vocab].

        Positions count from 0 at the first column, padded or not, so pad on the right.
        """
        seq = input_ids.shape[1]
        positions = torch.arange(seq, device=input_ids.device)
        causal = torch.ones(seq, seq, dtype=torch.bool, device=input_ids.device).tril()  # [query, key]
        keys_present = attention_mask.bool()[:, None, None, :]  # [batch, 1, 1, key]
        mask = causal[None, None] & keys_present  # [batch, 1, query, key]
        x = self.wte(input_ids) + self.wpe(positions)  # [batch, pos, d_model]
        for layer, block in enumerate(self.blocks):
            x = block(x, mask, f"blocks.{layer}", cache)
        normalized = self.ln_f(x)  # [batch, pos, d_model]
        record(cache, "ln_final.hook_normalized", normalized)
        return self.unembed(normalized)

    def unembed(self, normalized: torch.Tensor) -> torch.Tensor:
        """Tied unembedding: logits are dot products with the token embeddings."""
        return normalized @ self.wte.weight.T  # [batch, pos, vocab]

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
