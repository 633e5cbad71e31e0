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

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol, Sequence, TypeAlias

import sympy

from ..engine import Trace
from ..errors import NotExact
from ..verify.verdict import EXACT_ON_BOX, Verdict
from ..model import Attention, Block, ExactMatrix, Model
from ..poly import Target
from .formula import Formula, Piece, Rich, formula, label, products, rich_text, vector

#: Default number of tokens shown in full before a summary line.
DEFAULT_MAX_SHOWN = 20
#: Default number of blocks shown in full (degree <= 30: every block).
DEFAULT_MAX_BLOCKS = 30
_MAX_KEYS_SHOWN = 6

#: An element of the trace's domain (an exact polynomial or number; untyped library values).
Value: TypeAlias = Any
#: (channel, before, after) for each channel a block changed.
Changes: TypeAlias = tuple[tuple[str, Formula, Formula], ...]


class ResultLike(Protocol):
    """What a walk-through needs: a ``ProofResult`` (exactformer.api) has all four."""

    target: Target
    model: Model
    verdict: Verdict
    #: None when the result was decided piece by piece or by a counterexample
    trace: Trace | None


@dataclass(frozen=True)
class TokenInfo:
    """One token: its name (its final exact content), degree, parents (the keys its
    mask rows allow, over all blocks), the block that first changes it (0: none) and
    its embedding row as (channel, value) pairs."""

    index: int
    label: Formula
    degree: int | None
    parents: tuple[int, ...]
    filled_in: int
    embedding: tuple[tuple[str, Formula], ...]


@dataclass(frozen=True)
class KeyStep:
    """Token t looking at key j in one block: query, key, score, weight, value."""

    key: int
    key_label: Formula
    query: Formula
    key_vector: Formula
    score: Formula
    weight: Formula
    value: Formula


@dataclass(frozen=True)
class TokenStep:
    """What one block did to one token (every formula is an exact value)."""

    token: int
    label: Formula
    degree: int | None
    keys: tuple[KeyStep, ...]
    product: Piece          # weight*value written out (before expansion)
    head: Formula           # the head output a_t (expanded)
    changes: Changes        # (channel, before, after)
    parts: Rich             # the sentence, text and formulas
    consistent: bool

    @property
    def sentence(self) -> str:
        """The sentence as plain text."""
        return rich_text(self.parts)


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
    label: Formula
    channel: str
    coefficient: Formula
    content: Formula


@dataclass
class Narrative:
    """The whole walk-through: overview, tokens, embedding, blocks, readout, verdict."""

    heading: Rich
    target: Formula
    variables: tuple[str, ...]
    construction: str
    facts: list[tuple[str, Piece]]
    channels: tuple[str, ...]
    content_channel: int
    intro: list[str]
    tokens: list[TokenInfo]
    tokens_omitted: int
    blocks: list[BlockStep]
    blocks_omitted: int
    blocks_omitted_changed: int
    shared_weights: Rich
    readout_terms: list[ReadoutTerm]
    readout_omitted: int
    readout_text: list[str]
    output: Piece
    verdict: str
    verdict_text: Rich
    holds: bool
    table_layers: list[int] = field(default_factory=list)
    table: list[tuple[int, Formula, list[Formula]]] = field(default_factory=list)
    max_shown: int = DEFAULT_MAX_SHOWN
    tokens_total: int = 0
    blocks_total: int = 0

    @property
    def title(self) -> str:
        """The heading as plain text."""
        return rich_text(self.heading)

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


def _reading(matrix: ExactMatrix, col: int, names: Sequence[str]) -> Rich:
    """Which channels column ``col`` of a weight matrix reads, e.g. 'channel xin'."""
    parts: list[Piece] = []
    for r, c, v in matrix.entries:
        if c == col:
            if parts:
                parts.append(" + ")
            weight = sympy.Rational(v.numerator, v.denominator)
            parts.append(names[r] if v == 1 else formula(weight * sympy.Symbol(names[r])))
    if not parts:
        return ("nothing",)
    return ("channel " if len(parts) == 1 else "channels ",) + tuple(parts)


def _writing(matrix: ExactMatrix, names: Sequence[str]) -> str:
    cols = sorted({c for _, c, _ in matrix.entries})
    return ", ".join(names[c] for c in cols) or "nothing"


