"""The text backend: rich renderables (bold headings, aligned equation blocks, tables),
printed to a console or captured as plain text."""

from __future__ import annotations

import io

from mlplab.explain.backends.plain import eq_lines, plain_text
from mlplab.explain.blocks import Doc, Eqs, Heading, Para, Table


def text_renderables(doc: Doc, p: int) -> list:
    """rich renderables: bold headings, aligned equation blocks, tables."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    items = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            if items and not b.minor:
                items.append(Text(""))
            items.append(Text(b.text, style="bold"))
            if b.level <= 2:
                items.append(Text(("=" if b.level == 1 else "-") * len(b.text)))
        elif isinstance(b, Para):
            s = plain_text(b.parts, p)
            if s:
                items.append(Text(s))
        elif isinstance(b, Eqs):
            items.append(("eqs", Text("\n".join(eq_lines(b, p)))))
        elif isinstance(b, Table):
            t = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            for k, c in enumerate(b.header):
                a = (b.align or "l" * len(b.header))[k]
                t.add_column(Text(plain_text(c, p)), justify="right" if a == "r" else "left",
                             overflow="fold")
            for r in b.rows:
                t.add_row(*[Text(plain_text(c, p)) for c in r])
            items.append(t)
    return items


def print_text(doc: Doc, p: int, console) -> None:
    """Print to a rich console. Equations and table rows are never wrapped (a line is one
    equation, a row one parameter); a wide line runs past the console's width instead."""
    from rich.measure import Measurement
    from rich.table import Table as RichTable

    for item in text_renderables(doc, p):
        if isinstance(item, tuple):
            console.print(item[1], soft_wrap=True)
        elif isinstance(item, RichTable):
            wide = Measurement.get(console, console.options.update_width(10_000), item).maximum
            width = console.width
            console.width = max(width, wide)
            try:
                console.print(item)
            finally:
                console.width = width
        else:
            console.print(item)




def to_text(doc: Doc, p: int, width: int = 100) -> str:
    """The document as plain text (no colour), ``width`` columns, lines right-stripped."""
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, highlight=False,
                      force_terminal=False)
    print_text(doc, p, console)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
