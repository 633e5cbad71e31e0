"""A torch ``nn.Module`` with the same blocks as a model (float64; optional extra
``exactformer[torch]``). Numerical only: the weights are rounded images of the exact ones.

Each block is an :class:`EncoderBlock` with ``nn.Linear`` query/key/value/output maps
(no bias), a fixed boolean mask buffer when the block has one, a score activation
(identity | relu | softmax, row-wise over the allowed keys) and an optional FFN of two
``nn.Linear`` layers with relu or square activation, each with a residual connection.
"""
from __future__ import annotations

from ..errors import ExactformerError, ModelFormatError

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - exercised only without the extra
    torch = None
    nn = None

TORCH_FORMAT = "exactformer-torch/1"


def require_torch():
    if torch is None:
        raise ExactformerError("torch is not installed: pip install 'exactformer[torch]'")
    return torch


if torch is not None:

    class EncoderBlock(nn.Module):
        """H <- H + phi_M(Q K^T) V Wo ; H <- H + sigma(H W1 + b1) W2 + b2."""

        def __init__(self, width: int, head: int, value: int, activation: str,
                     tokens: int, has_mask: bool, ffn: str | None, hidden: int = 0):
            super().__init__()
            kw = {"bias": False, "dtype": torch.float64}
            self.q = nn.Linear(width, head, **kw)
            self.k = nn.Linear(width, head, **kw)
            self.v = nn.Linear(width, value, **kw)
            self.o = nn.Linear(value, width, **kw)
            self.activation = activation
            self.ffn_activation = ffn
            if has_mask:
                self.register_buffer("mask", torch.zeros(tokens, tokens, dtype=torch.bool))
            else:
                self.mask = None
            if ffn is not None:
                self.ffn1 = nn.Linear(width, hidden, dtype=torch.float64)
                self.ffn2 = nn.Linear(hidden, width, dtype=torch.float64)

        def forward(self, H):
            S = self.q(H) @ self.k(H).transpose(-1, -2)
            allowed = (torch.ones_like(S, dtype=torch.bool) if self.mask is None
                       else self.mask.expand_as(S))
            if self.activation == "softmax":
                masked = S.masked_fill(~allowed, float("-inf"))
                W = torch.softmax(masked, dim=-1)
                W = torch.nan_to_num(W, nan=0.0)  # a row with no allowed key outputs 0
            elif self.activation == "relu":
                W = torch.relu(S) * allowed
            else:
                W = S * allowed
            H = H + self.o(W @ self.v(H))
            if self.ffn_activation is not None:
                Z = self.ffn1(H)
                Z = Z * Z if self.ffn_activation == "square" else torch.relu(Z)
                H = H + self.ffn2(Z)
            return H

    class ExactformerTorch(nn.Module):
        """Embedding H0 = B + sum_i x_i A_i, the blocks, and the linear readout."""

        def __init__(self, config: dict, shapes: dict):
            super().__init__()
            N, D, d = config["tokens"], config["width"], len(config["variables"])
            self.config = config
            self.register_buffer("base", torch.zeros(N, D, dtype=torch.float64))
            self.register_buffer("coefficients", torch.zeros(d, N, D, dtype=torch.float64))
            self.blocks = nn.ModuleList(
                EncoderBlock(D, shapes[k]["head"], shapes[k]["value"], item["activation"], N,
                             item["mask"], item["ffn"], shapes[k].get("hidden", 0))
                for k, item in enumerate(config["blocks"]))
            self.register_buffer("readout", torch.zeros(N, D, dtype=torch.float64))
            self.register_buffer("readout_bias", torch.zeros((), dtype=torch.float64))

        def forward(self, x):
            """x: (batch, d) -> y: (batch,)."""
            H = self.base + torch.einsum("bi,ind->bnd", x.to(torch.float64), self.coefficients)
            for block in self.blocks:
                H = block(H)
            return (H * self.readout).sum(dim=(-1, -2)) + self.readout_bias


