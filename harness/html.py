"""report.html: the run's report.md as one self-contained page.

The same text, tables and plots as report.md, with every PNG embedded (``data:`` URIs)
and every table sortable (click a column's head; times such as ``1.5 ms (2.1x)`` sort by
their value), so the page can be opened from disk or sent by mail, with no server and
nothing fetched.  Only the Markdown that ``harness.report`` writes is understood:
headings, paragraphs, quotes, lists, tables, images, links and inline code; a link to a
plot of the run becomes a figure that opens in place.
"""
from __future__ import annotations

import base64
import html
import os
import re

from harness import files

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; cursor: pointer; user-select: none; white-space: nowrap; }
th.asc::after { content: " \\25B2"; } th.desc::after { content: " \\25BC"; }
tr:nth-child(even) td { background: #fafafa; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
img { max-width: 100%; } blockquote { border-left: 4px solid #ccc; margin: 0; padding-left: 1em; color: #555; }
details { display: inline-block; margin-right: 1em; } details[open] { display: block; }
"""

SCRIPT = r"""
function cellValue(text) {
  const t = text.trim();
  const m = t.match(/^(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(ns|us|ms|s)?(?![\w.])/i);
  if (!m) return null;
  const scale = {ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1}[(m[2] || "").toLowerCase()] || 1;
  return parseFloat(m[1]) * scale;
}
function sortTable(th) {
  const table = th.closest("table"), body = table.tBodies[0];
  const col = Array.from(th.parentNode.children).indexOf(th);
  const asc = !th.classList.contains("asc");
  table.querySelectorAll("th").forEach(h => h.classList.remove("asc", "desc"));
  th.classList.add(asc ? "asc" : "desc");
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = a.cells[col] ? a.cells[col].textContent : "", y = b.cells[col] ? b.cells[col].textContent : "";
    const vx = cellValue(x), vy = cellValue(y);
    let c;
    if (vx !== null && vy !== null) c = vx - vy;
    else if (vx !== null) c = -1;
    else if (vy !== null) c = 1;
    else c = x.localeCompare(y);
    return asc ? c : -c;
  });
  rows.forEach(r => body.appendChild(r));
}
document.querySelectorAll("table.sortable th").forEach(th => th.addEventListener("click", () => sortTable(th)));
"""


def write(out_dir, markdown: str, title: str = "convbench report") -> str:
    """Write ``out_dir/report.html`` from the report's Markdown; returns its path."""
    path = os.path.join(out_dir, "report.html")
    files.write_text(path, render(markdown, out_dir, title))
    return path


def render(markdown: str, base_dir: str, title: str) -> str:
    body = "\n".join(_blocks(markdown.splitlines(), _Images(base_dir)))
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
            f"<body>\n{body}\n<script>{SCRIPT}</script>\n</body></html>\n")


class _Images:
    """Embeds each PNG of the run once; later references link to it."""

    def __init__(self, base_dir):
        self.base_dir, self.seen = base_dir, set()

    def local(self, src) -> str | None:
        path = os.path.join(self.base_dir, src)
        return path if "://" not in src and os.path.isfile(path) else None

    def anchor(self, src) -> str:
        return "fig-" + re.sub(r"[^A-Za-z0-9_-]+", "-", src)

    def image(self, src, alt) -> str:
        path = self.local(src)
        if path is None:
            return f"<em>[{html.escape(alt)}: {html.escape(src)} not found]</em>"
        if src in self.seen:
            return f"<a href=\"#{self.anchor(src)}\">{html.escape(alt)}</a>"
        self.seen.add(src)
        with open(path, "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        return f"<img id=\"{self.anchor(src)}\" alt=\"{html.escape(alt)}\" src=\"data:image/png;base64,{data}\">"

    def link(self, src, label) -> str:
        """A link to a plot: a figure that opens in place, or a link to where it is."""
        if src in self.seen:
            return f"<a href=\"#{self.anchor(src)}\">{html.escape(label)}</a>"
        return f"<details><summary>{html.escape(label)}</summary>{self.image(src, label)}</details>"


def _blocks(lines, images):
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            text = line[level:].strip()
            anchor = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")
            yield f"<h{level} id=\"{anchor}\">{_inline(text, images)}</h{level}>"
            i += 1
        elif line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            yield _table(block, images)
        elif line.startswith("> "):
            yield f"<blockquote>{_inline(line[2:], images)}</blockquote>"
            i += 1
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{_inline(lines[i][2:], images)}</li>")
                i += 1
            yield "<ul>" + "".join(items) + "</ul>"
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|", "> ", "- ")):
                para.append(lines[i])
                i += 1
            yield f"<p>{_inline(' '.join(para), images)}</p>"


def _cells(line):
    line = line.strip()
    return [c.strip() for c in line[1:-1 if line.endswith("|") else None].split("|")]


def _table(block, images) -> str:
    head, rest = block[0], block[1:]
    if rest and re.fullmatch(r"\|( *:?-+:? *\|)+", rest[0].replace(" ", "")) is not None:
        rest = rest[1:]
    out = ["<table class=\"sortable\"><thead><tr>"]
    out += [f"<th>{_inline(c, images)}</th>" for c in _cells(head)]
    out.append("</tr></thead><tbody>")
    for row in rest:
        out.append("<tr>" + "".join(f"<td>{_inline(c, images)}</td>" for c in _cells(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


_TOKEN = re.compile(r"`([^`]*)`|!\[([^\]]*)\]\(([^)]*)\)|\[([^\]]*)\]\(([^)]*)\)")


def _inline(text, images) -> str:
    out, pos = [], 0
    for m in _TOKEN.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        code, alt, src, label, href = m.groups()
        if code is not None:
            out.append(f"<code>{html.escape(code)}</code>")
        elif src is not None:
            out.append(images.image(src, alt))
        elif href.endswith(".png") and images.local(href):
            out.append(images.link(href, label))
        else:
            out.append(f"<a href=\"{html.escape(href)}\">{html.escape(label)}</a>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)
