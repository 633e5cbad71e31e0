"""What a float file means: the ONE definition shared by the reader, the float forward
pass and the exporters (numpy .npz and torch .pt).

A float file is a config (JSON object) and named arrays. :func:`parse_float_file` turns
the pair into a :class:`FloatModel`, a frozen, fully validated description: which arrays
exist, their shapes, each block's score activation, whether it has a mask, its FFN. The
numpy forward pass, the torch module and the exact reconstruction all consume that
description and nothing else, so they cannot read one file in two ways. Every
inconsistency is refused with a :class:`ModelFormatError` naming the entry (a mask array
beside ``"mask": false``, a missing or extra array, a wrong shape or dtype, a NaN); no
entry is ever silently ignored.

Entries (N tokens, width D, d inputs; h, h_v, H per block, read from the arrays)::

    embedding.base (N, D)            embedding.coefficients (d, N, D)
    blocks.k.wq (D, h)  blocks.k.wk (D, h)  blocks.k.wv (D, h_v)  blocks.k.wo (h_v, D)
    blocks.k.mask (N, N) bool        -- present iff config blocks[k]["mask"] is true
    blocks.k.ffn.w1 (D, H)  .b1 (H,)  .w2 (H, D)  .b2 (D,)  -- iff blocks[k]["ffn"]
    readout.weight (N, D)            readout.bias ()

Weights are float16/32/64 (read as the float64 they equal exactly) and finite; masks are
boolean.

>>> import numpy as np
>>> config = {"format": FLOAT_FORMAT, "dtype": "float64", "variables": ["x"], "tokens": 1,
...           "width": 1, "blocks": [], "meta": {}}
>>> arrays = {"embedding.base": np.zeros((1, 1)), "embedding.coefficients": np.ones((1, 1, 1)),
...           "readout.weight": np.ones((1, 1)), "readout.bias": np.array(0.5)}
>>> parse_float_file(config, arrays).variables
('x',)
>>> parse_float_file(config, {**arrays, "blocks.0.mask": np.ones((1, 1), bool)})
Traceback (most recent call last):
...
exactformer.errors.ModelFormatError: float file entry blocks.0.mask: not an entry of this file (the config has 0 blocks)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypedDict

import numpy as np

from ..errors import ExactformerError, ModelFormatError
from ..model import Embedding, ExactMatrix
from ..model.ir import FFN_ACTIVATIONS, SCORE_ACTIVATIONS

FLOAT_FORMAT = "exactformer-float/1"
CONFIG_KEYS = ("blocks", "dtype", "format", "meta", "tokens", "variables", "width")
BLOCK_KEYS = ("activation", "ffn", "mask")
WEIGHT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
MAX_DIMENSION = 10**7  # tokens, width: far above any model a dense export can hold


#: A shape pattern: known sizes (ints) and letters bound by the first array having them.
ShapePattern: TypeAlias = "tuple[int | str, ...]"


class BlockConfig(TypedDict):
    """One entry of a float file's ``config["blocks"]``."""

    activation: str
    mask: bool
    ffn: str | None


class FloatConfig(TypedDict):
    """A float file's config (the JSON object beside its arrays)."""

    format: str
    dtype: str
    variables: list[str]
    tokens: int
    width: int
    blocks: list[BlockConfig]
    meta: dict[str, str]


def _bad(entry: str, message: str) -> ModelFormatError:
    return ModelFormatError(f"float file entry {entry}: {message}")


@dataclass(frozen=True)
class FloatFFN:
    """H <- H + sigma(H W1 + b1) W2 + b2, sigma in {relu, square}."""

    activation: str
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray


@dataclass(frozen=True)
class FloatBlock:
    """One block: H <- H + phi_M((H Wq)(H Wk)^T)(H Wv) Wo, then the optional FFN.
    ``mask`` is None exactly when the block has no mask (every key allowed)."""

    activation: str
    wq: np.ndarray
    wk: np.ndarray
    wv: np.ndarray
    wo: np.ndarray
    mask: np.ndarray | None
    ffn: FloatFFN | None


