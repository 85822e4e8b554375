"""Griffe extension for the API reference: render doctest examples as code blocks.

The package's docstrings are plain text with ``>>>`` examples (run by ``pytest --doctest-modules``).
Rendered as Markdown, an example's output such as ``[0.45, 0.52]`` after a line ending in ``]`` reads as
a reference-style link, and the lines are re-flowed into one paragraph. This extension wraps every
doctest block (the ``>>>``/``...`` lines and the output lines up to the next blank line) in a
``pycon`` fenced code block before mkdocstrings renders the docstring, and turns numpy-style section
titles underlined with dashes (which Markdown would read as headings) into bold text. The source
files are not changed.
"""

from __future__ import annotations

import re

from griffe import Extension

_PROMPT = re.compile(r"^(\s*)>>>( |$)")
_UNDERLINED = re.compile(r"^([ \t]*)([A-Za-z][A-Za-z ]*)\n\1-{3,}[ \t]*$", re.MULTILINE)


def bold_section_titles(text: str) -> str:
    """``Parameters`` underlined by dashes (numpy style) is a Markdown heading: make it bold text."""
    return _UNDERLINED.sub(lambda m: f"{m.group(1)}**{m.group(2).strip()}**\n", text)


def fence_doctests(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _PROMPT.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent = m.group(1)
        block = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        if out and out[-1].strip():
            out.append("")
        out.append(f"{indent}```pycon")
        out.extend(indent + line for line in block)
        out.append(f"{indent}```")
    return "\n".join(out)


class FenceDoctests(Extension):
    """Wrap ``>>>`` examples of every docstring in fenced ``pycon`` code blocks."""

    def on_instance(self, *, obj, **kwargs) -> None:  # noqa: D102 - griffe hook
        doc = getattr(obj, "docstring", None)
        if doc is None:
            return
        value = bold_section_titles(doc.value)
        if ">>>" in value:
            value = fence_doctests(value)
        doc.value = value
