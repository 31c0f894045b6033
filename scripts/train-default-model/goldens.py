"""Golden reference activations from the PyTorch model, for testing the TypeScript
engine (which reads the same values out of the ONNX graph) against an independent
implementation. Format: see the README.md written next to the files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from bpe import Bpe
from model import GPT

TYPESCRIPT_SNIPPET = "export function max(a: number, b: number): number {\n  return a > b ? a : b;\n}\n"
ENGLISH_SENTENCE = "If the file does not exist, the function throws an error with a helpful message to the user."
REPEATED_LENGTH = 12
REPEATED_SEED = 2024
LENS_TOP_K = 5


def golden_inputs(tokenizer: Bpe) -> list[dict]:
    """name, text (None where only ids exist) and ids including the leading BOS."""
    bos = tokenizer.eot_id
    generator = torch.Generator().manual_seed(REPEATED_SEED)
    random_ids = torch.randint(0, bos, (REPEATED_LENGTH,), generator=generator).tolist()
    return [
        {"name": "typescript", "text": TYPESCRIPT_SNIPPET, "ids": [bos] + tokenizer.encode(TYPESCRIPT_SNIPPET)},
        {"name": "english", "text": ENGLISH_SENTENCE, "ids": [bos] + tokenizer.encode(ENGLISH_SENTENCE)},
        {"name": "repeated", "text": None, "ids": [bos] + random_ids + random_ids},
    ]


@torch.no_grad()
def activations(model: GPT, ids: list[int]) -> dict[str, torch.Tensor]:
    """TransformerLens-named tensors for one unpadded sequence, batch dimension dropped."""
    batch = torch.tensor([ids])
    cache: dict = {}
    logits = model(batch, torch.ones_like(batch), cache)
    tensors = {"logits": logits[0]}  # [pos, vocab]
    for layer in range(model.cfg.n_layer):
        block, attn = f"blocks.{layer}", f"blocks.{layer}.attn"
        tensors[f"{block}.hook_resid_pre"] = cache[f"{block}.hook_resid_pre"][0]  # [pos, d_model]
        for hook in ("hook_q", "hook_k", "hook_v", "hook_z"):
            tensors[f"{attn}.{hook}"] = cache[f"{attn}.{hook}"][0]  # [pos, head, d_head]
        tensors[f"{attn}.hook_pattern"] = cache[f"{attn}.hook_pattern"][0]  # [head, query, key]
        tensors[f"{block}.mlp.hook_post"] = cache[f"{block}.mlp.hook_post"][0]  # [pos, d_mlp]
        tensors[f"{block}.hook_resid_post"] = cache[f"{block}.hook_resid_post"][0]  # [pos, d_model]
    tensors["ln_final.hook_normalized"] = cache["ln_final.hook_normalized"][0]  # [pos, d_model]
    for layer in range(model.cfg.n_layer):
        probs, top_ids = logit_lens_top_k(model, cache[f"blocks.{layer}.hook_resid_post"][0])
        tensors[f"lens.{layer}.probs_top5"] = probs  # [pos, 5]
        tensors[f"lens.{layer}.ids_top5"] = top_ids.float()  # [pos, 5], ids stored as float32
    return tensors


def logit_lens_top_k(model: GPT, resid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Read a residual stream [pos, d_model] as if it were the last layer's output:
    top-k of softmax(unembed(ln_final(resid)))."""
    probs = torch.softmax(model.unembed(model.ln_f(resid)), dim=-1)  # [pos, vocab]
    return probs.topk(LENS_TOP_K, dim=-1)


def write(model: GPT, tokenizer: Bpe, folder: Path) -> list[dict]:
    folder.mkdir(parents=True, exist_ok=True)
    chunks, index, offset = [], [], 0
    for item in golden_inputs(tokenizer):
        tensors = {}
        for name, tensor in activations(model, item["ids"]).items():
            data = tensor.contiguous().numpy().astype("<f4")
            tensors[name] = {"offset": offset, "shape": list(data.shape)}
            chunks.append(data.tobytes())
            offset += data.nbytes
        index.append({**item, "tensors": tensors})
    (folder / "goldens.bin").write_bytes(b"".join(chunks))
    cfg = model.cfg
    header = {
        "model": "lens-tiny",
        "dtype": "float32", "byteOrder": "little", "offsetUnit": "bytes",
        "config": {"n_layer": cfg.n_layer, "n_head": cfg.n_head, "d_model": cfg.d_model,
                   "d_head": cfg.d_head, "d_mlp": cfg.d_mlp, "vocab_size": cfg.vocab_size},
        "inputs": index,
    }
    (folder / "goldens.json").write_text(json.dumps(header, indent=1) + "\n", "utf-8")
    return index


def check_index(folder: Path) -> None:
    """The index's offsets and shapes must cover goldens.bin exactly."""
    header = json.loads((folder / "goldens.json").read_text("utf-8"))
    size = (folder / "goldens.bin").stat().st_size
    end = max(t["offset"] + 4 * int(np.prod(t["shape"])) for item in header["inputs"] for t in item["tensors"].values())
    if end != size:
        raise RuntimeError(f"goldens.bin is {size} bytes but the index describes {end}")
