"""A structured walk-through of one exact forward pass, built from the trace alone.

Nothing here is assumed from how the model was built: every number and every
polynomial in a :class:`Narrative` is read from the trace (``residuals``,
``scores``, ``attention``) or recomputed from the weights in the same exact
domain. Each per-token step recomputes query . key, the attention weight and the
head output and compares them with the values the interpreter recorded; the flag
``consistent`` says whether they agree (they always should).

The facts used:
  * query q_t = H[t] Wq, key k_j = H[j] Wk, value v_j = H[j] Wv (rows of H are
    exact polynomials in QQ[x]), score s_tj = q_t . k_j;
  * weight w_tj = phi(s_tj) (identity: w = s), head output a_t = sum_j w_tj v_j;
  * the residual H[t] <- H[t] + a_t Wo (then the optional feed-forward layer).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol, Sequence

import sympy

from ..engine import Trace
from ..verify.verdict import EXACT_ON_BOX
from ..model import ExactMatrix, Model

#: Default number of tokens shown in full before a summary line.
DEFAULT_MAX_SHOWN = 20
#: Default number of blocks shown in full (degree <= 30: every block).
DEFAULT_MAX_BLOCKS = 30
_LABEL_CHARS = 48
_MAX_KEYS_SHOWN = 6


class ResultLike(Protocol):
    """What a walk-through needs: a ``ProofResult`` (exactformer.api) has all four."""

    target: Any
    model: Model
    verdict: Any
    trace: Trace


@dataclass(frozen=True)
class TokenInfo:
    """One token: its name (its final exact content), degree, parents (the keys its
    mask rows allow, over all blocks), the block that first changes it (0: none) and
    its embedding row as (channel, value) pairs."""

    index: int
    label: str
    degree: int | None
    parents: tuple[int, ...]
    filled_in: int
    embedding: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class KeyStep:
    """Token t looking at key j in one block: query, key, score, weight, value."""

    key: int
    key_label: str
    query: str
    key_vector: str
    score: str
    weight: str
    value: str


@dataclass(frozen=True)
class TokenStep:
    """What one block did to one token (all strings are exact values)."""

    token: int
    label: str
    degree: int | None
    keys: tuple[KeyStep, ...]
    product: str           # weight*value written out (before expansion)
    head: str              # the head output a_t (expanded)
    changes: tuple[tuple[str, str, str], ...]   # (channel, before, after)
    sentence: str
    consistent: bool


@dataclass(frozen=True)
class BlockStep:
    """One block: its activation, mask size, the tokens it changed (first few shown)."""

    index: int
    activation: str
    ffn: str | None
    allowed_pairs: int | None      # None: no mask (every token sees every token)
    changed: int
    steps: tuple[TokenStep, ...]
    omitted: int
    summary: str


@dataclass(frozen=True)
class ReadoutTerm:
    token: int
    label: str
    channel: str
    coefficient: str
    content: str


@dataclass
class Narrative:
    """The whole walk-through: overview, tokens, embedding, blocks, readout, verdict."""

    title: str
    target: str
    variables: tuple[str, ...]
    construction: str
    facts: list[tuple[str, str]]
    channels: tuple[str, ...]
    content_channel: int
    intro: list[str]
    tokens: list[TokenInfo]
    tokens_omitted: int
    blocks: list[BlockStep]
    blocks_omitted: int
    blocks_omitted_changed: int
    shared_weights: str
    readout_terms: list[ReadoutTerm]
    readout_omitted: int
    readout_text: list[str]
    output: str
    verdict: str
    verdict_text: str
    holds: bool
    table_layers: list[int] = field(default_factory=list)
    table: list[tuple[int, str, list[str]]] = field(default_factory=list)
    max_shown: int = DEFAULT_MAX_SHOWN

    @property
    def consistent(self) -> bool:
        """Every recomputed query . key, weight and head output matched the trace."""
        return all(s.consistent for b in self.blocks for s in b.steps)


def channel_names(model: Model) -> tuple[str, ...]:
    """Channel names from the model's metadata, else c0, c1, ..."""
    names = model.info.get("channels", "")
    parts = tuple(p for p in names.split(",") if p) if names else ()
    if len(parts) == model.width:
        return parts
    return tuple(f"c{i}" for i in range(model.width))


