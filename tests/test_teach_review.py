"""Review findings on `explain`: names with underscores in figures, one naming rule for
typeset names, refuted results never drawn as proofs, large --domain boxes, escaped
channel names in Markdown."""
from __future__ import annotations

import json
import re

import pytest
import sympy
from hypothesis import example, given, settings, strategies as st

from exactformer import api, prove
from exactformer.cli import main
from exactformer.poly import make_target
from exactformer.poly.names import IDENTIFIER
from exactformer.teach import all_figures, build_narrative
from exactformer.teach.formula import formula


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------- 1: `_` in figures

@pytest.mark.parametrize("expr", ["x_1_2*y", "x_*y", "x1__2 + y", "x__2*y", "x_**2",
                                  "x_1_2**2+1"])
def test_names_with_underscores_draw_every_figure(capsys, tmp_path, expr):
    code, out, err = run_cli(capsys, "explain", expr, "--json", "--html",
                             str(tmp_path / "r.html"), "--markdown", str(tmp_path / "r.md"))
    assert code == 0 and err == "" and json.loads(out)["verdict"] == "proved"
    assert "<svg" in (tmp_path / "r.html").read_text()


def test_prove_report_draws_underscored_names():
    html = prove("x_1_2*y").report().html()
    assert "<svg" in html and "plot2d" in html


# ---------------------------------------------------------------- 2: one naming rule

def test_double_underscore_is_not_a_power(tmp_path, capsys):
    md = tmp_path / "s.md"
    assert run_cli(capsys, "explain", "x__2 + x**2 + y*z", "--markdown", str(md))[0] == 0
    text = md.read_text()
    assert "x^{2} + x^{2}" not in text and r"\mathit{x\_\_2}" in text
    f = formula(sympy.Symbol("x__2") + sympy.Symbol("x") ** 2)
    assert "<mi>x__2</mi>" in f.mathml and f.mathml.count("<msup>") == 1


def test_reprs_keep_different_names_apart():
    assert make_target("x1 + x_1")._repr_latex_() == r"$p(x_{1}, \mathit{x\_1}) = " \
                                                    r"x_{1} + \mathit{x\_1}$"
    for name in ("xdot", "xbar", "xhat", "x_prime"):
        latex = formula(sympy.Symbol(name)).latex
        assert latex.startswith(r"\mathit{") and "dot{" not in latex and "bar{" not in latex


def test_indexed_names_keep_their_subscript():
    assert formula(sympy.Symbol("x12")).latex == "x_{12}"
    assert formula(sympy.Symbol("alpha1")).latex == r"\alpha_{1}"
    assert "<msub><mi>x</mi><mn>12</mn></msub>" in formula(sympy.Symbol("x12")).mathml


def test_channel_names_are_escaped_in_mathml():
    f = formula(2 * sympy.Symbol("<img src=x onerror=alert(1)>"))
    assert "<img" not in f.mathml and "&lt;img" in f.mathml


#: Random ASCII identifiers; a small alphabet makes look-alike pairs (x1, x_1, x__1) common.
NAMES = st.one_of(st.from_regex(IDENTIFIER, fullmatch=True).filter(lambda n: len(n) <= 12),
                  st.text("xa1_", min_size=1, max_size=5).filter(
                      lambda n: IDENTIFIER.match(n) is not None))


@settings(max_examples=400, deadline=None)
@given(NAMES, NAMES)
@example("x1", "x_1")
@example("x__2", "x")
@example("xdot", "x")
@example("alpha", "a")
def test_distinct_names_print_distinctly(a, b):
    if a == b:
        return
    fa, fb = formula(sympy.Symbol(a)), formula(sympy.Symbol(b))
    assert fa.latex != fb.latex
    body = re.compile(r'<math[^>]*>(.*)</math>')
    assert body.match(fa.mathml).group(1) != body.match(fb.mathml).group(1)
    # inside a product too (a power of one must not look like the other)
    pa = formula(sympy.Symbol(a) ** 2 * sympy.Symbol("zz"))
    pb = formula(sympy.Symbol(b) ** 2 * sympy.Symbol("zz"))
    assert pa.latex != pb.latex


# ---------------------------------------------------------------- 3: refuted, zero on the grid

#: q vanishes at x = k/5 for k = -5..5: on every point of an 11-point grid of [-1, 1].
GRID_ROOTS = "*".join(f"(5*x - ({k}))" for k in range(-5, 6))


