"""The walk-through (`exactformer explain`): narrative, renderers, figures, CLI,
notebook reprs, the tutorial, and a headless-browser look at the HTML report."""
from __future__ import annotations

import json
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
    step = next(s for s in story.blocks[1].steps if s.label == "x*y")
    assert step.sentence.startswith(
        "Block 2: token x*y (degree 2) attends only to its parent, token x; its query reads y "
        "(channel xin), the key of token x reads 1 (channel one), so the score is y")
    assert "the value is token x's content x (channel m), so the token gains y*x = x*y" \
        in step.sentence
    # the same numbers, straight from the trace
    x, y = sympy.symbols("x y")
    assert example.trace.scores_of(2)[(4, 1)] == y
    assert example.trace.blocks[1].attention[4][0].as_expr() == x * y
    assert step.changes == (("m", "0", "x*y"),)


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
    assert step.keys[0].score == "2*y" and step.head == "4*x*y"
    assert story.verdict == "refuted" and "REFUTED" in render_text(story)


def test_a_tampered_trace_is_flagged_not_repeated(example):
    result = prove(EXAMPLE)
    scores = result.trace.blocks[1].scores
    scores[(4, 1)] = scores[(4, 1)] + 1
    story = build_narrative(result)
    assert not story.consistent
    assert "WARNING" in render_text(story)
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
        assert sympy.sympify(info.label, locals={"x": x, "y": y}) == \
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
        assert f'id="block-{k}">Block {k}</h3>' in html
    assert "**PROVED**" in md and "<b>PROVED</b>" in html and 'class="verdict proved"' in html
    assert "x\\*y" in md            # Markdown emphasis characters are escaped


def test_html_is_self_contained_with_inline_svgs(written):
    report, folder = written
    html = (folder / "r.html").read_text()
    assert html.count("<svg") == len(report.figures) >= 4
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)
    assert not re.search(r"<link|@import|url\(\s*['\"]?https?:|<script[^>]*src", html, re.I)
    # the only URLs are XML namespace names (never fetched)
    urls = set(re.findall(r"https?://[^\"' )]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_markdown_figures_are_written_and_referenced(written):
    report, folder = written
    md = (folder / "r.md").read_text()
    assert report.written["figures"]
    for path in report.written["figures"]:
        p = Path(path)
        assert p.exists() and p.read_text().startswith("<svg")
        assert f"](r_figures/{p.name})" in md


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
    masks = next(f for f in figures if f.name == "masks")
    assert "Only blocks 1-6 of 14" in masks.caption and "first 24 of 120" in masks.caption


# ---------------------------------------------------------------- notebook reprs

def test_repr_html(example):
    assert "<b>PROVED</b>" in example.verdict._repr_html_()
    m = example.model._repr_html_()
    assert "masked" in m and "<td" in m and m.count("<tr>") >= 3 + 6
    page = example._repr_html_()
    assert page.count("<svg") >= 4 and "Block 3" in page and "<script" not in page
    wrong = api.check_model(example.model, "x**2*y + 3*y")
    assert "REFUTED" in wrong.verdict._repr_html_()


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
    assert md.exists() and html.exists() and len(data["written"]["figures"]) == 5


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


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package "
                                             "`chromium`, installed by .ci/system-deps)")
def test_html_report_renders_in_headless_chromium(written, tmp_path):
    report, folder = written
    page = (folder / "r.html").resolve().as_uri()
    png = tmp_path / "shot.png"
    shot = _chromium(tmp_path, "--enable-logging=stderr", "--v=0", f"--screenshot={png}",
                     "--window-size=1200,2000", page)
    assert png.exists(), shot.stderr[-2000:]
    assert "Uncaught" not in shot.stderr
    ink, colours = _ink(png)
    assert ink > 0.03 and colours > 50, (ink, colours)
    dom = _chromium(tmp_path, "--dump-dom", page)
    assert "Uncaught" not in dom.stderr
    assert f"Rendered: {len(report.figures)} figure(s)." in dom.stdout   # the script ran
    # the check can fail: a blank page has (almost) no ink
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    blank_png = tmp_path / "blank.png"
    _chromium(tmp_path, f"--screenshot={blank_png}", "--window-size=1200,2000",
              blank.resolve().as_uri())
    assert _ink(blank_png)[0] < 0.001