class _Walker:
    """Reads values out of a trace, converting and labelling lazily (big models)."""

    def __init__(self, model: Model, trace: Trace) -> None:
        self.model, self.trace = model, trace
        self.domain = trace.domain
        self.names = channel_names(model)
        self.cc = content_channel(model)
        self._labels: dict[int, Formula] = {}
        self.nvars = len(model.variables)

    def expr(self, value: Value) -> sympy.Expr:
        return self.domain.to_sympy(value)

    def f(self, value: Value) -> Formula:
        return formula(self.domain.to_sympy(value))

    def vec(self, values: Sequence[Value]) -> Formula:
        return vector([self.domain.to_sympy(v) for v in values])

    def label(self, t: int) -> Formula:
        if t not in self._labels:
            final = self.trace.final[t][self.cc]
            self._labels[t] = label(self.expr(final) if final else sympy.Symbol(f"t_{t}"))
        return self._labels[t]

    def degree(self, t: int) -> int | None:
        value = self.trace.final[t][self.cc]
        if not value:
            return None
        if hasattr(value, "items"):
            degree: int = max(sum(m) for m in value.keys())
            return degree
        return 0

    def parents(self, t: int) -> tuple[int, ...]:
        """Every key token t's mask rows allow, over all blocks."""
        out: set[int] = set()
        for b in self.model.blocks:
            if b.attention.mask is not None:
                out.update(b.attention.mask.allowed[t])
        return tuple(sorted(out))

    def row_times(self, row: Sequence[Value], matrix: ExactMatrix) -> list[Value]:
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
    steps: list[KeyStep] = []
    scores: list[Value] = []
    values: list[list[Value]] = []
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
    raw: list[tuple[Value, list[Value]]] = []
    for j, s, wj, vj in zip(keys, scores, weights, values):
        if len(keys) > 1 and (not wj or len(steps) >= _MAX_KEYS_SHOWN):
            silent += 1
            continue
        steps.append(KeyStep(j, w.label(j), w.vec(q), w.vec(w.row_times(H[j], att.wk)),
                             w.f(s), w.f(wj), w.vec(vj)))
        raw.append((wj, vj))
    before, after = H[t], trace.residuals[k][t]
    changes = tuple((w.names[c], w.f(before[c]), w.f(after[c]))
                    for c in range(model.width) if before[c] != after[c])
    head_f = w.vec(head)
    if silent and any(weights[i] for i in range(len(keys))
                      if keys[i] not in {ks.key for ks in steps}):
        product: Piece = "(sum over the keys)"     # some weighted keys are not listed
    else:
        product = products([(w.expr(wj), w.vec(vj).items[0] if len(vj) == 1
                             else sympy.Tuple(*w.vec(vj).items))
                            for wj, vj in raw if wj])
    parts = _sentence(w, k, t, att, block, steps, product, head_f, changes, len(keys), silent)
    return TokenStep(t, w.label(t), w.degree(t), tuple(steps), product, head_f, changes,
                     parts, consistent)


def _sentence(w: _Walker, k: int, t: int, att: Attention, block: Block, steps: list[KeyStep],
              product: Piece, head: Formula, changes: Changes, nkeys: int, silent: int) -> Rich:
    """One plain-English sentence (for a single key) or a short paragraph, as text
    pieces and formulas."""
    deg = w.degree(t)
    who: list[Piece] = ["token ", w.label(t), *([f" (degree {deg})"] if deg is not None else [])]
    qread, kread, vread = (_reading(m, 0, w.names) for m in (att.wq, att.wk, att.wv))
    wrote = _writing(att.wo, w.names)
    same = str(product) == str(head)
    out: list[Piece] = [f"Block {k}: ", *who]
    if nkeys == 1 and att.wq.cols == 1 and att.wv.cols == 1:
        ks = steps[0]
        whom: list[Piece] = (["its parent, token ", ks.key_label] if w.parents(t) == (ks.key,)
                             else ["token ", ks.key_label])
        out += [" attends only to "] + whom + ["; its query reads ", ks.query, " ("]
        out += list(qread) + ["), the key of token ", ks.key_label, " reads ", ks.key_vector, " ("]
        out += list(kread) + ["), so the score is ", ks.score]
        if att.activation == "identity":
            out.append(" (used as the weight as it is)")
        else:
            out += [f"; {att.activation} turns it into the weight ", ks.weight]
        out += ["; the value is token ", ks.key_label, "'s content ", ks.value, " ("]
        out += list(vread) + ["), so the token gains ", product]
        if not same:
            out += [" = ", head]
        out.append(f" (written into {wrote}).")
    else:
        out.append(f" may look at {nkeys} token(s)"
                   + (f" (no mask); a non-zero weight goes to {len(steps)} of them"
                      if att.mask is None else ""))
        for ks in steps:
            out += ["\n  token ", ks.key_label, ": score ", ks.score, ", weight ", ks.weight,
                    ", value ", ks.value]
        if silent:
            out.append(f"\n  ... {silent} other key(s) not listed"
                       + (" (weight 0)" if product != "(sum over the keys)" else ""))
        out += ["\n  head output = ", product] + ([] if same else [" = ", head])
        out.append(f" (written into {wrote}).")
    if block.ffn is not None:
        out.append(f" Then the feed-forward layer ({block.ffn.activation}) acts.")
    if changes:
        out.append(" Now ")
        for i, (ch, _, after) in enumerate(changes):
            out += [", " if i else "", f"{ch} = ", after]
        out.append(".")
    return _merge(out)


