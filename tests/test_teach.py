"""The walk-through (`exactformer explain`): narrative, renderers, figures, CLI,
notebook reprs, the tutorial, and a headless-browser look at the HTML report."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, strategies as st

from exactformer import api, prove
from exactformer.cli import main
from exactformer.model import Attention, Block, ExactMatrix
from exactformer.poly import Target
from exactformer.teach import (all_figures, build_narrative, exact_samples, explain,
                               render_html, render_markdown, render_text)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "x**2*y + 3*y - 1"


@pytest.fixture(scope="module")
def example():
    return prove(EXAMPLE)


@pytest.fixture(scope="module")
def written(example, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    report = explain(example, markdown=str(folder / "r.md"), html=str(folder / "r.html"))
    return report, folder


# ---------------------------------------------------------------- narrative

def test_block_k_fills_the_tokens_of_degree_k(example):
    story = build_narrative(example)
    assert [b.changed for b in story.blocks] == [2, 3, 4]
    for b in story.blocks:
        assert {s.degree for s in b.steps} == {b.index}
    assert story.consistent and story.verdict == "proved"


def test_the_student_sentence_is_read_from_the_trace(example):
    story = build_narrative(example)
    step = next(s for s in story.blocks[1].steps if str(s.label) == "x*y")
    assert step.sentence.startswith(
        "Block 2: token x*y (degree 2) attends only to its parent, token x; its query reads y "
        "(channel xin), the key of token x reads 1 (channel one), so the score is y")
    assert "the value is token x's content x (channel m), so the token gains y*x = x*y" \
        in step.sentence
    # the same numbers, straight from the trace
    x, y = sympy.symbols("x y")
    assert example.trace.scores_of(2)[(4, 1)] == y
    assert example.trace.blocks[1].attention[4][0].as_expr() == x * y
    assert [(ch, str(a), str(b)) for ch, a, b in step.changes] == [("m", "0", "x*y")]


def test_a_changed_weight_changes_the_story_and_the_verdict(example):
    """Wq doubled in every block: the narrative must report the new score 2*y (it reads
    the trace, it assumes nothing) and the verdict must be refuted."""
    model = example.model
    blocks = tuple(Block(replace(b.attention, wq=ExactMatrix.from_dict(3, 1, {(0, 0): 2})))
                   for b in model.blocks)
    bad = api.check_model(replace(model, blocks=blocks), EXAMPLE)
    assert not bad.proved
    story = build_narrative(bad)
    step = next(s for s in story.blocks[1].steps if s.token == 4)
    assert str(step.keys[0].score) == "2*y" and str(step.head) == "4*x*y"
    assert story.verdict == "refuted" and "REFUTED" in render_text(story)


def test_a_tampered_trace_is_flagged_not_repeated(example):
    result = prove(EXAMPLE)
    scores = result.trace.blocks[1].scores
    scores[(4, 1)] = scores[(4, 1)] + 1
    story = build_narrative(result)
    assert not story.consistent
    assert "WARNING" in render_text(story)
    assert "recomputed values differ" in render_html(story)
    assert story.consistent is False and build_narrative(example).consistent


@given(st.dictionaries(st.tuples(st.integers(0, 3), st.integers(0, 3)).filter(
    lambda m: sum(m) <= 3), st.fractions(max_denominator=9).filter(bool), min_size=1,
    max_size=5))
def test_every_token_ends_with_its_monomial(terms):
    """Masked construction: the walk-through names each token by its monomial, each
    step's recomputed values agree with the trace, every block is rendered."""
    result = prove(Target.from_terms(("x", "y"), terms))
    story = build_narrative(result)
    assert story.consistent and story.holds
    x, y = sympy.symbols("x y")
    for info in story.tokens:
        assert sympy.sympify(str(info.label), locals={"x": x, "y": y}) == \
            result.trace.value(result.model.depth, info.index, 2)  # safe: internal text
    text = render_text(story)
    for k in range(1, result.model.depth + 1):
        assert f"Block {k}" in text
    assert sum(b.changed for b in story.blocks) == result.model.tokens - 1


# ---------------------------------------------------------------- renderers

