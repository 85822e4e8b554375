"""Griffe extension for the API reference: render doctest examples as code blocks.

The package's docstrings are plain text with ``>>>`` examples (run by ``pytest --doctest-modules``).
Rendered as Markdown, an example's output such as ``[0.45, 0.52]`` after a line ending in ``]`` reads as
a reference-style link, and the lines are re-flowed into one paragraph. This extension wraps every
doctest block (the ``>>>``/``...`` lines and the output lines up to the next blank line) in a
``pycon`` fenced code block before mkdocstrings renders the docstring, and turns numpy-style section
titles underlined with dashes (which Markdown would read as headings) into bold text, and turns
citations ``docs/theory/<page>.md §N.M`` into links to that section. The source files are not
changed.
"""

from __future__ import annotations

import re

from griffe import Extension

_PROMPT = re.compile(r"^(\s*)>>>( |$)")
_UNDERLINED = re.compile(r"^([ \t]*)([A-Za-z][A-Za-z ]*)\n\1-{3,}[ \t]*$", re.MULTILINE)


def bold_section_titles(text: str) -> str:
    """``Parameters`` underlined by dashes (numpy style) is a Markdown heading: make it bold text."""
    return _UNDERLINED.sub(lambda m: f"{m.group(1)}**{m.group(2).strip()}**\n", text)


_CITATION = re.compile(r"(``|`)?docs/theory/([a-z-]+)\.md(?(1)\1)\s*§\s*([0-9]+(?:\.[0-9]+)?[a-z]?)")


def link_citations(text: str) -> str:
    """``docs/theory/one-step.md §4.2`` in a docstring becomes a link to that section of the site.

    The API pages live in ``docs/api/``, so the target is ``../theory/<page>.md#s4-2`` (the anchor scheme
    of the theory pages: section N.M has the anchor ``sN-M``).
    """

    def repl(m: re.Match) -> str:
        page, section = m.group(2), m.group(3)
        return f"[{page}.md §{section}](../theory/{page}.md#s{section.replace('.', '-')})"

    return _CITATION.sub(repl, text)


def fence_doctests(text: str, prose=lambda line: line) -> str:
    """Wrap doctest blocks in ``pycon`` fences; ``prose`` is applied to every other line."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _PROMPT.match(lines[i])
        if not m:
            out.append(prose(lines[i]))
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
        doc.value = fence_doctests(bold_section_titles(doc.value), prose=link_citations)


class AttachValidation(Extension):
    """Document the folder ``validation/`` under its installed name ``asymptotics.validation``.

    pyproject maps the top-level folder ``validation/`` to the subpackage ``asymptotics.validation``
    (``package-dir``); griffe reads the source tree, where the folder is not inside ``asymptotics/``,
    so it is loaded here and attached as a member of the ``asymptotics`` package.
    """

    def on_package(self, *, pkg, loader, **kwargs) -> None:  # noqa: D102 - griffe hook
        if pkg.name == "asymptotics" and "validation" not in pkg.members:
            pkg.set_member("validation", loader.load("validation"))