@dataclass(frozen=True)
class FloatModel:
    """A validated float file. Arrays are read-only float64 (masks bool)."""

    variables: tuple[str, ...]
    base: np.ndarray
    coefficients: np.ndarray
    blocks: tuple[FloatBlock, ...]
    readout: np.ndarray
    bias: float
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return int(self.base.shape[0])

    @property
    def width(self) -> int:
        return int(self.base.shape[1])

    def config(self) -> FloatConfig:
        """The JSON config that describes this file (what an exporter writes)."""
        return {"format": FLOAT_FORMAT, "dtype": "float64", "variables": list(self.variables),
                "tokens": self.tokens, "width": self.width,
                "blocks": [{"activation": b.activation, "mask": b.mask is not None,
                            "ffn": None if b.ffn is None else b.ffn.activation}
                           for b in self.blocks],
                "meta": dict(self.meta)}

    def arrays(self) -> dict[str, np.ndarray]:
        """The named arrays of this file, exactly the entries :func:`entry_names` lists."""
        out = {"embedding.base": self.base, "embedding.coefficients": self.coefficients,
               "readout.weight": self.readout, "readout.bias": np.array(self.bias)}
        for k, b in enumerate(self.blocks):
            p = f"blocks.{k}."
            out.update({p + "wq": b.wq, p + "wk": b.wk, p + "wv": b.wv, p + "wo": b.wo})
            if b.mask is not None:
                out[p + "mask"] = b.mask
            if b.ffn is not None:
                out.update({p + "ffn.w1": b.ffn.w1, p + "ffn.b1": b.ffn.b1,
                            p + "ffn.w2": b.ffn.w2, p + "ffn.b2": b.ffn.b2})
        return out


def block_entry_shapes(k: int, has_mask: bool, ffn: str | None) -> dict[str, ShapePattern]:
    """Entry name -> shape pattern of block k (ints are known sizes, letters are bound by
    the first array that has them: N, D global; h, v, H per block)."""
    p = f"blocks.{k}."
    out: dict[str, ShapePattern] = {p + "wq": ("D", "h"), p + "wk": ("D", "h"),
                                    p + "wv": ("D", "v"), p + "wo": ("v", "D")}
    if has_mask:
        out[p + "mask"] = ("N", "N")
    if ffn is not None:
        out.update({p + "ffn.w1": ("D", "H"), p + "ffn.b1": ("H",), p + "ffn.w2": ("H", "D"),
                    p + "ffn.b2": ("D",)})
    return out


def entry_names(config_blocks: list[BlockConfig], d: int) -> dict[str, ShapePattern]:
    """Every entry a file with these (already validated) blocks has, with its shape
    pattern, in file order. This is the only place that says which arrays exist."""
    out: dict[str, ShapePattern] = {"embedding.base": ("N", "D"),
                                    "embedding.coefficients": (d, "N", "D")}
    for k, item in enumerate(config_blocks):
        out.update(block_entry_shapes(k, item["mask"], item["ffn"]))
    out.update({"readout.weight": ("N", "D"), "readout.bias": ()})
    return out


def _int(config: dict[str, Any], key: str) -> int:
    value = config[key]
    if type(value) is not int or not 1 <= value <= MAX_DIMENSION:
        raise _bad(f"config.{key}", f"must be an integer in 1..{MAX_DIMENSION}, "
                                    f"got {_show(value)}")
    return value


