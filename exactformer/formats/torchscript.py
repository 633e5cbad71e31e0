"""A torch ``nn.Module`` with the same blocks as a model (float64; optional extra
``exactformer[torch]``). Numerical only: the weights are rounded images of the exact ones.

``export-model --torch`` writes a TorchScript archive (:func:`save_torchscript`): the
traced module, which ``torch.jit.load`` runs without exactformer installed, with the
float-file config stored beside it as an extra file. :func:`read_torch` reads both
that archive and the older ``torch.save`` dictionary (:func:`save_torch`).

The module is built from the one float-file description (:class:`~.schema.FloatModel`),
so it has a mask buffer exactly when the file's block has a mask, and a torch file is
read back through the same schema as an .npz (:func:`read_torch`).

Each block is an :class:`EncoderBlock` with ``nn.Linear`` query/key/value/output maps
(no bias), a fixed boolean mask buffer when the block has one, a score activation
(identity | relu | softmax, row-wise over the allowed keys) and an optional FFN of two
``nn.Linear`` layers with relu or square activation, each with a residual connection.
"""
from __future__ import annotations

import io
import json
import os
import re
import warnings
from types import ModuleType
from typing import IO, Any, Mapping, TypeAlias, cast

import numpy as np

from ..errors import ExactformerError, ModelFormatError
from .zip_archive import open_zip
from ..floats.schema import FloatConfig, FloatModel, parse_float_file

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - exercised only without the extra
    torch = None  # type: ignore[assignment]  # the extra is absent: require_torch says so
    nn = None  # type: ignore[assignment]

#: A float file given as its validated description or as a config (with its arrays).
FloatSource: TypeAlias = "FloatModel | FloatConfig | dict[str, Any]"
#: Where torch writes: a path or a binary file object.
FileLike: TypeAlias = "str | os.PathLike[str] | IO[bytes]"

TORCH_FORMAT = "exactformer-torch/1"
TORCH_KEYS = ("config", "format", "shapes", "state_dict")


def require_torch() -> ModuleType:
    if torch is None:
        raise ExactformerError("torch is not installed: pip install 'exactformer[torch]'")
    return torch


def _shapes(fm: FloatModel) -> list[dict[str, int]]:
    out: list[dict[str, int]] = []
    for b in fm.blocks:
        s: dict[str, int] = {"head": int(b.wq.shape[1]), "value": int(b.wv.shape[1])}
        if b.ffn is not None:
            s["hidden"] = int(b.ffn.w1.shape[1])
        out.append(s)
    return out


if torch is not None:

    class EncoderBlock(nn.Module):
        """H <- H + phi_M(Q K^T) V Wo ; H <- H + sigma(H W1 + b1) W2 + b2."""

        def __init__(self, width: int, head: int, value: int, activation: str,
                     tokens: int, has_mask: bool, ffn: str | None, hidden: int = 0) -> None:
            super().__init__()
            kw: dict[str, Any] = {"bias": False, "dtype": torch.float64}
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

        def forward(self, H: torch.Tensor) -> torch.Tensor:
            S = self.q(H) @ self.k(H).transpose(-1, -2)
            allowed = (torch.ones_like(S, dtype=torch.bool) if self.mask is None
                       else self.mask.expand_as(S))
            if self.activation == "softmax":
                masked = S.masked_fill(~allowed, float("-inf"))
                W = torch.softmax(masked, dim=-1)
                # a row with no allowed key outputs 0 (softmax of all -inf is NaN there)
                W = W.masked_fill(~allowed.any(dim=-1, keepdim=True), 0.0)
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
        """Embedding H0 = B + sum_i x_i A_i, the blocks, and the linear readout, with
        the structure of one float-file description."""

        def __init__(self, fm: FloatModel) -> None:
            super().__init__()
            N, D, d = fm.tokens, fm.width, len(fm.variables)
            self.config = fm.config()
            self.register_buffer("base", torch.zeros(N, D, dtype=torch.float64))
            self.register_buffer("coefficients", torch.zeros(d, N, D, dtype=torch.float64))
            self.blocks = nn.ModuleList(
                EncoderBlock(D, s["head"], s["value"], b.activation, N, b.mask is not None,
                             None if b.ffn is None else b.ffn.activation, s.get("hidden", 0))
                for b, s in zip(fm.blocks, _shapes(fm)))
            self.register_buffer("readout", torch.zeros(N, D, dtype=torch.float64))
            self.register_buffer("readout_bias", torch.zeros((), dtype=torch.float64))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            """x: (batch, d) -> y: (batch,)."""
            # (cast: nn.Module's attribute lookup types buffers as Tensor | Module)
            H = cast(torch.Tensor, self.base) + torch.einsum(
                "bi,ind->bnd", x.to(cast(torch.Tensor, self.base).dtype), self.coefficients)
            for block in self.blocks:
                H = block(H)
            y: torch.Tensor = ((H * cast(torch.Tensor, self.readout)).sum(dim=(-1, -2))
                               + cast(torch.Tensor, self.readout_bias))
            return y


