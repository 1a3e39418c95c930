"""A report as a list of blocks (headings, paragraphs, tables, images), rendered to Markdown
and to one self-contained HTML file with the images embedded."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child
{text-align:left}th{background:#f3f3f3}img{max-width:100%;margin:0.5em 0}
pre{background:#f6f6f6;padding:8px;overflow-x:auto}.diverged{color:#b00}"""


def md_text(text, block: bool = True) -> str:
    """``text`` as literal Markdown: model, class, column and data set names come from the
    user (``a|b`` would split a table cell, ``*x*`` or ``<b>`` would be rendered), so every
    character that can start inline markup is backslash-escaped, and so is a line start that
    would make a heading, list or quote. An underscore inside a word (``x86_64``) is left as
    it is: it never starts emphasis. ``block=False`` for a table cell, where no line starts a
    block (so ``-0.5`` stays as it is)."""
    text = re.sub(r"[\\`*\[\]<>|~]", r"\\\g<0>", str(text).replace("\n", " "))
    text = re.sub(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", r"\\_", text)
    text = re.sub(r"&(?=#?[0-9A-Za-z]+;)", r"\\&", text)
    if not block:
        return text
    text = re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", text)
    return re.sub(r"^(\s*)([#>+=-])", r"\1\\\2", text)


@dataclass
class Document:
    title: str
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def heading(self, text: str, level: int = 2):
        self.blocks.append(("h", (level, text)))

    def para(self, text: str):
        self.blocks.append(("p", text))

    def code(self, text: str):
        self.blocks.append(("pre", text))

    def table(self, header: list[str], rows: list[list[str]]):
        self.blocks.append(("table", (header, rows)))

    def image(self, path: Path, caption: str):
        self.blocks.append(("img", (Path(path), caption)))

    def markdown(self, base: Path) -> str:
        from mlplab.report.tables import markdown as md_table

        out = [f"# {md_text(self.title)}", ""]
        for kind, v in self.blocks:
            if kind == "h":
                out += ["#" * v[0] + " " + md_text(v[1]), ""]
            elif kind == "p":
                out += [md_text(v), ""]
            elif kind == "pre":   # a fence longer than any run of backticks in the text
                fence = "`" * max(3, 1 + max(map(len, re.findall("`+", v)), default=0))
                out += [fence, v, fence, ""]
            elif kind == "table":
                header, rows = v
                out += [md_table([md_text(h, False) for h in header],
                                 [[md_text(c, False) for c in r] for r in rows]), ""]
            elif kind == "img":
                # the alt text (the caption's first clause) is not shown: the caption
                # follows as its own line
                alt = md_text(v[1].split(". ")[0].split(": ")[0].split(", ")[0][:80])
                out += [f"![{alt}]({v[0].relative_to(base).as_posix()})", "",
                        f"*{md_text(v[1])}*", ""]
        return "\n".join(out)

    def html(self) -> str:
        e = html.escape
        out = ["<!doctype html><html><head><meta charset='utf-8'>",
               f"<title>{e(self.title)}</title><style>{_CSS}</style></head><body>",
               f"<h1>{e(self.title)}</h1>"]
        for kind, v in self.blocks:
            if kind == "h":
                out.append(f"<h{v[0]}>{e(v[1])}</h{v[0]}>")
            elif kind == "p":
                out.append(f"<p>{e(v)}</p>")
            elif kind == "pre":
                out.append(f"<pre>{e(v)}</pre>")
            elif kind == "table":
                header, rows = v
                out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
                for r in rows:
                    cls = " class='diverged'" if "diverged" in r else ""
                    out.append(f"<tr{cls}>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>")
                out.append("</table>")
            elif kind == "img":
                data = base64.b64encode(v[0].read_bytes()).decode("ascii")
                out.append(f"<figure><img alt='{e(v[1])}' src='data:image/png;base64,{data}'>"
                           f"<figcaption>{e(v[1])}</figcaption></figure>")
        out.append("</body></html>")
        return "\n".join(out)
