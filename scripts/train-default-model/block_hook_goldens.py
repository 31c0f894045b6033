#!/usr/bin/python3
"""PyTorch reference values of the steps inside each block of the shipped default model, for the
step-by-step walk: written to test/fixtures/lens-tiny-goldens/block-hooks.{json,bin}.

  /usr/bin/python3 scripts/train-default-model/block_hook_goldens.py

As intervention_goldens.py, it needs no checkpoint: the weights are read back from the shipped
media/models/lens-tiny/onnx/model.onnx into model.py's GPT (which must reproduce goldens.bin to
1e-5 first). The tensors are captured with forward hooks on model.py's modules, named and shaped
as TransformerLens names them, on the goldens' TypeScript snippet:
- hook_embed, hook_pos_embed [pos, d_model]: the token and position embeddings' rows;
- blocks.L.ln1 / ln2 .hook_scale [pos, 1]: sqrt(var + eps) of the norm's input;
  .hook_normalized [pos, d_model]: its output, gamma and beta applied;
- blocks.L.hook_attn_out, hook_mlp_out [pos, d_model]: what attention and the MLP add;
- blocks.L.hook_resid_mid [pos, d_model]: the stream between them;
- blocks.L.mlp.hook_pre [pos, d_mlp]: the MLP's input to its GELU;
- ln_final.hook_scale [pos, 1].
test/integration/blockHookGoldens.test.ts compares the engine with them on every backend.
Rerun (and commit both files) whenever the default model changes.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

import bpe  # noqa: E402
from intervention_goldens import ONNX_PATH, TEXT_A, check_against_goldens, load_from_onnx, tokenize  # noqa: E402
from model import GPT  # noqa: E402
from paths import GOLDENS_DIR, MODEL_DIR  # noqa: E402

INDEX = GOLDENS_DIR / "block-hooks.json"
DATA = GOLDENS_DIR / "block-hooks.bin"


@torch.no_grad()
def block_hooks(model: GPT, ids: list[int]) -> dict[str, torch.Tensor]:
    """The hooks above for one unpadded sequence, batch dimension dropped."""
    out: dict[str, torch.Tensor] = {}
    handles = []

    def after(name: str):
        return lambda module, args, result: out.__setitem__(name, result[0])

    def norm(ln: torch.nn.LayerNorm, prefix: str, stream: str | None = None) -> None:
        def before(module, args):
            x = args[0][0]  # [pos, d_model]
            if stream:
                out[stream] = x
            centred = x - x.mean(-1, keepdim=True)
            out[f"{prefix}.hook_scale"] = (centred.pow(2).mean(-1, keepdim=True) + module.eps).sqrt()  # [pos, 1]

        handles.append(ln.register_forward_pre_hook(before))
        handles.append(ln.register_forward_hook(after(f"{prefix}.hook_normalized")))

    handles.append(model.wte.register_forward_hook(after("hook_embed")))
    # wpe is called on [pos] (no batch axis): its whole output is the one row set.
    handles.append(model.wpe.register_forward_hook(lambda module, args, result: out.__setitem__("hook_pos_embed", result)))
    for L, block in enumerate(model.blocks):
        norm(block.ln1, f"blocks.{L}.ln1")
        # ln2 reads the stream after attention was added: hook_resid_mid.
        norm(block.ln2, f"blocks.{L}.ln2", stream=f"blocks.{L}.hook_resid_mid")
        handles.append(block.attn.register_forward_hook(after(f"blocks.{L}.hook_attn_out")))
        handles.append(block.mlp.fc_in.register_forward_hook(after(f"blocks.{L}.mlp.hook_pre")))
        handles.append(block.mlp.register_forward_hook(after(f"blocks.{L}.hook_mlp_out")))
    norm(model.ln_f, "ln_final")
    try:
        batch = torch.tensor([ids])
        model(batch, torch.ones_like(batch))
    finally:
        for h in handles:
            h.remove()
    return out


def main() -> None:
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    tokenizer = bpe.load(MODEL_DIR)
    model = load_from_onnx(ONNX_PATH)
    worst = check_against_goldens(model, tokenizer)
    print(f"weights read back from the shipped ONNX file: goldens.bin reproduced within {worst:.2g}")
    ids = tokenize(tokenizer, TEXT_A)
    tensors = block_hooks(model, ids)
    # The captures against model.py's own cache: the stream the hooks see is the model's.
    cache: dict = {}
    model(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long), cache)
    for L in range(model.cfg.n_layer):
        pre, post = cache[f"blocks.{L}.hook_resid_pre"][0], cache[f"blocks.{L}.hook_resid_post"][0]
        mid = tensors[f"blocks.{L}.hook_resid_mid"]
        if not torch.allclose(mid, pre + tensors[f"blocks.{L}.hook_attn_out"], atol=1e-5) or not torch.allclose(post, mid + tensors[f"blocks.{L}.hook_mlp_out"], atol=1e-5):
            raise RuntimeError(f"the captures of block {L} do not add up to model.py's residual stream")
    if not torch.allclose(tensors["ln_final.hook_normalized"], cache["ln_final.hook_normalized"][0], atol=1e-6):
        raise RuntimeError("the final norm's capture differs from model.py's")

    chunks, index, offset = [], {}, 0
    for name in sorted(tensors):
        data = tensors[name].contiguous().numpy().astype("<f4")
        index[name] = {"offset": offset, "shape": list(data.shape)}
        chunks.append(data.tobytes())
        offset += data.nbytes
    DATA.write_bytes(b"".join(chunks))
    header = {"model": "lens-tiny", "dtype": "float32", "byteOrder": "little", "offsetUnit": "bytes", "text": TEXT_A, "ids": ids, "tensors": index}
    INDEX.write_text(json.dumps(header, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {len(index)} tensors ({offset / 1e6:.2f} MB) to {DATA.relative_to(GOLDENS_DIR.parent.parent.parent)}")


if __name__ == "__main__":
    main()
