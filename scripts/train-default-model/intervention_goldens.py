#!/usr/bin/python3
"""PyTorch reference values for the engine's interventions and direct logit attribution
on the shipped default model, written to test/fixtures/lens-tiny-goldens/interventions.json.

  /usr/bin/python3 scripts/train-default-model/intervention_goldens.py

The training checkpoint is not needed: the weights are read back from the shipped
media/models/lens-tiny/onnx/model.onnx into model.py's GPT, and the script stops unless
that model reproduces every tensor of goldens.bin (written from the checkpoint) to 1e-5.
The interventions are made with forward hooks on model.py's modules, and the attribution
is computed from captured activations with the weights, independently of the TypeScript
engine (src/engine/interventionFeeds.ts, src/engine/attribution.ts), which must agree:
test/integration/interventionGoldens.test.ts compares them to 1e-4.

Cases (all on the goldens' TypeScript snippet, "A"):
- zero ablation of one head: blocks.L.attn.hook_z of that head set to 0 at every position;
- mean ablation of the same head: its z replaced, at every position, by its mean over the
  positions (BOS included) of the same text's run without interventions;
- patching: blocks.L.hook_resid_pre at one position replaced by its value in text B (as
  many tokens, two of them different);
- direct logit attribution of two tokens: logit(target) - logit(foil) split into the parts
  the engine reports in Analysis.attribution, and each head's part split over the tokens
  it read.
Rerun after the default model changes (train.py does not); the test fails until then.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402

import bpe  # noqa: E402
import export_onnx  # noqa: E402
import goldens  # noqa: E402
from model import GPT, Config  # noqa: E402
from paths import GOLDENS_DIR, MODEL_DIR  # noqa: E402

OUTPUT = GOLDENS_DIR / "interventions.json"
ONNX_PATH = MODEL_DIR / "onnx" / "model.onnx"
# How closely the model read back from ONNX must reproduce goldens.bin (|a - b| / max(1, |b|)).
READBACK_TOLERANCE = 1e-5
# Largest |PyTorch - onnxruntime-web| allowed on the logits (up to about 15 here), as a second check.
ONNXRUNTIME_TOLERANCE = 1e-4

TEXT_A = goldens.TYPESCRIPT_SNIPPET
# As A with "max" -> "min" and ">" -> "<": checked below to have as many tokens.
TEXT_B = "export function min(a: number, b: number): number {\n  return a < b ? a : b;\n}\n"

# L1H0: of the 16 heads, one whose zero ablation moves the log-probability of the actual next
# tokens visibly (by 1.0 nats on average over A's positions, up to 4.4), without being one of the
# layer-0 heads the model cannot do without (7 and 6 nats).
ABLATED_LAYER = 1
ABLATED_HEAD = 0
# The stream entering block 2 at the first position where A and B differ (" max" / " min").
PATCH_LAYER = 2
# Tokens whose prediction is explained, against the model's best other prediction (the engine's
# default foil): position 11 is A's second " number" (after "b:", predicted with p = 0.91,
# runner-up " b"); position 23 is the last " b", where the model preferred " a" (the foil).
ATTRIBUTION_POSITIONS = (11, 23)
# Logits are written rounded to this many decimals (float32 resolves about 1e-6 at |x| ~ 10).
DIGITS = 6
TOP_K = 5


# ---------------------------------------------------------------- loading the weights


def load_from_onnx(path: Path) -> GPT:
    """model.py's GPT with the weights of the exported graph.

    Named initializers (model.<parameter>) map one to one. torch.onnx.export stores each
    nn.Linear weight transposed, as the unnamed right operand of a MatMul whose output is
    named after the module (/model/blocks.0/attn/qkv/MatMul_output_0); the tied
    unembedding is a Transpose of model.wte.weight and has no parameter of its own."""
    graph = onnx.load(str(path)).graph
    config = json.loads((MODEL_DIR / "config.json").read_text("utf-8"))
    cfg = Config(vocab_size=config["vocab_size"], n_positions=config["n_positions"], d_model=config["n_embd"],
                 n_layer=config["n_layer"], n_head=config["n_head"], layer_norm_epsilon=config["layer_norm_epsilon"])
    model = GPT(cfg)
    arrays = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    state: dict[str, torch.Tensor] = {}
    for name, value in arrays.items():
        if name.startswith("model."):
            state[name[len("model."):]] = torch.from_numpy(value.copy())
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in arrays:
            continue
        out = node.output[0]
        prefix, suffix = "/model/", "/MatMul_output_0"
        if not (out.startswith(prefix) and out.endswith(suffix)):
            raise RuntimeError(f"a MatMul by a weight with an unexpected output name: {out}")
        module = out[len(prefix):-len(suffix)].replace("/", ".")
        state[f"{module}.weight"] = torch.from_numpy(arrays[node.input[1]].T.copy())
    expected = dict(model.state_dict())
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise RuntimeError(f"ONNX initializers do not map onto model.py: missing {missing}, unexpected {extra}")
    for name, value in state.items():
        if tuple(value.shape) != tuple(expected[name].shape):
            raise RuntimeError(f"{name}: ONNX has {tuple(value.shape)}, model.py {tuple(expected[name].shape)}")
    model.load_state_dict(state)
    return model.eval()


@torch.no_grad()
def check_against_goldens(model: GPT, tokenizer: bpe.Bpe) -> float:
    """Every tensor of goldens.bin (the checkpoint's PyTorch outputs) must come out again."""
    header = json.loads((GOLDENS_DIR / "goldens.json").read_text("utf-8"))
    blob = (GOLDENS_DIR / "goldens.bin").read_bytes()
    worst = 0.0
    for item in header["inputs"]:
        if item["text"] is not None and tokenize(tokenizer, item["text"]) != item["ids"]:
            raise RuntimeError(f"the tokenizer does not reproduce the goldens' ids of {item['name']}")
        ours = goldens.activations(model, item["ids"])
        for name, where in item["tensors"].items():
            count = int(np.prod(where["shape"]))
            expected = np.frombuffer(blob, dtype="<f4", count=count, offset=where["offset"]).reshape(where["shape"])
            actual = ours[name].numpy()
            if name.startswith("lens.") and name.endswith("ids_top5"):
                continue  # near-ties may swap; the probabilities are compared
            error = float(np.max(np.abs(actual - expected) / np.maximum(1.0, np.abs(expected))))
            if not error <= READBACK_TOLERANCE:
                raise RuntimeError(f"the model read back from ONNX differs from goldens.bin at {item['name']} {name}: "
                                   f"{error:.3g} > {READBACK_TOLERANCE}")
            worst = max(worst, error)
    return worst


def tokenize(tokenizer: bpe.Bpe, text: str) -> list[int]:
    """As goldens.py: BOS, then the text's ids."""
    return [tokenizer.eot_id] + tokenizer.encode(text)




# ---------------------------------------------------------------- hooks


class Hooks:
    """Forward hooks on model.py's modules, removed on leaving the `with` block.

    Interventions are registered before captures, so a capture of the same place sees the
    intervened value (as the engine reports it)."""

    def __init__(self, model: GPT):
        self.model = model
        self.handles: list = []
        self.captured: dict[str, torch.Tensor] = {}

    def __enter__(self) -> "Hooks":
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles:
            handle.remove()

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        """[batch, pos, d_model] -> [pos, head, d_head] (batch of one)."""
        cfg = self.model.cfg
        return x[0].reshape(x.shape[1], cfg.n_head, cfg.d_head)

    # blocks.L.attn.hook_z is the input of the attention's output projection, heads side by side.
    def replace_head_z(self, layer: int, head: int, values: torch.Tensor | None) -> None:
        """z of one head := values ([pos, d_head]), or 0 when values is None, at every position."""
        d_head = self.model.cfg.d_head

        def hook(module, args):
            z = args[0].clone()
            cols = slice(head * d_head, (head + 1) * d_head)
            z[0, :, cols] = 0.0 if values is None else values
            return (z,)

        self.handles.append(self.model.blocks[layer].attn.out.register_forward_pre_hook(hook))

    # blocks.L.hook_resid_pre is the first argument of block L.
    def replace_resid_pre(self, layer: int, position: int, value: torch.Tensor) -> None:
        def hook(module, args):
            x = args[0].clone()
            x[0, position] = value
            return (x, *args[1:])

        self.handles.append(self.model.blocks[layer].register_forward_pre_hook(hook))

    def capture(self) -> None:
        """TransformerLens-named captures of everything the goldens and the attribution use."""
        model, captured = self.model, self.captured
        cfg = model.cfg

        def keep(name, transform=lambda t: t[0]):
            def store(t):
                captured[name] = transform(t.detach()).clone()
            return store

        for L, block in enumerate(model.blocks):
            self.handles.append(block.register_forward_pre_hook(
                lambda m, args, f=keep(f"blocks.{L}.hook_resid_pre"): f(args[0])))
            self.handles.append(block.attn.out.register_forward_pre_hook(
                lambda m, args, f=keep(f"blocks.{L}.attn.hook_z", self._heads): f(args[0])))
            self.handles.append(block.attn.qkv.register_forward_hook(
                lambda m, args, out, f=keep(f"blocks.{L}.attn.hook_v", self._heads):
                f(out[..., 2 * cfg.d_model:])))
            self.handles.append(block.attn.qkv.register_forward_hook(
                lambda m, args, out, f=keep(f"blocks.{L}.attn.hook_q", self._heads):
                f(out[..., :cfg.d_model])))
            self.handles.append(block.attn.qkv.register_forward_hook(
                lambda m, args, out, f=keep(f"blocks.{L}.attn.hook_k", self._heads):
                f(out[..., cfg.d_model:2 * cfg.d_model])))
            # What each sublayer writes into the residual stream (output projection bias included).
            self.handles.append(block.attn.register_forward_hook(
                lambda m, args, out, f=keep(f"blocks.{L}.hook_attn_out"): f(out)))
            self.handles.append(block.mlp.register_forward_hook(
                lambda m, args, out, f=keep(f"blocks.{L}.hook_mlp_out"): f(out)))
        self.handles.append(model.ln_f.register_forward_pre_hook(
            lambda m, args, f=keep("final_stream"): f(args[0])))


@torch.no_grad()
def run(model: GPT, ids: list[int], setup=lambda hooks: None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Logits [pos, vocab] and the captures of one unpadded sequence, with `setup`'s interventions."""
    batch = torch.tensor([ids])
    with Hooks(model) as hooks:
        setup(hooks)
        hooks.capture()
        logits = model(batch, torch.ones_like(batch))[0]
        return logits, hooks.captured


def pattern_of(model: GPT, captured: dict[str, torch.Tensor], layer: int) -> torch.Tensor:
    """Attention [head, query, key] recomputed from the captured q and k (causal softmax)."""
    q = captured[f"blocks.{layer}.attn.hook_q"].transpose(0, 1)  # [head, pos, d_head]
    k = captured[f"blocks.{layer}.attn.hook_k"].transpose(0, 1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(model.cfg.d_head)
    n = scores.shape[-1]
    scores = scores.masked_fill(~torch.ones(n, n, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(scores, dim=-1)


# ---------------------------------------------------------------- what is written


def rounded(x, digits: int = DIGITS):
    return [round(float(v), digits) for v in x]


def logit_rows(logits: torch.Tensor, ids: list[int]) -> list[dict]:
    """Per row r (the prediction after token r): the next token's logit and log-probability,
    the row's log-sum-exp, and the top-k ids with their logits."""
    log_probs = torch.log_softmax(logits.double(), dim=-1)
    lse = torch.logsumexp(logits.double(), dim=-1)
    rows = []
    for r in range(logits.shape[0]):
        top = logits[r].topk(TOP_K)
        row = {"row": r}
        if r + 1 < len(ids):
            row.update(nextId=ids[r + 1], nextLogit=round(float(logits[r, ids[r + 1]]), DIGITS),
                       nextLogProb=round(float(log_probs[r, ids[r + 1]]), DIGITS))
        row.update(logSumExp=round(float(lse[r]), DIGITS), topIds=top.indices.tolist(),
                   topLogits=rounded(top.values))
        rows.append(row)
    return rows


def head_z(captured: dict[str, torch.Tensor], layer: int, position: int) -> list[list[float]]:
    return [rounded(v) for v in captured[f"blocks.{layer}.attn.hook_z"][position]]


def ablation_case(model: GPT, ids: list[int], clean: dict[str, torch.Tensor], mode: str) -> dict:
    L, h = ABLATED_LAYER, ABLATED_HEAD
    values = None
    if mode == "mean":
        # interventionFeeds.ts positionMean: the mean over all positions of the same text's
        # run without interventions, put at every position.
        values = clean[f"blocks.{L}.attn.hook_z"][:, h].double().mean(dim=0).float()
    logits, captured = run(model, ids, lambda hooks: hooks.replace_head_z(L, h, values))
    z = captured[f"blocks.{L}.attn.hook_z"]
    expected = torch.zeros_like(z[:, h]) if values is None else values.expand_as(z[:, h])
    if not torch.equal(z[:, h], expected):
        raise RuntimeError(f"{mode} ablation did not set the head's z")
    last = len(ids) - 1
    return {
        "name": f"{mode} ablation of L{L}H{h}",
        "text": "A",
        "intervention": {"hook": f"blocks.{L}.attn.hook_z", "mode": mode, "indices": [h]},
        "ablatedValue": None if values is None else rounded(values),
        "z": {
            "position": last,
            f"blocks.{L}.attn.hook_z": head_z(captured, L, last),
            f"blocks.{L + 1}.attn.hook_z": head_z(captured, L + 1, last),
        },
        "fullRow": {"row": last, "logits": rounded(logits[last])},
        "rows": logit_rows(logits, ids),
    }, logits


def patch_case(model: GPT, ids_a: list[int], ids_b: list[int], position: int) -> dict:
    L = PATCH_LAYER
    _, from_b = run(model, ids_b)
    source = from_b[f"blocks.{L}.hook_resid_pre"][position]
    logits, captured = run(model, ids_a, lambda hooks: hooks.replace_resid_pre(L, position, source))
    if not torch.equal(captured[f"blocks.{L}.hook_resid_pre"][position], source):
        raise RuntimeError("patching did not set the stream")
    return {
        "name": f"patch blocks.{L}.hook_resid_pre at position {position} from B into A",
        "text": "A",
        "source": "B",
        "intervention": {"hook": f"blocks.{L}.hook_resid_pre", "mode": "patch", "positions": [position]},
        "fullRow": {"row": position, "logits": rounded(logits[position])},
        "rows": logit_rows(logits, ids_a),
    }, logits


# ---------------------------------------------------------------- direct logit attribution


@torch.no_grad()
def attribution(model: GPT, ids: list[int], position: int) -> dict:
    """logit(target) - logit(foil) of the prediction of token `position` (made from the stream
    at q = position - 1), split into the engine's parts (engine/types.ts AttributionPart), in
    its order: the embedding; per layer each head (z_h through its rows of W_O), the rest of
    the attention (W_O's bias), the MLP (its output bias included); then the final norm's
    shift (this model's tied unembedding has no bias). With the final LayerNorm's scale
    sigma frozen, each part c contributes (c - mean(c)) . (gamma * (W_U[target] - W_U[foil])) / sigma.
    All in float64, from the float32 activations."""
    cfg = model.cfg
    logits, captured = run(model, ids)
    q = position - 1
    target = ids[position]
    top2 = logits[q].topk(2).indices.tolist()
    foil = top2[1] if top2[0] == target else top2[0]
    sorted_row = logits[q].sort(descending=True).values
    runner_up_gap = float(sorted_row[1] - sorted_row[2]) if top2[0] == target else float(sorted_row[0] - sorted_row[1])

    f64 = lambda t: t.detach().double()  # noqa: E731
    w_u = f64(model.wte.weight)  # tied unembedding: logits = ln_f(x) @ wte.T
    direction = w_u[target] - w_u[foil]  # [d_model]
    gamma, beta = f64(model.ln_f.weight), f64(model.ln_f.bias)
    x = f64(captured["final_stream"][q])
    sigma = math.sqrt(float(((x - x.mean()) ** 2).mean()) + model.ln_f.eps)

    def share(c: torch.Tensor) -> float:
        return float(((c - c.mean()) * gamma * direction).sum() / sigma)

    parts: list[dict] = []
    written = f64(captured["blocks.0.hook_resid_pre"][q])  # token + position embedding
    total = written.clone()
    parts.append({"kind": "embed", "label": "embedding", "value": share(written)})
    heads: list[dict] = []
    for L, block in enumerate(model.blocks):
        w_o = f64(block.attn.out.weight)  # [d_model, d_model]: out = z_flat @ w_o.T + b_o
        b_o = f64(block.attn.out.bias)
        z = f64(captured[f"blocks.{L}.attn.hook_z"][q])  # [head, d_head]
        v = f64(captured[f"blocks.{L}.attn.hook_v"])  # [pos, head, d_head]
        pattern = f64(pattern_of(model, captured, L))  # [head, query, key]
        head_sum = torch.zeros(cfg.d_model, dtype=torch.float64)
        for h in range(cfg.n_head):
            rows = w_o[:, h * cfg.d_head:(h + 1) * cfg.d_head]  # [d_model, d_head]
            out_h = rows @ z[h]
            head_sum += out_h
            value = share(out_h)
            parts.append({"kind": "head", "layer": L, "head": h, "label": f"L{L}H{h}", "value": value})
            # Its share through each token it read: A[q, k] * (v_k through the same rows).
            sources = [float(pattern[h, q, k]) * share(rows @ v[k, h]) for k in range(position)]
            if abs(sum(sources) - value) > 1e-6 * max(1.0, abs(value)):  # z is float32
                raise RuntimeError(f"L{L}H{h}: sources add up to {sum(sources)}, not {value}")
            heads.append({"layer": L, "head": h, "sources": rounded(sources)})
        parts.append({"kind": "attn", "layer": L, "label": f"L{L} attention (rest)", "value": share(b_o)})
        attn_out = f64(captured[f"blocks.{L}.hook_attn_out"][q])
        if float((attn_out - head_sum - b_o).abs().max()) > 1e-4:
            raise RuntimeError(f"layer {L}: the heads and the bias do not add up to the attention's output")
        mlp_out = f64(captured[f"blocks.{L}.hook_mlp_out"][q])
        parts.append({"kind": "mlp", "layer": L, "label": f"L{L} MLP", "value": share(mlp_out)})
        total += attn_out + mlp_out
    if float((total - x).abs().max()) > 1e-4 * max(1.0, float(x.abs().max())):
        raise RuntimeError("the parts do not add up to the final residual stream")
    parts.append({"kind": "final", "label": "final norm shift + unembedding bias", "value": float((beta * direction).sum())})

    measured = float(logits[q, target]) - float(logits[q, foil])
    parts_sum = sum(p["value"] for p in parts)
    if abs(parts_sum - measured) > 1e-4 * max(1.0, abs(measured)):
        raise RuntimeError(f"attribution at {position}: parts add up to {parts_sum}, the logits differ by {measured}")
    sources_total = [sum(hd["sources"][k] for hd in heads) for k in range(position)]
    for p in parts:
        p["value"] = round(p["value"], DIGITS)
    return {
        "text": "A",
        "position": position,
        "target": target,
        "foil": foil,
        "foilMargin": round(runner_up_gap, DIGITS),
        "measured": round(measured, DIGITS),
        "sum": round(parts_sum, DIGITS),
        "sigma": round(sigma, DIGITS),
        "parts": parts,
        "sources": rounded(sources_total),
        "headSources": heads,
    }


# ---------------------------------------------------------------- output


def dumps(value, indent: int = 0) -> str:
    """JSON with one key per line but lists of numbers (or strings) on one line."""
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + dumps(v, indent + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def main() -> None:
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    tokenizer = bpe.load(MODEL_DIR)
    model = load_from_onnx(ONNX_PATH)
    worst = check_against_goldens(model, tokenizer)
    print(f"weights read back from {ONNX_PATH.relative_to(MODEL_DIR.parent.parent.parent)}: "
          f"goldens.bin reproduced within {worst:.2g}")

    ids_a, ids_b = tokenize(tokenizer, TEXT_A), tokenize(tokenizer, TEXT_B)
    if len(ids_a) != len(ids_b):
        raise RuntimeError(f"A has {len(ids_a)} tokens and B {len(ids_b)}: patching needs as many")
    # The same weights through onnxruntime-web (Node), on a right-padded batch of A and part of B.
    difference = export_onnx.compare_with_onnxruntime_web(model, ONNX_PATH, [ids_a, ids_b[:10]])
    if not difference <= ONNXRUNTIME_TOLERANCE:
        raise RuntimeError(f"onnxruntime-web's logits differ from PyTorch's by {difference:.3g}")
    print(f"onnxruntime-web agrees on the logits within {difference:.2g}")
    differ = [p for p in range(len(ids_a)) if ids_a[p] != ids_b[p]]
    patch_position = differ[0]

    clean_logits, clean = run(model, ids_a)
    # The hooks' own captures against model.py's cache (goldens.py's activations).
    reference = goldens.activations(model, ids_a)
    for name in ("blocks.1.attn.hook_z", "blocks.2.hook_resid_pre", "blocks.3.attn.hook_v"):
        if not torch.equal(clean[name], reference[name]):
            raise RuntimeError(f"the hooks capture {name} differently from model.py's cache")
    for L in range(model.cfg.n_layer):
        if not torch.allclose(pattern_of(model, clean, L), reference[f"blocks.{L}.attn.hook_pattern"], atol=1e-6):
            raise RuntimeError(f"the recomputed pattern of layer {L} differs from model.py's")

    cases = []
    for mode in ("zero", "mean"):
        case, logits = ablation_case(model, ids_a, clean, mode)
        cases.append(case)
        print(f"{case['name']}: logits move by up to {float((logits - clean_logits).abs().max()):.3f}")
    case, logits = patch_case(model, ids_a, ids_b, patch_position)
    cases.append(case)
    print(f"{case['name']}: logits move by up to {float((logits - clean_logits).abs().max()):.3f}")

    attributions = [attribution(model, ids_a, p) for p in ATTRIBUTION_POSITIONS]
    for a in attributions:
        print(f"attribution at {a['position']}: {a['measured']:.4f} = sum of {len(a['parts'])} parts "
              f"(foil margin {a['foilMargin']:.3f})")
        if a["foilMargin"] < 1e-2:
            raise RuntimeError(f"the foil at {a['position']} is a near-tie, so the engine may pick another")

    out = {
        "model": "lens-tiny",
        "generator": "scripts/train-default-model/intervention_goldens.py",
        "readme": "scripts/train-default-model/README.md, section \"Intervention and attribution goldens\"",
        "texts": {
            "A": {"text": TEXT_A, "ids": ids_a},
            "B": {"text": TEXT_B, "ids": ids_b, "differsAt": differ},
        },
        "clean": {"text": "A", "rows": logit_rows(clean_logits, ids_a)},
        "cases": cases,
        "attributions": attributions,
    }
    OUTPUT.write_text(dumps(out) + "\n", "utf-8")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print(f"intervention_goldens: {e}", file=sys.stderr)
        sys.exit(1)