def _show(value: object) -> str:
    if isinstance(value, int) and value.bit_length() > 256:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = repr(value)
    except Exception:  # a value whose repr fails is described by its type
        text = f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def _config(config: object) -> tuple[tuple[str, ...], int, int, list[BlockConfig],
                                   dict[str, str]]:
    if not isinstance(config, dict):
        raise _bad("config", f"must be a JSON object, got {type(config).__name__}")
    keys = set(config)
    if keys != set(CONFIG_KEYS):
        missing = sorted(set(CONFIG_KEYS) - keys)
        extra = sorted((_show(k) for k in keys - set(CONFIG_KEYS)))
        what = (f"missing key {missing[0]!r}" if missing else f"unknown key {extra[0]}")
        raise _bad("config", f"{what} (a float file's config has exactly "
                             f"{', '.join(CONFIG_KEYS)})")
    if not isinstance(config["format"], str) or config["format"] != FLOAT_FORMAT:
        raise _bad("config.format", f"is {_show(config['format'])}, expected {FLOAT_FORMAT!r}")
    if not isinstance(config["dtype"], str) or config["dtype"] != "float64":
        raise _bad("config.dtype", f"is {_show(config['dtype'])}, expected 'float64'")
    variables = config["variables"]
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise _bad("config.variables", "must be a list of names")
    N, D = _int(config, "tokens"), _int(config, "width")
    blocks = config["blocks"]
    if not isinstance(blocks, list):
        raise _bad("config.blocks", f"must be a list, got {type(blocks).__name__}")
    for k, item in enumerate(blocks):
        where = f"config.blocks[{k}]"
        if not isinstance(item, dict) or set(item) != set(BLOCK_KEYS):
            raise _bad(where, f"must be an object with exactly the keys {', '.join(BLOCK_KEYS)}")
        if not isinstance(item["activation"], str) or item["activation"] not in SCORE_ACTIVATIONS:
            raise _bad(where + ".activation", f"is {_show(item['activation'])}, not one of "
                                              f"{', '.join(SCORE_ACTIVATIONS)}")
        if type(item["mask"]) is not bool:
            raise _bad(where + ".mask", f"must be true or false, got {_show(item['mask'])}")
        if item["ffn"] is not None and (not isinstance(item["ffn"], str)
                                        or item["ffn"] not in FFN_ACTIVATIONS):
            raise _bad(where + ".ffn", f"is {_show(item['ffn'])}, not null or one of "
                                       f"{', '.join(FFN_ACTIVATIONS)}")
    meta = config["meta"]
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in meta.items()):
        raise _bad("config.meta", "must be an object of string values")
    try:  # the same name rule as the exact IR (distinct ASCII identifiers, not constants)
        Embedding(tuple(variables), ExactMatrix.zeros(N, D),
                  tuple(ExactMatrix.zeros(N, D) for _ in variables))
    except ExactformerError as exc:
        raise _bad("config.variables", str(exc)) from None
    if "box" in meta:
        _check_box(meta["box"], len(variables))
    return tuple(variables), N, D, blocks, dict(meta)


_CUBE_POWER = re.compile(r".*\^\s*(\d+)\s*\Z", re.S | re.ASCII)


def _check_box(text: str, d: int) -> None:
    """The box a relu file is decided on must parse and have the file's dimension."""
    from ..poly.box import box_from_meta
    m = _CUBE_POWER.match(text)
    if (m and int(m.group(1)[:8]) != d) or len(text) > 10_000:  # before building any box
        raise _bad("config.meta.box", f"{_show(text)} is not a box of dimension {d}")
    try:
        box = box_from_meta(text)
    except (ExactformerError, ValueError, ArithmeticError) as exc:
        raise _bad("config.meta.box", f"{_show(text)} is not a box: {exc}") from None
    if box.dimension != d:
        raise _bad("config.meta.box", f"{_show(text)} has dimension {box.dimension}, the "
                                      f"file has {d} inputs")


