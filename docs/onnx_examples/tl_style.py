"""A TransformerLens-style block (embedding, LayerNorm, one causal attention head, GELU
MLP, unembedding) exported to ONNX with torch.onnx.export, plus the variants used in
docs/onnx.md. Run: python docs/onnx_examples/tl_style.py OUTDIR"""
import sys

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, d_model=4, n_ctx=3):
        super().__init__()
        self.embed = nn.Linear(2, n_ctx * d_model)
        self.ln1 = nn.LayerNorm(d_model)
        self.q, self.k, self.v = (nn.Linear(d_model, d_model) for _ in range(3))
        self.o = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 8), nn.GELU(), nn.Linear(8, d_model))
        self.unembed = nn.Linear(n_ctx * d_model, 1)
        self.register_buffer("causal", torch.tril(torch.ones(n_ctx, n_ctx, dtype=torch.bool)))
        self.n_ctx, self.d_model = n_ctx, d_model

    def forward(self, x):
        h = self.embed(x).reshape(-1, self.n_ctx, self.d_model)
        a = self.ln1(h)
        s = self.q(a) @ self.k(a).transpose(-1, -2) / self.d_model ** 0.5
        s = s.masked_fill(~self.causal, float("-inf"))
        h = h + self.o(torch.softmax(s, -1) @ self.v(a))
        h = h + self.mlp(self.ln2(h))
        return self.unembed(h.reshape(-1, self.n_ctx * self.d_model)).squeeze(-1)


def export(model, path, opset=17):
    torch.onnx.export(model, (torch.zeros(1, 2),), path, dynamo=False, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                      opset_version=opset)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    torch.manual_seed(0)
    model = Block().eval()
    export(model, f"{out}/tl_block.onnx")                      # LayerNormalization first
    model.ln1, model.ln2 = nn.Identity(), nn.Identity()
    export(model, f"{out}/tl_no_layernorm.onnx")               # then the causal Softmax
    model.causal.copy_(torch.eye(3, dtype=torch.bool))         # one key per row
    export(model, f"{out}/tl_one_key.onnx")                    # then GELU, as Erf (opset 17)
    export(model, f"{out}/tl_one_key_opset20.onnx", opset=20)  # or as Gelu (opset 20)
