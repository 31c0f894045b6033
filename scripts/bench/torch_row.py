"""The PyTorch row of the benchmark: the decoder that scripts/bench/models.ts builds as ONNX (GPT-2
style, pre-LayerNorm, learned positions, unfused attention, SiLU MLP, untied head, no biases),
written in eager PyTorch with random weights of the same sizes. Its forward returns the logits and
every layer's attention probabilities, as `output_attentions=True` does in transformers.

Usage: python3 torch_row.py SPEC.json   (written by scripts/bench; see rows in main.ts)
SPEC: {"state": path, "shape": {...}, "ids": {"32": [...], ...}, "runs", "warmup", "threads",
       "load_only", "out": path}. Writes a JSON result to SPEC["out"].
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import torch
from torch import nn


def peak_rss_bytes() -> int:
    """VmHWM of this process: the peak resident set size."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def random_state(shape: dict) -> dict[str, torch.Tensor]:
    """Weights drawn as the ONNX builder scales them: uniform in ±1/sqrt(fan in), tables in ±1."""
    gen = torch.Generator().manual_seed(shape["seed"])
    d, m, v, p = shape["dModel"], shape["dMlp"], shape["vocab"], shape["positions"]

    def uniform(rows: int, cols: int, scale: float) -> torch.Tensor:
        return (torch.rand(rows, cols, generator=gen) * 2 - 1) * scale

    state = {"wte": uniform(v, d, 1.0), "wpe": uniform(p, d, 1.0), "head": uniform(d, v, 1.0)}
    for layer in range(shape["layers"]):
        for name in ("q", "k", "v", "o"):
            state[f"{layer}.{name}"] = uniform(d, d, 1 / math.sqrt(d))
        state[f"{layer}.up"] = uniform(d, m, 1 / math.sqrt(d))
        state[f"{layer}.down"] = uniform(m, d, 1 / math.sqrt(m))
    return state


class Decoder(nn.Module):
    """Holds the loaded tensors as they are (no copy), so the process keeps one model in memory."""

    def __init__(self, shape: dict, state: dict[str, torch.Tensor]):
        super().__init__()
        self.layers, self.heads, self.d = shape["layers"], shape["heads"], shape["dModel"]
        self.w = nn.ParameterDict({k.replace(".", "_"): nn.Parameter(t, requires_grad=False) for k, t in state.items()})

    def norm(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.layer_norm(x, (self.d,), eps=1e-5)

    def forward(self, ids: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        w = self.w
        s = ids.shape[1]
        dh = self.d // self.heads
        x = w["wte"][ids] + w["wpe"][:s]  # [1, s, d]
        causal = torch.full((s, s), -1e9).triu(1)  # [query, key]
        attentions = []
        for layer in range(self.layers):
            h = self.norm(x)

            def heads(name: str) -> torch.Tensor:
                return (h @ w[f"{layer}_{name}"]).view(1, s, self.heads, dh).transpose(1, 2)  # [1, head, s, dh]

            q, k, v = heads("q"), heads("k"), heads("v")
            pattern = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + causal, dim=-1)  # [1, head, query, key]
            attentions.append(pattern)
            z = (pattern @ v).transpose(1, 2).reshape(1, s, self.d)
            x = x + z @ w[f"{layer}_o"]
            up = self.norm(x) @ w[f"{layer}_up"]
            x = x + (up * torch.sigmoid(up)) @ w[f"{layer}_down"]
        return self.norm(x) @ w["head"], attentions  # [1, s, vocab]


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(spec["threads"])
    shape = spec["shape"]
    if not os.path.exists(spec["state"]):
        os.makedirs(os.path.dirname(spec["state"]), exist_ok=True)
        torch.save(random_state(shape), spec["state"] + ".tmp")
        os.replace(spec["state"] + ".tmp", spec["state"])
    started = time.perf_counter()
    model = Decoder(shape, torch.load(spec["state"])).eval()
    load_ms = (time.perf_counter() - started) * 1000
    result: dict = {"loadMs": load_ms, "peakRssAfterLoad": peak_rss_bytes(), "torch": torch.__version__, "sizes": {}}
    if not spec.get("load_only"):
        with torch.inference_mode():
            for n, ids in spec["ids"].items():
                x = torch.tensor([ids], dtype=torch.long)
                for _ in range(spec["warmup"]):
                    model(x)
                times = []
                for _ in range(spec["runs"]):
                    t = time.perf_counter()
                    logits, attentions = model(x)
                    times.append((time.perf_counter() - t) * 1000)
                assert logits.shape[1] == len(ids) and len(attentions) == shape["layers"]
                result["sizes"][n] = {"ms": times}
    result["peakRss"] = peak_rss_bytes()
    json.dump(result, open(spec["out"], "w"))


if __name__ == "__main__":
    main()