def _shapes(config: dict, arrays: dict) -> list[dict]:
    out = []
    for k, item in enumerate(config["blocks"]):
        p = f"blocks.{k}."
        s = {"head": int(arrays[p + "wq"].shape[1]), "value": int(arrays[p + "wv"].shape[1])}
        if item["ffn"] is not None:
            s["hidden"] = int(arrays[p + "ffn.w1"].shape[1])
        out.append(s)
    return out


def torch_module(config: dict, arrays: dict):
    """The nn.Module for a float export (config, arrays of float_model)."""
    require_torch()
    shapes = _shapes(config, arrays)
    module = ExactformerTorch(config, shapes)
    t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    with torch.no_grad():
        module.base.copy_(t(arrays["embedding.base"]))
        module.coefficients.copy_(t(arrays["embedding.coefficients"]))
        for k, block in enumerate(module.blocks):
            p = f"blocks.{k}."
            block.q.weight.copy_(t(arrays[p + "wq"]).T)
            block.k.weight.copy_(t(arrays[p + "wk"]).T)
            block.v.weight.copy_(t(arrays[p + "wv"]).T)
            block.o.weight.copy_(t(arrays[p + "wo"]).T)
            if block.mask is not None:
                block.mask.copy_(torch.as_tensor(arrays[p + "mask"]))
            if block.ffn_activation is not None:
                block.ffn1.weight.copy_(t(arrays[p + "ffn.w1"]).T)
                block.ffn1.bias.copy_(t(arrays[p + "ffn.b1"]))
                block.ffn2.weight.copy_(t(arrays[p + "ffn.w2"]).T)
                block.ffn2.bias.copy_(t(arrays[p + "ffn.b2"]))
        module.readout.copy_(t(arrays["readout.weight"]))
        module.readout_bias.copy_(t(arrays["readout.bias"]))
    return module


def module_arrays(module) -> dict:
    """The module's current weights as float_model arrays (inverse of torch_module)."""
    out = {"embedding.base": module.base.detach().numpy(),
           "embedding.coefficients": module.coefficients.detach().numpy(),
           "readout.weight": module.readout.detach().numpy(),
           "readout.bias": module.readout_bias.detach().numpy()}
    for k, block in enumerate(module.blocks):
        p = f"blocks.{k}."
        for name, lin in (("wq", block.q), ("wk", block.k), ("wv", block.v), ("wo", block.o)):
            out[p + name] = lin.weight.detach().numpy().T
        if block.mask is not None:
            out[p + "mask"] = block.mask.detach().numpy()
        if block.ffn_activation is not None:
            out[p + "ffn.w1"] = block.ffn1.weight.detach().numpy().T
            out[p + "ffn.b1"] = block.ffn1.bias.detach().numpy()
            out[p + "ffn.w2"] = block.ffn2.weight.detach().numpy().T
            out[p + "ffn.b2"] = block.ffn2.bias.detach().numpy()
    return out


def save_torch(config: dict, arrays: dict, path) -> None:
    """torch.save({format, config, shapes, state_dict}): loadable with weights_only=True."""
    module = torch_module(config, arrays)
    torch.save({"format": TORCH_FORMAT, "config": config, "shapes": _shapes(config, arrays),
                "state_dict": module.state_dict()}, path)


def load_torch(source):
    """The nn.Module saved by :func:`save_torch` (path or file object; no code is
    unpickled: weights_only=True)."""
    require_torch()
    try:
        data = torch.load(source, weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise ModelFormatError(f"not a readable torch export: {type(exc).__name__}") from None
    if not isinstance(data, dict) or data.get("format") != TORCH_FORMAT:
        raise ModelFormatError(f"not an {TORCH_FORMAT} file")
    try:
        module = ExactformerTorch(data["config"], data["shapes"])
        module.load_state_dict(data["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFormatError(f"torch export does not match its config: {exc}") from None
    return module
