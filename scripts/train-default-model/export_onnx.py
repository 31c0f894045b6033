"""ONNX export and its checks: the ONNX checker, then onnxruntime-web (the runtime the
extension uses) against PyTorch on a right-padded batch of two sequences."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from model import GPT
from paths import SCRIPT_DIR

OPSET = 17  # the first opset with LayerNormalization as a single node


class LogitsOnly(torch.nn.Module):
    """The exported signature: (input_ids, attention_mask) -> logits, nothing cached."""

    def __init__(self, model: GPT):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids, attention_mask)


def export(model: GPT, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(1, 8, dtype=torch.int64)
    torch.onnx.export(
        LogitsOnly(model).eval(), (example, torch.ones_like(example)), str(path),
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                      "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch", 1: "sequence"}},
        opset_version=OPSET, do_constant_folding=True)
    share_unembedding(path)
    onnx.checker.check_model(onnx.load(str(path)))


def share_unembedding(path: Path) -> None:
    """Constant folding stores the tied unembedding wte.T as a second copy of the
    embedding matrix (4 MB). Replace that copy by a Transpose of the embedding."""
    model = onnx.load(str(path))
    graph = model.graph
    wte = next(init for init in graph.initializer if init.name.endswith("wte.weight"))
    wte_values = numpy_helper.to_array(wte)
    for init in list(graph.initializer):
        if list(init.dims) == list(reversed(wte.dims)) and np.array_equal(numpy_helper.to_array(init), wte_values.T):
            graph.initializer.remove(init)
            graph.node.insert(0, helper.make_node("Transpose", [wte.name], [init.name], perm=[1, 0],
                                                  name="unembed_weight"))
    onnx.save(model, str(path))


def op_counts(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in onnx.load(str(path)).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


@torch.no_grad()
def compare_with_onnxruntime_web(model: GPT, path: Path, rows: list[list[int]]) -> float:
    """Run the same right-padded batch through PyTorch and through onnxruntime-web in
    Node; returns the largest absolute difference between the two logits tensors."""
    width = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        mask[i, :len(r)] = 1
    expected = model(ids, mask)
    with tempfile.TemporaryDirectory() as tmp:
        request = Path(tmp) / "request.json"
        request.write_text(json.dumps({
            "model": str(path), "shape": list(ids.shape),
            "input_ids": ids.flatten().tolist(), "attention_mask": mask.flatten().tolist()}))
        output = Path(tmp) / "logits.f32"
        subprocess.run(["node", str(SCRIPT_DIR / "run-onnx.cjs"), str(request), str(output)], check=True)
        actual = torch.frombuffer(bytearray(output.read_bytes()), dtype=torch.float32).view(expected.shape)
    return float((actual - expected).abs().max())