def test_a_refuted_claim_zero_on_the_grid_is_not_drawn_as_a_proof():
    from exactformer.teach.figures import plot2d_figure
    model = prove("x**2*y + " + GRID_ROOTS).model       # 78 tokens: the 11 x 11 grid
    wrong = api.check_model(model, "x**2*y")
    assert wrong.verdict.verdict == "refuted"
    fig = plot2d_figure(wrong)
    assert "11 x 11 grid" in fig.caption and "0 at all 121 points, but the polynomials " \
        "differ (REFUTED: coefficient of x" in fig.caption
    assert "at every point" not in fig.svg and "the polynomials differ" in fig.svg
    right = plot2d_figure(api.check_model(model, "x**2*y + " + GRID_ROOTS))
    assert "it is 0 at all 121 points." in right.caption and "at every point" in right.svg


def test_a_refuted_claim_zero_on_the_plotted_points_says_the_polynomials_differ():
    from exactformer.teach.figures import plot_figure
    model = prove("x**2 + " + GRID_ROOTS).model
    fig = plot_figure(api.check_model(model, "x**2"), count=11)
    assert "0 at every point." not in fig.caption
    assert "exactly 0 at every sampled point, but the polynomials differ (REFUTED: " \
           "coefficient of x" in fig.caption
    right = plot_figure(api.check_model(model, "x**2 + " + GRID_ROOTS), count=11)
    assert "0 at every point." in right.caption


# ---------------------------------------------------------------- 4: a large --domain

def test_a_large_domain_is_explained_on_a_drawable_part(capsys, tmp_path):
    argv = ("explain", "x*y", "--construction", "relu", "--domain", "[0,2000000]^2")
    code, out, err = run_cli(capsys, *argv)
    assert code == 0 and err == "" and out.rstrip().endswith("PROVED (exact on a box "
                                                             "(sign certificates))")
    html = tmp_path / "r.html"
    code, out, err = run_cli(capsys, *argv, "--html", str(html), "--json")
    assert code == 0 and json.loads(out)["verdict"] == "proved"
    text = html.read_text()
    assert "over the box [0,1000000]^2" in text
    assert "built for the box [0,2000000]^2, too large to draw; the plot shows the part " \
           "[0,1000000]^2 of it" in text


def test_a_domain_with_no_drawable_part_leaves_the_plot_out_with_a_note(capsys, tmp_path):
    html = tmp_path / "r.html"
    code, out, err = run_cli(capsys, "explain", "x*y", "--construction", "relu", "--domain",
                             "[0,1/9999999]^2", "--html", str(html))
    assert code == 0 and err == ""
    assert "which has no part with bounds and denominators at most 1000000" in html.read_text()


def test_an_explicit_plot_domain_is_still_refused_for_size(capsys):
    code, out, err = run_cli(capsys, "explain", "x*y", "--construction", "relu", "--domain",
                             "[0,2000000]^2", "--plot-domain", "[0,2000000]^2")
    assert code == 2 and "too large to draw" in err and out == ""


def test_the_drawable_part_lies_inside_the_box():
    from fractions import Fraction
    from exactformer.poly.box import Box
    from exactformer.teach.figures import drawable_part, too_large_to_draw
    box = Box(((Fraction(-3, 10**7), Fraction(5 * 10**6)), (Fraction(1, 3), Fraction(1, 2))))
    part = drawable_part(box)
    assert too_large_to_draw(part) is None
    for (lo, hi), (a, b) in zip(box.intervals, part.intervals):
        assert lo <= a < b <= hi
    assert drawable_part(Box(((Fraction(0), Fraction(1, 10**7)),))) is None


# ---------------------------------------------------------------- 5: channel names in Markdown

def test_hostile_channel_names_are_escaped_in_markdown_and_html():
    from dataclasses import replace
    from exactformer.model.ir import make_meta
    from exactformer.teach import render_html, render_markdown
    from exactformer.teach.narrative import channel_names
    model = prove("x**2*y + 3*y - 1").model
    names = list(channel_names(model))
    names[0] = "<img src=x onerror=alert(1)>"
    bad = replace(model, meta=make_meta({**model.info, "channels": ",".join(names)}))
    story = build_narrative(api.check_model(bad, "x**2*y + 3*y - 1"))
    assert story.channels[0] == names[0]            # the name did reach the report
    md = render_markdown(story)
    assert not re.search(r"(?<!\\)<img", md) and r"| \<img src=x onerror=alert(1)\> |" in md
    assert "<img" not in render_html(story)