def torch_module(config: FloatSource,
                 arrays: Mapping[str, np.ndarray] | None = None) -> ExactformerTorch:
    """The nn.Module for a float file: a FloatModel, or (config, arrays) parsed first."""
    require_torch()
    fm = config if isinstance(config, FloatModel) else parse_float_file(config, arrays)
    module = ExactformerTorch(fm)
    with torch.no_grad():
        module.load_state_dict(state_dict_from_arrays(fm.arrays()), strict=True)
    return module


#: torch state_dict key -> (float-file entry, transposed?)
_STATIC = {"base": ("embedding.base", False), "coefficients": ("embedding.coefficients", False),
           "readout": ("readout.weight", False), "readout_bias": ("readout.bias", False)}
_BLOCK = {"q.weight": ("wq", True), "k.weight": ("wk", True), "v.weight": ("wv", True),
          "o.weight": ("wo", True), "mask": ("mask", False),
          "ffn1.weight": ("ffn.w1", True), "ffn1.bias": ("ffn.b1", False),
          "ffn2.weight": ("ffn.w2", True), "ffn2.bias": ("ffn.b2", False)}
_BLOCK_KEY = re.compile(r"blocks\.(\d{1,7})\.(.+)\Z", re.ASCII)


def _entry(key: str) -> tuple[str, bool]:
    if key in _STATIC:
        return _STATIC[key]
    m = _BLOCK_KEY.match(key) if isinstance(key, str) else None
    if m and m.group(2) in _BLOCK:
        name, transposed = _BLOCK[m.group(2)]
        return f"blocks.{int(m.group(1))}.{name}", transposed
    raise ModelFormatError(f"torch state_dict entry {str(key)[:60]!r} is not an entry of a "
                           "float file")


def state_dict_from_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Float-file arrays -> the module's state_dict (weights transposed as nn.Linear
    stores them); the inverse of :func:`arrays_from_state_dict`."""
    static = {name: key for key, (name, _) in _STATIC.items()}
    block = {name: (key, t) for key, (name, t) in _BLOCK.items()}
    out: dict[str, torch.Tensor] = {}
    for name, a in arrays.items():
        m = re.match(r"(blocks\.\d+\.)(.+)\Z", name)
        key, transposed = ((m.group(1) + block[m.group(2)][0], block[m.group(2)][1]) if m
                           else (static[name], False))
        out[key] = torch.as_tensor(np.array(a.T if transposed else a))
    return out


def arrays_from_state_dict(state: object) -> dict[str, np.ndarray]:
    """A state_dict -> float-file arrays, unvalidated (parse them with the schema)."""
    if not isinstance(state, dict):
        raise ModelFormatError("torch export: state_dict is not a mapping")
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        name, transposed = _entry(key)
        if not isinstance(value, torch.Tensor):
            raise ModelFormatError(f"float file entry {name}: is a {type(value).__name__}, "
                                   "not a tensor")
        try:
            a = value.detach().cpu().numpy()
        except (TypeError, RuntimeError, ValueError, NotImplementedError) as exc:
            raise ModelFormatError(f"float file entry {name}: a tensor numpy cannot hold "
                                   f"({value.dtype}, {type(exc).__name__})") from None
        if transposed and a.ndim == 2:
            a = a.T
        out[name] = a
    return out


def module_arrays(module: nn.Module) -> dict[str, np.ndarray]:
    """The module's current weights as float-file arrays (inverse of torch_module)."""
    return arrays_from_state_dict(module.state_dict())


def module_float_model(module: nn.Module) -> FloatModel:
    """The float-file description of a module's current weights (validated)."""
    return parse_float_file(module.config, module_arrays(module))


def save_torch(config: FloatSource, arrays: Mapping[str, np.ndarray] | None,
               path: FileLike) -> None:
    """torch.save({format, config, shapes, state_dict}): loadable with weights_only=True."""
    require_torch()
    fm = config if isinstance(config, FloatModel) else parse_float_file(config, arrays)
    module = torch_module(fm)
    torch.save({"format": TORCH_FORMAT, "config": fm.config(), "shapes": _shapes(fm),
                "state_dict": module.state_dict()}, path)


#: the extra file of a TorchScript export that holds its float-file config
TORCHSCRIPT_CONFIG = "exactformer-float.json"


