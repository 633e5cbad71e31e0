"""``exactformer explain EXPR``: the step-by-step walk-through of a proof (terminal
text, Markdown with SVG figures, one self-contained HTML file). It runs the same exact
proof as ``prove``: exit 0 proved, 1 refuted, 2 bad input, 3 limit."""
from __future__ import annotations

import argparse
import sys
from typing import cast

from .. import api
from ..poly import make_target
from ..poly.box import parse_box
from .common import (EXIT_PROVED, EXIT_REFUTED, add_common_options, add_construction_option,
                     add_polynomial_argument, limits_from_args, non_negative_int, output_file,
                     positive_int, print_json, verdict_line)



NAME = "explain"


EXAMPLES = ('exactformer explain "x**2*y - 1/3" --html report.html',)


def cmd_explain(args: argparse.Namespace) -> int:
    from ..teach import check_drawable, explain
    limits = limits_from_args(args)
    target = make_target(args.expr, variables=args.vars, params=args.params, limits=limits)
    plot_domain = default_box = None
    if args.plot_domain is not None:    # checked before the proof: bad input fails fast
        plot_domain = parse_box(args.plot_domain, target.dimension)
        check_drawable(plot_domain)
    elif args.domain is not None:       # too large to draw: a drawable part is plotted
        default_box = parse_box(args.domain, target.dimension)
    result = api.prove(target, construction=args.construction, domain=args.domain,
                       degree=args.degree, limits=limits, timeout=args.timeout)
    color = not args.json and sys.stdout.isatty()
    report = explain(result, max_shown=args.max_tokens_shown, markdown=args.markdown,
                     html=args.html, color=color, plot_domain=plot_domain,
                     default_box=default_box)
    summary = result.summary()
    if args.json:
        summary["written"] = report.written
        summary["consistent"] = report.narrative.consistent
        print_json(summary)
    else:
        sys.stdout.write(report.text)
        for kind in ("markdown", "html"):
            if kind in report.written:
                print(f"wrote {kind}: {report.written[kind]}")
        if report.written.get("figures"):
            figures = cast("list[str]", report.written["figures"])  # the SVG paths
            print(f"wrote {len(figures)} figure(s) next to the Markdown")
        print(verdict_line(summary))
    return EXIT_PROVED if result.proved else EXIT_REFUTED


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``explain``."""
    p = sub.add_parser(NAME, help="walk through the proof step by step (terminal, "
                                              "Markdown, self-contained HTML)")
    add_polynomial_argument(p, 'target polynomial, e.g. "x**2*y + 3*y - 1"')
    add_common_options(p)
    add_construction_option(p)
    p.add_argument("--domain", help="box for the relu construction, e.g. \"[-1,1]^2\"")
    p.add_argument("--degree", type=non_negative_int, help="build for this degree (>= the target's)")
    p.add_argument("--markdown", metavar="FILE", type=output_file(), help="write a Markdown report (figures go to "
                                                      "FILE's stem + _figures/)")
    p.add_argument("--html", metavar="FILE", type=output_file(), help="write one self-contained HTML report")
    p.add_argument("--max-tokens-shown", metavar="K", type=positive_int, default=20,
                   dest="max_tokens_shown",
                   help="show at most K tokens (and blocks) in full (default 20)")
    p.add_argument("--plot-domain", metavar="BOX", dest="plot_domain",
                   help='range of the 1-D plot / 2-D heat-maps, e.g. "[0,1]^2" or '
                        '"[-1,1]x[0,2]" (default: --domain, else [-1,1]^d)')
    p.set_defaults(func=cmd_explain)