def _merge(pieces: Sequence[Piece]) -> Rich:
    """Adjacent strings joined, empty ones dropped."""
    out: list[Piece] = []
    for p in pieces:
        if isinstance(p, str):
            if not p:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += p
                continue
        out.append(p)
    return tuple(out)


def _embedding_row(w: _Walker, t: int) -> tuple[tuple[str, Formula], ...]:
    row = w.trace.residuals[0][t]
    return tuple((w.names[c], w.f(row[c])) for c in range(w.model.width))


def _target_formula(target: object) -> Formula:
    return formula(target.as_expr() if hasattr(target, "as_expr") else target)


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
    if trace is None:
        raise NotExact("no walk-through: this result has no exact trace of the whole box (it "
                       "was decided piece by piece or by a counterexample; see its evidence)")
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

    target_f = _target_formula(result.target)
    facts: list[tuple[str, Piece]] = [("target", target_f),
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
    shared: Rich
    if L == 0:
        shared = ("There are no blocks.",)
    elif same:
        att = model.blocks[0].attention
        shared = (_merge((f"All {L} block(s) share the same weights: the query reads ",)
                         + _reading(att.wq, 0, w.names) + (", the key reads ",)
                         + _reading(att.wk, 0, w.names) + (", the value reads ",)
                         + _reading(att.wv, 0, w.names)
                         + (f", and Wo writes into {_writing(att.wo, w.names)}. Only the masks "
                            "differ from block to block.",))
                  if att.wq.cols == 1 and att.wv.cols == 1 else
                  (f"All {L} block(s) share the same weights; only the masks differ.",))
    else:
        shared = ("The blocks have different weights (see the figures).",)

    terms = []
    entries = model.readout.entries
    for t, c, v in entries[:max_shown]:
        coef = v if not isinstance(v, Fraction) else sympy.Rational(v.numerator, v.denominator)
        terms.append(ReadoutTerm(t, w.label(t), w.names[c], formula(coef),
                                 w.f(trace.final[t][c])))
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
    out_f: Piece = formula(output) if output is not None else "(not computed)"
    verdict = result.verdict
    holds = bool(verdict.holds)
    box = model.info.get("box") if verdict.rung == EXACT_ON_BOX else None
    vtext: Rich
    if holds and box:
        vtext = (f"PROVED ({verdict.rung}): every relu argument was shown to keep one sign on "
                 f"the box {box}, so there the output is the polynomial ", out_f,
                 "; it was compared with the target ", target_f,
                 f" coefficient by coefficient and they are equal, so the error is zero for "
                 f"every input in {box}, not just at test points. Outside the box nothing is "
                 "claimed.")
    elif holds:
        vtext = (f"PROVED ({verdict.rung}): the output polynomial ", out_f,
                 " was compared with the target ", target_f, " coefficient by coefficient "
                 "and they are equal, so the error is zero for every input, not just at test "
                 "points.")
    else:
        vtext = (f"REFUTED ({verdict.rung}): ",) + refutation(verdict) + (".",)
    layers = list(range(0, min(L, max_shown) + 1))
    if L > max_shown:
        layers.append(L)
    table = [(t, w.label(t), [w.f(trace.residuals[k][t][cc]) for k in layers])
             for t in range(min(N, max_shown))]
    heading: Rich = (("How a transformer computes ", target_f, " exactly")
                     if len(target_f.text) <= 60 and not target_f.total else
                     ("How a transformer computes the target polynomial exactly",))
    return Narrative(
        heading=heading, target=target_f, variables=tuple(model.variables),
        construction=construction, facts=facts, channels=w.names, content_channel=cc,
        intro=intro, tokens=tokens, tokens_omitted=max(0, N - max_shown), blocks=blocks,
        blocks_omitted=max(0, L - max_blocks), blocks_omitted_changed=omitted_changed,
        shared_weights=shared, readout_terms=terms,
        readout_omitted=max(0, len(entries) - max_shown), readout_text=readout_text,
        output=out_f, verdict=verdict.verdict, verdict_text=vtext, holds=holds,
        table_layers=layers, table=table, max_shown=max_shown, tokens_total=N, blocks_total=L)


def refutation(verdict: Verdict) -> Rich:
    """Why a claim failed: the first differing coefficient as formulas, else the detail
    (free text from the verifier, with powers written as superscripts)."""
    from .formula import unicode_powers
    d = verdict.difference
    if d is not None:
        return ("coefficient of ", formula(d.monomial), ": the model has ",
                formula(d.model_coefficient), ", the claim has ", formula(d.claim_coefficient))
    return (unicode_powers(verdict.detail or "the check failed"),)