def _traced(fm: FloatModel) -> torch.jit.ScriptModule:
    """The TorchScript trace of the module of ``fm`` (deterministic: same description,
    same code)."""
    example = torch.zeros(2, len(fm.variables), dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced: torch.jit.ScriptModule = torch.jit.trace(  # type: ignore[no-untyped-call]
            torch_module(fm).train(False), example, check_trace=False)  # (torch: untyped)
        return traced


def _codes(module: nn.Module) -> dict[str, str | None]:
    """The TorchScript source of every submodule, by name."""
    out: dict[str, str | None] = {}
    for name, sub in module.named_modules():
        try:
            out[name] = str(sub.code)
        except (AttributeError, RuntimeError):  # a container without its own forward
            out[name] = None
    return out


def save_torchscript(config: FloatSource, arrays: Mapping[str, np.ndarray] | None,
                     path: FileLike) -> None:
    """torch.jit.save of the traced module (x: (batch, d) float64 -> y: (batch,)), with
    {format, config, shapes} as the extra file :data:`TORCHSCRIPT_CONFIG`. Loading it
    needs torch only: ``torch.jit.load(path)(x)``."""
    require_torch()
    fm = config if isinstance(config, FloatModel) else parse_float_file(config, arrays)
    traced = _traced(fm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extra = json.dumps({"format": TORCH_FORMAT, "config": fm.config(),
                            "shapes": _shapes(fm)}, sort_keys=True)
        torch.jit.save(traced, path, _extra_files={TORCHSCRIPT_CONFIG: extra})


def _read_torchscript(data: bytes) -> FloatModel:
    """The float-file description of a TorchScript export: its tensors read from the
    loaded module's state_dict, its structure from the config stored beside them.

    The archive's TorchScript code must be exactly the code exactformer's trace of that
    description has, submodule by submodule; otherwise the tensors would be checked
    under a computation other than the one ``torch.jit.load`` runs, and the file is
    refused. (torch.jit.load compiles the archive's TorchScript but no Python code is
    unpickled or run, and the loaded module's forward is never called here.)"""
    extra = {TORCHSCRIPT_CONFIG: ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = torch.jit.load(  # type: ignore[no-untyped-call]  # (torch: untyped)
                io.BytesIO(data), map_location="cpu", _extra_files=extra)
        obj = json.loads(extra[TORCHSCRIPT_CONFIG])
        state = dict(module.state_dict())
    except Exception as exc:  # torch raises many types for a bad archive
        raise ModelFormatError(f"not a readable TorchScript export: {type(exc).__name__}") \
            from None
    if not isinstance(obj, dict) or obj.get("format") != TORCH_FORMAT \
            or set(obj) != {"format", "config", "shapes"}:
        raise ModelFormatError(f"TorchScript export: {TORCHSCRIPT_CONFIG} is not an "
                               f"{TORCH_FORMAT} description")
    fm = parse_float_file(obj["config"], arrays_from_state_dict(state))
    if not _plain(obj["shapes"]) or obj["shapes"] != _shapes(fm):
        raise ModelFormatError("TorchScript export: its 'shapes' do not match its tensors")
    if _codes(module) != _codes(_traced(fm)):
        raise ModelFormatError("TorchScript export: its code is not exactformer's forward "
                               "pass for its config; refused (the verdict would not be about "
                               "what torch.jit.load runs)")
    return fm


def read_torch(data: bytes) -> FloatModel:
    """The validated float-file description of a torch export's bytes (zip sizes checked
    first): a TorchScript archive (:func:`save_torchscript`) or a ``torch.save``
    dictionary, the latter read with weights_only=True (no code is unpickled)."""
    require_torch()
    names = open_zip(data, "the torch file").namelist()
    if any(n.endswith("/extra/" + TORCHSCRIPT_CONFIG) for n in names):
        return _read_torchscript(data)
    try:
        obj = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as exc:  # torch raises many types for a bad file
        raise ModelFormatError(f"not a readable torch export: {type(exc).__name__}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("format"), str) \
            or obj["format"] != TORCH_FORMAT:
        raise ModelFormatError(f"not an {TORCH_FORMAT} file")
    if set(obj) != set(TORCH_KEYS):
        raise ModelFormatError(f"torch export: the saved object must have exactly the keys "
                               f"{', '.join(TORCH_KEYS)}")
    fm = parse_float_file(obj["config"], arrays_from_state_dict(obj["state_dict"]))
    if not _plain(obj["shapes"]) or obj["shapes"] != _shapes(fm):
        raise ModelFormatError("torch export: its 'shapes' do not match its arrays")
    return fm


def _plain(shapes: object) -> bool:
    """A list of {str: int} objects (so comparing it cannot call into tensors)."""
    return isinstance(shapes, list) and all(
        isinstance(s, dict) and all(isinstance(k, str) and type(v) is int
                                    for k, v in s.items()) for s in shapes)


def load_torch(source: bytes | bytearray | IO[bytes] | str | os.PathLike[str]
               ) -> ExactformerTorch:
    """The nn.Module saved by :func:`save_torch` (path, file object or bytes)."""
    require_torch()
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read()
    else:
        with open(source, "rb") as f:
            data = f.read()
    return torch_module(read_torch(data))