def test_markdown_and_html_contain_every_block_and_the_verdict(written, example):
    report, folder = written
    md = (folder / "r.md").read_text()
    html = (folder / "r.html").read_text()
    for k in range(1, example.model.depth + 1):
        assert f"### Block {k}" in md
        assert re.search(rf'<details class="xf-block" id="block-{k}" open><summary>Block {k}\b',
                         html)
    assert "**PROVED**" in md and "<b>PROVED</b>" in html and 'class="verdict proved"' in html
    assert "$x^{2} y + 3 y - 1$" in md            # formulas are LaTeX in Markdown


def test_html_is_self_contained_with_inline_svgs(written):
    report, folder = written
    html = (folder / "r.html").read_text()
    assert html.count("<svg") == len(report.figures) >= 6
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)
    assert not re.search(r"<link|@import|url\(\s*['\"]?https?:|<script[^>]*src", html, re.I)
    # the only URLs are XML namespace names (never fetched)
    urls = set(re.findall(r"https?://[^\"' )]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def visible_text(html: str) -> str:
    """The text a reader sees: tags, styles, scripts and comments removed."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_html_formulas_are_mathml_with_no_python_syntax(written, example):
    report, folder = written
    html = (folder / "r.html").read_text()
    assert "**" not in visible_text(html)
    assert "**" not in re.sub(r"<!--.*?-->", "", html, flags=re.S)   # nor in any attribute
    maths = re.findall(r"<math\b.*?</math>", html, re.S)
    assert len(maths) > 100
    from xml.etree import ElementTree
    for m in maths:
        ElementTree.fromstring(m)               # well-formed (numeric entities only)
    assert "<msup><mi>x</mi><mn>2</mn></msup><mo>&#x2062;</mo><mi>y</mi>" in html
    assert len(re.findall(r"<math\b", render_html(build_narrative(example)))) == \
        len(re.findall(r"<math\b", html))        # figures add no formulas of their own
    text = render_text(build_narrative(example))
    assert "<math" not in text and "$" not in text and "x**2*y" in text   # terminal: plain


def test_a_wrong_model_shows_its_first_difference_typeset(example):
    wrong = api.check_model(example.model, "x**2*y + 3*y")
    html = render_html(build_narrative(wrong))
    assert 'class="verdict refuted"' in html and "**" not in visible_text(html)
    verdict = html[html.index('id="xf-verdict"'):]
    assert "coefficient of" in verdict and "<math" in verdict and "&#x2212;" in verdict


@pytest.mark.parametrize("expr, options", [
    (EXAMPLE, {"construction": "softmax"}), (EXAMPLE, {"construction": "relu"}),
    ("x**3*y - 1", {"construction": "logdepth"}), ("a*x**2 + b*y", {"params": "a,b"}),
    ("pi*x**2 + sqrt(2)*y", {}), ("x**5 - x/3", {}),
])
def test_every_construction_reads_as_typeset_math(expr, options):
    result = prove(expr, **options)
    story = build_narrative(result)
    html, md = render_html(story), render_markdown(story)
    assert result.proved and "**" not in visible_text(html)
    assert not re.search(r"\w\*\*\d", md) and "$" in md
    ids, links = _ids_and_links(html)
    assert set(links) <= ids and len(re.findall(r"<math\b", html)) > 20


# a tiny independent reader of the MathML this package writes (differential oracle)
def _from_mathml(node):
    tag = node.tag
    if tag == "math":
        return _from_mathml(node[0]) if len(node) == 1 else _seq(list(node))
    if tag == "mi":
        return sympy.Symbol(node.text)
    if tag == "mn":
        return sympy.Rational(node.text)
    if tag == "msup":
        return _from_mathml(node[0]) ** _from_mathml(node[1])
    if tag == "mfrac":
        return _from_mathml(node[0]) / _from_mathml(node[1])
    if tag == "mrow":
        return _seq(list(node))
    raise AssertionError(f"unexpected MathML element {tag}")


def _seq(items):
    """A row of terms joined by + and - (U+2212), factors by invisible times."""
    if items and items[0].tag == "mo" and items[0].text == "(" and items[-1].text == ")":
        return _seq(items[1:-1])
    total, sign, factor, product = sympy.Integer(0), 1, None, sympy.Integer(1)
    for it in items:
        if it.tag == "mo" and it.text in ("+", "\u2212"):
            if factor is not None:
                total += sign * product * factor
            sign, factor, product = (1 if it.text == "+" else -1), None, sympy.Integer(1)
            if factor is None and it is items[0]:
                continue
        elif it.tag == "mo" and it.text == "\u2062":
            product, factor = product * factor, None
        else:
            factor = _from_mathml(it)
    return total + sign * product * factor


@given(st.dictionaries(st.tuples(st.integers(0, 4), st.integers(0, 4)),
                       st.fractions(max_denominator=12).filter(bool), min_size=1, max_size=6))
def test_mathml_reads_back_as_the_same_polynomial(terms):
    """Differential: the MathML of a polynomial, read back by an independent reader, is the
    same canonical polynomial; a changed coefficient reads back as a different one."""
    from xml.etree import ElementTree
    from exactformer.teach.formula import formula
    x, y = sympy.symbols("x y")
    expr = sum(sympy.Rational(c.numerator, c.denominator) * x**i * y**j
               for (i, j), c in terms.items())
    read = _from_mathml(ElementTree.fromstring(formula(expr).mathml))
    assert sympy.Poly(read, x, y) == sympy.Poly(expr, x, y)
    changed = _from_mathml(ElementTree.fromstring(formula(expr + x * y + 1).mathml))
    assert sympy.Poly(changed, x, y) != sympy.Poly(expr, x, y)


def test_long_formulas_are_cut_with_a_term_count():
    from exactformer.teach.formula import formula
    x, y = sympy.symbols("x y")
    f = formula(sympy.expand((x + y + 1)**12))
    assert f.total == 91 and "91 terms in all" in f.text and "91 terms in all" in f.mathml
    assert f.latex.endswith(r"+ \cdots") and len(f.text) < 300


# ---------------------------------------------------------------- navigation

def _ids_and_links(html: str):
    return set(re.findall(r'\bid="([^"]+)"', html)), re.findall(r'href="#([^"]+)"', html)


def test_navigation_links_every_section_and_block(written, example):
    report, folder = written
    html = (folder / "r.html").read_text()
    nav = re.search(r"<nav\b.*?</nav>", html, re.S).group(0)
    for key in ("summary", "tokens", "embedding", "blocks", "table", "readout", "verdict"):
        assert f'href="#{key}"' in nav
    for k in range(1, example.model.depth + 1):
        assert f'href="#block-{k}"' in nav
    ids, links = _ids_and_links(html)
    assert links and set(links) <= ids                  # every link lands somewhere
    assert html.count('rel="prev"') == example.model.depth - 1
    assert html.count('rel="next"') == example.model.depth
    assert html.count("<details class=\"xf-block\"") == example.model.depth


def test_a_large_model_opens_with_a_summary_and_folded_blocks():
    result = prove("x**9*y")                     # 55 tokens, 10 blocks
    html = render_html(build_narrative(result))
    assert html.count('<details class="xf-block"') == 10
    assert '<details class="xf-block" id="block-1" open>' not in html
    assert html.index("A large model") < html.index('id="block-1"')
    ids, links = _ids_and_links(html)
    assert set(links) <= ids and {f"block-{k}" for k in range(1, 11)} <= set(links)
    small = render_html(build_narrative(prove("x*y")))
    assert '<details class="xf-block" id="block-1" open>' in small and "A large model" not in small


def test_markdown_figures_are_written_and_referenced(written):
    report, folder = written
    md = (folder / "r.md").read_text()
    assert report.written["figures"]
    for path in report.written["figures"]:
        p = Path(path)
        assert p.exists() and p.read_text().startswith("<svg")
        assert f"](r_figures/{p.name})" in md
    names = {Path(p).stem for p in report.written["figures"]}
    assert {"tree", "weights", "table", "plot2d", "attention-1", "attention-3"} <= names


def test_the_one_variable_plot_error_is_exactly_zero():
    result = prove("x**3 - 2*x + 1")
    points = [Fraction(i, 7) for i in range(-7, 8)]
    samples, how = exact_samples(result, points)
    assert "exact forward pass" in how
    assert all(isinstance(e, Fraction) and e == 0 for *_, e in samples)
    assert [s[1] for s in samples] == [x**3 - 2 * x + 1 for x in points]
    plot = next(f for f in all_figures(result, build_narrative(result)) if f.name == "plot")
    assert "exactly 0 at every point" in plot.caption


def test_the_plot_shows_a_non_zero_error_when_the_model_is_wrong():
    result = prove("x**3 - 2*x + 1")
    model = result.model
    bad = replace(model, readout=model.readout.with_entry(3, 2, Fraction(1001, 1000)))
    wrong = api.check_model(bad, "x**3 - 2*x + 1")
    samples, _ = exact_samples(wrong, [Fraction(1, 2), Fraction(1)])
    assert [e for *_, e in samples] == [Fraction(1, 8000), Fraction(1, 1000)]
    plot = next(f for f in all_figures(wrong, build_narrative(wrong)) if f.name == "plot")
    assert "non-zero" in plot.caption


def test_large_inputs_are_capped():
    result = prove("(x + y + z)**12")          # 455 tokens
    story = build_narrative(result, max_shown=8)
    text = render_text(story)
    assert len(text.splitlines()) < 250
    assert "447 more token(s) omitted" in text
    assert all(len(b.steps) <= 8 for b in story.blocks)
    many = prove("x**45")                       # 45 blocks, more than shown in full
    text = render_text(build_narrative(many))
    assert "15 more block(s) omitted; together they change 15 token(s)" in text


def test_large_figures_stay_small():
    result = prove("(x + y)**14")               # 120 tokens, 14 blocks
    story = build_narrative(result, max_shown=40)
    figures = all_figures(result, story)
    assert all(len(f.svg) < 250_000 for f in figures)
    names = [f.name for f in figures]
    assert [n for n in names if n.startswith("attention-")] == [f"attention-{k}"
                                                                for k in range(1, 7)]
    att = next(f for f in figures if f.name == "attention-2")
    assert "first 24 of 120" in att.caption
    plot = next(f for f in figures if f.name == "plot2d")
    assert "11 x 11 grid" in plot.caption and "0 at all 121 points" in plot.caption


# ---------------------------------------------------------------- 2-D pictures

def test_two_variable_heat_map_error_is_exactly_zero_at_every_grid_point(example):
    from exactformer.teach.figures import plot2d_figure
    grid = [(Fraction(i, 4), Fraction(j, 3)) for i in range(-4, 5) for j in range(-3, 4)]
    samples, how = exact_samples(example, grid)
    assert "exact forward pass" in how and len(samples) == 63
    x, y = sympy.symbols("x y")
    target = sympy.sympify(EXAMPLE, locals={"x": x, "y": y})    # safe: a constant test string
    for (px, py), want, got, err in samples:
        assert want == target.subs({x: px, y: py}) and err == 0 and got == want
    fig = plot2d_figure(example)
    assert fig.name == "plot2d" and "21 x 21 grid" in fig.caption
    assert "0 at all 441 points" in fig.caption and "$y - p = 0$" in fig.svg


def test_the_heat_map_shows_where_a_wrong_model_differs(example):
    from exactformer.teach.figures import plot2d_figure
    model = example.model
    bad = replace(model, readout=model.readout.with_entry(4, 2, Fraction(1, 1000)))
    wrong = api.check_model(bad, EXAMPLE)
    fig = plot2d_figure(wrong)
    # the extra term x*y/1000 vanishes exactly on the two axes: 41 of the 441 points
    assert "non-zero at 400 of the 441 points" in fig.caption
    assert "largest |error| = 1/1000" in fig.caption


def test_the_large_model_path_finds_the_same_errors(example, monkeypatch):
    """Above the forward-pass budget the samples come from the trace's exact polynomials:
    the same values, and a changed readout weight still shows."""
    import exactformer.teach.figures as figures
    points = [(Fraction(1, 2), Fraction(-3)), (Fraction(2), Fraction(5, 7))]
    bad = api.check_model(replace(example.model, readout=example.model.readout.with_entry(
        4, 2, Fraction(1, 1000))), EXAMPLE)
    forward = [exact_samples(r, points) for r in (example, bad)]
    monkeypatch.setattr(figures, "FORWARD_PASS_BUDGET", 0)
    traced = [exact_samples(r, points) for r in (example, bad)]
    assert "trace" in traced[0][1] and "forward pass" in forward[0][1]
    assert [f[0] for f in forward] == [t[0] for t in traced]
    assert [e for *_, e in traced[1][0]] == [Fraction(-3, 2000), Fraction(1, 700)]


def test_attention_heat_maps_have_typeset_labels_and_exact_weights(example):
    from exactformer.teach.figures import attention_figure, block_weights
    story = build_narrative(example)
    fig = attention_figure(example, story, 3)
    assert "$x^{2} y$" in fig.svg and "x**2" not in fig.svg
    weights = block_weights(example.model, example.trace, 3, 10)
    x, y = sympy.symbols("x y")
    assert {k: example.trace.domain.to_sympy(w) for k, w in weights.items()} == \
        {(6, 3): x, (7, 3): y, (8, 4): y, (9, 5): y}


def test_plot_domain_sets_the_plotted_box(capsys, tmp_path):
    html = tmp_path / "p.html"
    code, out, err = run_cli(capsys, "explain", EXAMPLE, "--plot-domain", "[0,1]x[-2,2]",
                             "--html", str(html), "--json")
    assert code == 0 and err == ""
    assert "over the box [0,1]x[-2,2]" in html.read_text()
    one = tmp_path / "one.html"
    assert run_cli(capsys, "explain", "x**3 - x", "--plot-domain", "[1/2,3]", "--html",
                   str(one))[0] == 0
    assert "rational points of [1/2, 3]" in one.read_text()


@pytest.mark.parametrize("box, message", [
    ("[0,1]^3", "dimension 3"), ("junk", "cannot read the box"), ("[1,0]^2", "lo < hi"),
    ("[0,10000000]^2", "too large to draw"), ("[0,1/9999999]^2", "too large to draw"),
    ("[0," + "9" * 300 + "]^2", "too long"),
])
def test_bad_plot_domains_exit_2_with_one_line(capsys, box, message):
    code, out, err = run_cli(capsys, "explain", EXAMPLE, "--plot-domain", box)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


# ---------------------------------------------------------------- notebook reprs

def test_repr_html_is_a_compact_card_and_report_is_the_full_page(example):
    assert "<b>PROVED</b>" in example.verdict._repr_html_()
    m = example.model._repr_html_()
    assert "masked" in m and "<td" in m and m.count("<tr>") >= 3 + 6
    card = prove("x**2*y - 1/3")._repr_html_()
    assert len(card.encode()) < 20_000 and "<svg" not in card and "<script" not in card
    assert "PROVED" in card and "<msup><mi>x</mi><mn>2</mn></msup>" in card
    assert "result.report()" in card
    full = example.report()._repr_html_()
    assert full.count("<svg") >= 6 and "Block 3" in full and "<script" not in full
    assert "<nav" in full and str(example.report()).startswith("How a transformer")
    wrong = api.check_model(example.model, "x**2*y + 3*y")
    assert "REFUTED" in wrong.verdict._repr_html_() and "REFUTED" in wrong._repr_html_()


def test_the_card_stays_small_for_a_large_model():
    big = prove("(x + y + z)**10")               # 286 tokens
    card = big._repr_html_()
    assert len(card.encode()) < 20_000 and "286 x" in card and "more blocks" not in card


def test_latex_reprs():
    result = prove("x**2*y - 1/3")
    assert result.target._repr_latex_() == r"$p(x, y) = x^{2} y - \frac{1}{3}$"
    assert result.verdict._repr_latex_() == r"$\mathbf{proved}$ (exact polynomial identity)"
    assert result._repr_latex_().startswith(r"$p(x, y) = x^{2} y - \frac{1}{3}$: "
                                            r"$\mathbf{proved}$")
    wrong = api.check_model(result.model, "x**2*y")
    assert wrong.verdict._repr_latex_().endswith(
        "coefficient of $1$: model has $- \\frac{1}{3}$, claim has $0$")
    long = prove("(x + y + 1)**12").target._repr_latex_()
    assert long.endswith(r"+ \cdots \text{(91 terms)}$") and len(long) < 400


def test_trace_repr_is_readable(example):
    text = repr(example.trace)
    assert "object at 0x" not in text and "QQ[x, y]" in text
    assert "10 tokens x 3 channels" in text and "block 3: 4 score(s)" in text
    assert len(repr(prove("(x + y + z)**10").trace)) < 600


def test_model_layer_does_not_import_teach():
    for path in (ROOT / "exactformer" / "model").glob("*.py"):
        assert "teach" not in path.read_text()
    for path in (ROOT / "exactformer" / "teach").glob("*.py"):
        text = path.read_text()
        assert not re.search(r"from \.\.(api|cli)\b|import exactformer\.(api|cli)", text)


# ---------------------------------------------------------------- CLI

def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_explain_text(capsys):
    code, out, err = run_cli(capsys, "explain", EXAMPLE)
    assert code == 0 and err == ""
    assert "token x*y (degree 2) attends only to its parent, token x" in out
    assert "\033[" not in out                    # no colour when not on a terminal
    assert out.rstrip().endswith("PROVED (exact polynomial identity)")


def test_cli_explain_json_and_files(capsys, tmp_path):
    md, html = tmp_path / "o.md", tmp_path / "o.html"
    code, out, _ = run_cli(capsys, "explain", "x**3 - 2*x + 1", "--json", "--markdown", str(md),
                           "--html", str(html))
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "proved" and data["consistent"] is True
    assert data["written"]["markdown"] == str(md) and data["written"]["html"] == str(html)
    assert md.exists() and html.exists() and len(data["written"]["figures"]) == 7


@pytest.mark.parametrize("argv, code, message", [
    (["explain", "sin(x)"], 2, "not a polynomial"),
    (["explain", "x", "--max-tokens-shown", "0"], 2, "at least 1"),
    (["explain", "x", "--max-tokens-shown", "many"], 2, "positive integer"),
    (["explain", "x", "--html", "/nonexistent-dir/r.html"], 2, "cannot write"),
    (["explain", "x**(10**10)"], 3, "exponent"),
])
def test_cli_explain_errors(capsys, argv, code, message):
    got, out, err = run_cli(capsys, *argv)
    assert got == code and message in err and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------- tutorial

def test_tutorial_runs_top_to_bottom(tmp_path):
    text = (ROOT / "docs" / "tutorial.md").read_text()
    cells = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(cells) >= 5
    script = tmp_path / "tutorial.py"
    script.write_text("\n".join(cells))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "PROVED" in done.stdout


NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def test_the_notebook_is_committed_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 8
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_the_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    """Executed as a teacher would (nbclient, the python3 kernel ipykernel installs in the
    environment's prefix); every cell's assertions must hold."""
    import nbformat
    from nbclient import NotebookClient
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (":" + os.environ["PYTHONPATH"]
                                                  if os.environ.get("PYTHONPATH") else ""))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "PROVED" in text and "REFUTED" in text and "0 at all 441 points" in text
    rich = [o.data for o in outputs if o.output_type in ("execute_result", "display_data")]
    assert any("text/latex" in d for d in rich) and sum("image/svg+xml" in d for d in rich) >= 4
    card = next(d["text/html"] for d in rich if "text/html" in d)
    assert len(card.encode()) < 20_000 and "result.report()" in card
    assert any("<nav" in d.get("text/html", "") for d in rich)        # the full report


# ---------------------------------------------------------------- browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium(tmp_path, *args):
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


def _ink(png: Path) -> tuple[float, int]:
    """Fraction of non-white pixels and number of distinct colours of a screenshot."""
    from PIL import Image
    image = Image.open(png).convert("RGB")
    flat = getattr(image, "get_flattened_data", None) or image.getdata  # Pillow >= 12.1 renamed it
    pixels = list(flat())
    inked = sum(1 for p in pixels if min(p) < 235)
    return inked / len(pixels), len(set(pixels))


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`, installed "
                             "by .ci/system-deps)")

#: Appended to a test copy of a page: measures it after load and writes the figures into
#: the DOM as JSON, where `chromium --dump-dom` reads them back.
PROBE = """<script>window.addEventListener('load', function () {
  var d = document.documentElement, out = {links: []};
  out.width = d.scrollWidth; out.client = d.clientWidth; out.height = d.scrollHeight;
  var ms = document.querySelectorAll('math'), zero = 0;
  ms.forEach(function (m) { var r = m.getBoundingClientRect();
                            if (!(r.width > 0 && r.height > 0)) zero++; });
  out.math = ms.length; out.zero = zero;
  var sup = document.querySelector('msup');
  if (sup) { out.raised = sup.children[1].getBoundingClientRect().top
                          < sup.children[0].getBoundingClientRect().top; }
  document.querySelectorAll('nav a').forEach(function (a) {
    window.scrollTo(0, 0); a.click();
    var t = document.getElementById(a.getAttribute('href').slice(1)).getBoundingClientRect();
    out.links.push([a.getAttribute('href'), Math.round(window.scrollY), Math.round(t.top),
                    window.innerHeight]);
  });
  var p = document.createElement('pre'); p.id = 'xf-probe'; p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
});</script>"""


def _probe(tmp_path, html: str, name: str) -> dict:
    copy = tmp_path / f"{name}.html"
    copy.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(tmp_path, "--window-size=1280,900", "--dump-dom", copy.resolve().as_uri())
    assert "Uncaught" not in dom.stderr
    found = re.search(r'<pre id="xf-probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, dom.stderr[-2000:]
    import html as html_lib
    return json.loads(html_lib.unescape(found.group(1)))


def _check_layout(m: dict) -> None:
    assert m["width"] <= m["client"] <= 1280, m            # no horizontal overflow at 1280 px
    assert m["math"] > 50 and m["zero"] == 0, m            # every formula has a rendered size
    assert m["raised"] is True                             # laid out as MathML: x^2's 2 is raised
    for href, scroll, top, height in m["links"]:           # each contents link jumps there
        assert 0 <= top < height, (href, scroll, top)
        assert top <= 2 or scroll + height >= m["height"] - 2, (href, scroll, top)


@needs_chromium
def test_html_report_renders_in_headless_chromium(written, tmp_path):
    report, folder = written
    page = (folder / "r.html").resolve().as_uri()
    png = ROOT / "build" / "screenshots"
    png.mkdir(parents=True, exist_ok=True)
    shot = _chromium(tmp_path, "--enable-logging=stderr", "--v=0",
                     f"--screenshot={png / 'report.png'}", "--window-size=1280,1800", page)
    assert (png / "report.png").exists(), shot.stderr[-2000:]
    assert "Uncaught" not in shot.stderr
    ink, colours = _ink(png / "report.png")
    assert ink > 0.03 and colours > 50, (ink, colours)
    dom = _chromium(tmp_path, "--dump-dom", page)
    assert "Uncaught" not in dom.stderr
    assert f"Rendered: {len(report.figures)} figure(s)." in dom.stdout   # the script ran
    m = _probe(tmp_path, (folder / "r.html").read_text(), "probe")
    _check_layout(m)
    assert {h for h, *_ in m["links"]} >= {"#tokens", "#block-1", "#block-3", "#verdict"}
    assert any(scroll > 500 for _, scroll, _, _ in m["links"])
    # the check can fail: a blank page has (almost) no ink
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    blank_png = tmp_path / "blank.png"
    _chromium(tmp_path, f"--screenshot={blank_png}", "--window-size=1280,2000",
              blank.resolve().as_uri())
    assert _ink(blank_png)[0] < 0.001


@needs_chromium
def test_a_large_report_with_long_formulas_fits_1280_pixels(tmp_path):
    result = prove("(x + y + 1)**7 - x*y/3")          # 36 tokens, long polynomials
    path = tmp_path / "big.html"
    explain(result, html=str(path))
    png = ROOT / "build" / "screenshots"
    png.mkdir(parents=True, exist_ok=True)
    _chromium(tmp_path, f"--screenshot={png / 'large.png'}", "--window-size=1280,1800",
              path.resolve().as_uri())
    m = _probe(tmp_path, path.read_text(), "big")
    _check_layout(m)


@needs_chromium
def test_the_layout_probe_can_fail(tmp_path):
    """The measurements are real: a hidden formula has no size, a wide box overflows."""
    page = ('<!DOCTYPE html><html><body><nav><a href="#a">a</a></nav>'
            '<math style="display:none"><mi>x</mi></math><div style="width:3000px">wide</div>'
            '<p id="a">a</p></body></html>')
    m = _probe(tmp_path, page, "bad")
    assert m["zero"] == 1 and m["width"] > m["client"]
    with pytest.raises(AssertionError):
        _check_layout(m)