def _array(name: str, value: object, pattern: ShapePattern,
           sizes: dict[str, int]) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise _bad(name, f"is a {type(value).__name__}, not an array")
    is_mask = name.endswith(".mask")
    if is_mask:
        if value.dtype.kind != "b":
            raise _bad(name, f"has dtype {value.dtype}; a mask must be boolean")
    elif value.dtype.newbyteorder("=") not in WEIGHT_DTYPES:
        raise _bad(name, f"has dtype {value.dtype}; weights must be float16, float32 or "
                         "float64")
    if value.ndim != len(pattern):
        raise _bad(name, f"has shape {value.shape}, expected {len(pattern)} dimensions "
                         f"({', '.join(map(str, pattern)) or 'a single number'})")
    for size, want in zip(value.shape, pattern):
        if isinstance(want, str):
            want = sizes.setdefault(want, size)
        if size != want:
            shown = tuple(sizes.get(p, p) if isinstance(p, str) else p for p in pattern)
            raise _bad(name, f"has shape {value.shape}, expected {shown}")
    out = np.array(value, dtype=np.bool_ if is_mask else np.float64)  # a private copy
    if not is_mask and not np.all(np.isfinite(out)):
        raise _bad(name, "holds NaN or infinity")
    out.setflags(write=False)
    return out


def parse_float_file(config: object, arrays: object) -> FloatModel:
    """The :class:`FloatModel` a (config, arrays) pair means, or ModelFormatError naming
    the first entry that is missing, extra, or inconsistent with the config."""
    variables, N, D, blocks, meta = _config(config)
    if not isinstance(arrays, dict):
        raise _bad("arrays", f"must be a mapping of names to arrays, got {type(arrays).__name__}")
    expected = entry_names(blocks, len(variables))
    for name in arrays:
        if name not in expected:
            raise _bad(_show(name) if not isinstance(name, str) else name,
                       _why_extra(name, blocks))
    sizes: dict[str, int] = {"N": N, "D": D}
    got: dict[str, np.ndarray] = {}
    for name, pattern in expected.items():
        if name not in arrays:
            raise _bad(name, "is missing" + _why_missing(name, blocks))
        if name.startswith("blocks."):  # h, v, H are per block
            if name.endswith(".wq"):
                sizes = {"N": N, "D": D}
        got[name] = _array(name, arrays[name], pattern, sizes)
    fblocks = []
    for k, item in enumerate(blocks):
        p = f"blocks.{k}."
        ffn = None
        if item["ffn"] is not None:
            ffn = FloatFFN(item["ffn"], got[p + "ffn.w1"], got[p + "ffn.b1"],
                           got[p + "ffn.w2"], got[p + "ffn.b2"])
        fblocks.append(FloatBlock(item["activation"], got[p + "wq"], got[p + "wk"],
                                  got[p + "wv"], got[p + "wo"], got.get(p + "mask"), ffn))
    return FloatModel(variables, got["embedding.base"], got["embedding.coefficients"],
                      tuple(fblocks), got["readout.weight"], float(got["readout.bias"]), meta)


_BLOCK_ENTRY = re.compile(r"blocks\.(\d+)\.(.+)\Z", re.ASCII)


def _why_extra(name: object, blocks: list[BlockConfig]) -> str:
    m = _BLOCK_ENTRY.match(name) if isinstance(name, str) else None
    if m and int(m.group(1)[:8]) < len(blocks):
        k, rest = int(m.group(1)), m.group(2)
        if rest == "mask":
            return (f"a mask array is present but config.blocks[{k}].mask is false "
                    "(a file must not hold an entry its config disowns)")
        if rest.startswith("ffn."):
            return f"an FFN array is present but config.blocks[{k}].ffn is null"
    if m:
        return f"not an entry of this file (the config has {len(blocks)} blocks)"
    return "not an entry of a float file"


def _why_missing(name: str, blocks: list[BlockConfig]) -> str:
    m = _BLOCK_ENTRY.match(name)
    if m and m.group(2) == "mask":
        return f" but config.blocks[{m.group(1)}].mask is true"
    if m and m.group(2).startswith("ffn."):
        return f" but config.blocks[{m.group(1)}].ffn is {blocks[int(m.group(1))]['ffn']!r}"
    return ""