def content_channel(model: Model) -> int:
    """The channel that carries each token's polynomial: 'm' if named, else the
    readout's column when it uses one, else the last channel."""
    names = channel_names(model)
    if "m" in names:
        return names.index("m")
    cols = {c for _, c, _ in model.readout.entries}
    if len(cols) == 1:
        return cols.pop()
    return model.width - 1


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[:_LABEL_CHARS - 3] + "..."


_ATOM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(\*\*\d+)?|\d+)\Z", re.ASCII)


def _paren(text: str) -> str:
    """Parentheses around anything but a number, a symbol or a power of one."""
    return text if _ATOM.match(text) else f"({text})"


def _vec(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"


def _reading(matrix: ExactMatrix, col: int, names: Sequence[str]) -> str:
    """Which channels column ``col`` of a weight matrix reads, e.g. 'channel xin'."""
    parts = []
    for r, c, v in matrix.entries:
        if c == col:
            parts.append(names[r] if v == 1 else f"{v}*{names[r]}")
    if not parts:
        return "nothing"
    return ("channel " if len(parts) == 1 else "channels ") + " + ".join(parts)


def _writing(matrix: ExactMatrix, names: Sequence[str]) -> str:
    cols = sorted({c for _, c, _ in matrix.entries})
    return ", ".join(names[c] for c in cols) or "nothing"


class _Walker:
    """Reads values out of a trace, converting and labelling lazily (big models)."""

    def __init__(self, model: Model, trace: Trace):
        self.model, self.trace = model, trace
        self.domain = trace.domain
        self.names = channel_names(model)
        self.cc = content_channel(model)
        self._labels: dict[int, str] = {}
        self.nvars = len(model.variables)

    def text(self, value) -> str:
        return str(self.domain.to_sympy(value))

    def label(self, t: int) -> str:
        if t not in self._labels:
            final = self.trace.final[t][self.cc]
            self._labels[t] = _short(self.text(final)) if final else f"t{t}"
        return self._labels[t]

    def degree(self, t: int) -> int | None:
        value = self.trace.final[t][self.cc]
        if not value:
            return None
        if hasattr(value, "items"):
            return max(sum(m) for m in value.keys())
        return 0

    def parents(self, t: int) -> tuple[int, ...]:
        """Every key token t's mask rows allow, over all blocks."""
        out: set[int] = set()
        for b in self.model.blocks:
            if b.attention.mask is not None:
                out.update(b.attention.mask.allowed[t])
        return tuple(sorted(out))

    def name(self, t: int) -> str:
        return f"token {t} ({self.label(t)})"

    def row_times(self, row, matrix: ExactMatrix) -> list:
        zero = self.domain.zero
        out = [zero] * matrix.cols
        for r, c, v in matrix.entries:
            if row[r]:
                out[c] = out[c] + row[r] * self.domain.const(v)
        return out


def _filled_in(trace: Trace, t: int) -> int:
    for k in range(1, len(trace.residuals)):
        if trace.residuals[k][t] is not trace.residuals[k - 1][t] and \
                trace.residuals[k][t] != trace.residuals[k - 1][t]:
            return k
    return 0


def _changed_tokens(trace: Trace, k: int) -> list[int]:
    before, after = trace.residuals[k - 1], trace.residuals[k]
    return [t for t in range(len(after))
            if after[t] is not before[t] and after[t] != before[t]]


def _token_step(w: _Walker, k: int, t: int) -> TokenStep:
    model, trace, dom = w.model, w.trace, w.domain
    block = model.blocks[k - 1]
    att = block.attention
    H = trace.residuals[k - 1]
    keys = att.mask.allowed[t] if att.mask is not None else tuple(range(model.tokens))
    q = w.row_times(H[t], att.wq)
    steps, scores, values = [], [], []
    recorded = trace.blocks[k - 1].scores if k - 1 < len(trace.blocks) else {}
    consistent = True
    for j in keys:
        kv = w.row_times(H[j], att.wk)
        s = dom.zero
        for a, b in zip(q, kv):
            if a and b:
                s = s + a * b
        if (t, j) in recorded and recorded[(t, j)] != s:
            consistent = False
        scores.append(s)
        values.append(w.row_times(H[j], att.wv))
    if not keys:
        weights = []
    elif att.activation == "softmax":
        weights = dom.softmax(scores)
    elif att.activation == "relu":
        weights = [dom.relu(s) for s in scores]
    else:
        weights = list(scores)
    head = [dom.zero] * att.wv.cols
    for wj, vj in zip(weights, values):
        for c, v in enumerate(vj):
            if wj and v:
                head[c] = head[c] + wj * v
    got = trace.blocks[k - 1].attention.get(t) if k - 1 < len(trace.blocks) else None
    if got is not None and list(got) != head:
        consistent = False
    if got is None and any(head):
        consistent = False
    silent = 0
    for j, s, wj, vj in zip(keys, scores, weights, values):
        if len(keys) > 1 and (not wj or len(steps) >= _MAX_KEYS_SHOWN):
            silent += 1
            continue
        steps.append(KeyStep(j, w.label(j), _vec([w.text(v) for v in q]),
                             _vec([w.text(v) for v in w.row_times(H[j], att.wk)]),
                             w.text(s), w.text(wj), _vec([w.text(v) for v in vj])))
    before, after = H[t], trace.residuals[k][t]
    changes = tuple((w.names[c], w.text(before[c]), w.text(after[c]))
                    for c in range(model.width) if before[c] != after[c])
    head_text = _vec([w.text(v) for v in head])
    nonzero = [ks for ks in steps if ks.weight != "0"]
    if silent and any(weights[i] for i in range(len(keys))
                      if keys[i] not in {ks.key for ks in steps}):
        product = "(sum over the keys)"     # some weighted keys are not listed
    else:
        product = " + ".join(f"{_paren(ks.weight)}*{_paren(ks.value)}" for ks in nonzero) or "0"
    sentence = _sentence(w, k, t, att, block, steps, product, head_text, changes,
                         len(keys), silent)
    return TokenStep(t, w.label(t), w.degree(t), tuple(steps), product, head_text, changes,
                     sentence, consistent)


def _sentence(w: _Walker, k: int, t: int, att, block, steps: list[KeyStep], product: str,
              head: str, changes, nkeys: int, silent: int) -> str:
    """One plain-English sentence (for a single key) or a short paragraph."""
    deg = w.degree(t)
    who = f"token {w.label(t)}" + (f" (degree {deg})" if deg is not None else "")
    qread, kread, vread = (_reading(m, 0, w.names) for m in (att.wq, att.wk, att.wv))
    wrote = _writing(att.wo, w.names)
    if nkeys == 1 and att.wq.cols == 1 and att.wv.cols == 1:
        ks = steps[0]
        whom = (f"its parent, token {ks.key_label}" if w.parents(t) == (ks.key,)
                else f"token {ks.key_label}")
        s = (f"Block {k}: {who} attends only to {whom}; its query "
             f"reads {ks.query} ({qread}), the key of token {ks.key_label} reads {ks.key_vector} "
             f"({kread}), "
             f"so the score is {ks.score}")
        if att.activation == "identity":
            s += " (used as the weight as it is)"
        else:
            s += f"; {att.activation} turns it into the weight {ks.weight}"
        s += f"; the value is token {ks.key_label}'s content {ks.value} ({vread}), "
        gain = product if product == head else f"{product} = {head}"
        s += f"so the token gains {gain} (written into {wrote})."
    else:
        parts = [f"Block {k}: {who} may look at {nkeys} token(s)"
                 + (f" (no mask); a non-zero weight goes to {len(steps)} of them"
                    if att.mask is None
                    else "")]
        for ks in steps:
            parts.append(f"  token {ks.key_label}: score {ks.score}, weight {ks.weight}, "
                         f"value {ks.value}")
        if silent:
            parts.append(f"  ... {silent} other key(s) not listed"
                         + (" (weight 0)" if product != "(sum over the keys)" else ""))
        parts.append(f"  head output = {product}" + ("" if product == head else f" = {head}")
                     + f" (written into {wrote}).")
        s = "\n".join(parts)
    if block.ffn is not None:
        s += f" Then the feed-forward layer ({block.ffn.activation}) acts."
    if changes:
        s += " Now " + ", ".join(f"{ch} = {after}" for ch, _, after in changes) + "."
    return s


def _embedding_row(w: _Walker, t: int) -> tuple[tuple[str, str], ...]:
    row = w.trace.residuals[0][t]
    return tuple((w.names[c], w.text(row[c])) for c in range(w.model.width))


#: Longest polynomial printed in full; longer ones are cut with a term count.
MAX_EXPR_CHARS = 240


def short_expr(expr) -> str:
    """``str(expr)``, cut after MAX_EXPR_CHARS characters with the number of terms."""
    text = str(expr)
    if len(text) <= MAX_EXPR_CHARS:
        return text
    terms = len(sympy.Add.make_args(expr)) if isinstance(expr, sympy.Basic) else None
    cut = text[:MAX_EXPR_CHARS].rsplit(" ", 1)[0]
    return cut + (f" ... ({terms} terms in all)" if terms else " ...")


def _target_text(target) -> str:
    return short_expr(target.as_expr()) if hasattr(target, "as_expr") else short_expr(target)


def build_narrative(result: ResultLike, max_shown: int = DEFAULT_MAX_SHOWN,
                    output: Any = None, max_blocks: int | None = None) -> Narrative:
    """The walk-through of ``result`` (a ProofResult), showing at most ``max_shown``
    tokens per list and ``max_blocks`` blocks in full (default: the larger of
    ``max_shown`` and DEFAULT_MAX_BLOCKS); the rest is counted.

    >>> from exactformer import prove
    >>> story = build_narrative(prove("x**2*y + 3*y - 1"))
    >>> [b.changed for b in story.blocks], story.verdict
    ([2, 3, 4], 'proved')
    """
    if max_shown < 1:
        raise ValueError(f"max_shown must be at least 1, got {max_shown}")
    model, trace = result.model, result.trace
    if len(trace.residuals) != model.depth + 1:
        raise ValueError("the trace must record every block (run with record=True)")
    w = _Walker(model, trace)
    N, L = model.tokens, model.depth
    if max_blocks is None:
        max_blocks = max(max_shown, DEFAULT_MAX_BLOCKS)
    construction = model.info.get("construction", "custom")
    cc = w.cc
    parents: list[set[int]] = [set() for _ in range(min(N, max_shown))]
    masked = all(b.attention.mask is not None for b in model.blocks)
    for b in model.blocks:
        if b.attention.mask is not None:
            for t in range(len(parents)):
                parents[t].update(b.attention.mask.allowed[t])
    tokens = [TokenInfo(t, w.label(t), w.degree(t), tuple(sorted(parents[t])),
                        _filled_in(trace, t), _embedding_row(w, t))
              for t in range(min(N, max_shown))]

    target_text = _target_text(result.target)
    facts = [("target", target_text),
             ("variables", ", ".join(model.variables) or "(none)"),
             ("construction", construction),
             ("tokens", str(N)), ("width", f"{model.width} (channels {', '.join(w.names)})"),
             ("blocks", str(L)), ("free parameters", f"{model.free_parameters} (the readout)")]

    intro = [
        f"The transformer has {N} tokens, each a row of {model.width} exact numbers "
        f"(channels {', '.join(w.names)}), and {L} block(s). Every number below is an exact "
        "polynomial in " + (", ".join(model.variables) or "no variables")
        + ", computed by pushing the input through the blocks symbolically.",
        f"A token is named by what channel {w.names[cc]} holds at the end; "
        + ("its parent is the token its attention mask lets it look at." if masked else
           "some blocks have no mask, so every token may look at every token."),
    ]
    blocks: list[BlockStep] = []
    omitted_changed = 0
    for k in range(1, L + 1):
        changed = _changed_tokens(trace, k)
        if k > max_blocks:
            omitted_changed += len(changed)
            continue
        block = model.blocks[k - 1]
        att = block.attention
        shown = [_token_step(w, k, t) for t in changed[:max_shown]]
        pairs = att.mask.nnz if att.mask is not None else None
        rest = N - len(changed)
        if att.mask is not None:
            moved = set(changed)
            empty = sum(1 for t in range(N) if t not in moved and not att.mask.allowed[t])
            summary = f"Block {k} changes {len(changed)} token(s); of the other {rest}, "
            summary += (f"all have an empty mask row (they look at nothing), so they stay as "
                        "they were." if empty == rest else
                        f"{empty} have an empty mask row and {rest - empty} gain nothing, so "
                        "they stay as they were.")
        else:
            summary = f"Block {k} changes {len(changed)} token(s); the other {rest} do not change."
        blocks.append(BlockStep(k, att.activation, block.ffn.activation if block.ffn else None,
                                pairs, len(changed), tuple(shown),
                                max(0, len(changed) - len(shown)), summary))

    same = all(b.attention.wq == model.blocks[0].attention.wq
               and b.attention.wk == model.blocks[0].attention.wk
               and b.attention.wv == model.blocks[0].attention.wv
               and b.attention.wo == model.blocks[0].attention.wo
               and b.ffn == model.blocks[0].ffn for b in model.blocks) if L else True
    if L == 0:
        shared = "There are no blocks."
    elif same:
        att = model.blocks[0].attention
        shared = (f"All {L} block(s) share the same weights: the query reads "
                  f"{_reading(att.wq, 0, w.names)}, the key reads {_reading(att.wk, 0, w.names)}, "
                  f"the value reads {_reading(att.wv, 0, w.names)}, and Wo writes into "
                  f"{_writing(att.wo, w.names)}. Only the masks differ from block to block."
                  if att.wq.cols == 1 and att.wv.cols == 1 else
                  f"All {L} block(s) share the same weights; only the masks differ.")
    else:
        shared = "The blocks have different weights (see the figures)."

    terms = []
    entries = model.readout.entries
    for t, c, v in entries[:max_shown]:
        coef = v if not isinstance(v, Fraction) else sympy.Rational(v.numerator, v.denominator)
        terms.append(ReadoutTerm(t, w.label(t), w.names[c], str(coef),
                                 w.text(trace.final[t][c])))
    readout_text = [
        f"The readout is the only part that depends on the target: it multiplies channel "
        f"entries by {len(entries)} non-zero weight(s) and adds them up"
        + (f" (plus the bias {model.readout.bias})" if model.readout.bias else "") + ".",
    ]
    zero_tokens = N - len({t for t, _, _ in entries})
    if zero_tokens:
        readout_text.append(f"The other {zero_tokens} token(s) get weight 0: the target has "
                            "no such term.")
    if output is None:
        output = getattr(result, "output", None)
    out_text = short_expr(output) if output is not None else "(not computed)"
    verdict = result.verdict
    holds = bool(verdict.holds)
    box = model.info.get("box") if verdict.rung == EXACT_ON_BOX else None
    if holds and box:
        vtext = (f"PROVED ({verdict.rung}): every relu argument was shown to keep one sign on "
                 f"the box {box}, so there the output is the polynomial {out_text}; it was "
                 f"compared with the target {target_text} coefficient by coefficient and they "
                 f"are equal, so the error is zero for every input in {box}, not just at "
                 "test points. Outside the box nothing is claimed.")
    elif holds:
        vtext = (f"PROVED ({verdict.rung}): the output polynomial {out_text} was compared with "
                 f"the target {target_text} coefficient by coefficient and they "
                 "are equal, so the error is zero for every input, not just at test points.")
    else:
        vtext = f"REFUTED ({verdict.rung}): {verdict}."
    layers = list(range(0, min(L, max_shown) + 1))
    if L > max_shown:
        layers.append(L)
    table = [(t, w.label(t), [w.text(trace.residuals[k][t][cc]) for k in layers])
             for t in range(min(N, max_shown))]
    return Narrative(
        title=("How a transformer computes " + (target_text if len(target_text) <= 60 else
                                                 "the target polynomial") + " exactly"),
        target=target_text, variables=tuple(model.variables),
        construction=construction, facts=facts, channels=w.names, content_channel=cc,
        intro=intro, tokens=tokens, tokens_omitted=max(0, N - max_shown), blocks=blocks,
        blocks_omitted=max(0, L - max_blocks), blocks_omitted_changed=omitted_changed,
        shared_weights=shared, readout_terms=terms,
        readout_omitted=max(0, len(entries) - max_shown), readout_text=readout_text,
        output=out_text, verdict=verdict.verdict, verdict_text=vtext, holds=holds,
        table_layers=layers, table=table, max_shown=max_shown)
