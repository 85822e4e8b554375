"""MkDocs hooks: pages generated from the code and the recorded results.

Registered in ``mkdocs.yml`` (``hooks: [docs/hooks.py]``). Three jobs, all of them derived from the
repository at build time so the site cannot drift from the code:

* **Recorded results in the site.** Every table, figure and configuration under ``results/``
  (``.md .png .pdf .csv .json``; resumable checkpoints ``*.ckpt.json`` excluded) is added to the site
  at ``results/<same path>``. Pages link them by their *repository* relative path
  (``../../results/one_step/compare_one_step.md`` from ``docs/theory/``), which works when the Markdown
  is read on a code host; :func:`on_page_markdown` rewrites such links to the copy inside the site so
  ``mkdocs build --strict`` can check that they resolve.
* **CLI reference.** ``<!-- cli-reference -->`` in a page is replaced by the ``--help`` text of every
  command and subcommand of ``asym``, found by walking ``asymptotics.validation.cli.build_parser()`` recursively:
  whatever subcommands exist when the site is built are documented.
* **API reference.** ``<!-- api-modules: PACKAGE -->`` is replaced by one mkdocstrings block
  (``::: PACKAGE.module``) for each public module of the package, so a new module is documented
  without editing the page.
"""

from __future__ import annotations

import argparse
import os
import pkgutil
import posixpath
import re
import sys
from pathlib import Path

from mkdocs.structure.files import File

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "results"
RESULT_SUFFIXES = {".md", ".png", ".pdf", ".csv", ".json"}
HELP_WIDTH = "100"

_LINK = re.compile(r"(\]\()([^)\s]+?)((?:#[^)\s]*)?\))")


# ---------------------------------------------------------------------------------------------
# results/ files in the site


def _result_files():
    for path in sorted(RESULTS.rglob("*")):
        if path.is_file() and path.suffix in RESULT_SUFFIXES and not path.name.endswith(".ckpt.json"):
            yield path


def on_files(files, config):
    """Add the recorded results to the site under ``results/``."""
    for path in _result_files():
        src_uri = path.relative_to(REPO).as_posix()
        if files.get_file_from_path(src_uri) is None:
            files.append(File.generated(config, src_uri, abs_src_path=str(path)))
    return files


def _rewrite_repository_links(markdown: str, page_src_uri: str) -> str:
    """Point links that leave ``docs/`` for ``results/`` at the copy inside the site."""
    page_dir_in_repo = posixpath.dirname(posixpath.join("docs", page_src_uri))
    page_dir_in_site = posixpath.dirname(page_src_uri) or "."

    def fix(match: re.Match) -> str:
        target = match.group(2)
        if "://" in target or target.startswith(("/", "mailto:")):
            return match.group(0)
        in_repo = posixpath.normpath(posixpath.join(page_dir_in_repo, target))
        if not in_repo.startswith("results/"):
            return match.group(0)
        new = posixpath.relpath(in_repo, page_dir_in_site)
        return f"{match.group(1)}{new}{match.group(3)}"

    return _LINK.sub(fix, markdown)


# ---------------------------------------------------------------------------------------------
# CLI reference


def _walk(parser: argparse.ArgumentParser, path: list[str]):
    yield path, parser
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, path + [name])


def cli_reference() -> str:
    """Markdown with the help text of every ``asym`` command, generated from the parser."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_WIDTH  # argparse wraps at the terminal width: make it fixed
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # document this checkout, not whatever is installed
    try:
        from asymptotics.validation.cli import build_parser

        root = build_parser()
        prog = root.prog
        parts = []
        for path, parser in _walk(root, []):
            title = " ".join([prog, *path])
            level = "#" * min(2 + max(len(path) - 1, 0), 4)
            slug = "cli-" + "-".join(path) if path else "cli-asym"
            text = parser.format_help().rstrip()
            parts.append(f"{level} `{title}` {{#{slug}}}\n\n```text\n{text}\n```\n")
        return "\n".join(parts)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


# ---------------------------------------------------------------------------------------------
# API reference


#: folder of the repository -> import name (pyproject maps validation/ to asymptotics.validation)
IMPORT_NAMES = {"asymptotics": "asymptotics", "validation": "asymptotics.validation"}


def public_modules(package: str) -> list[str]:
    """Public (no leading underscore) modules of a top-level folder of the repository, recursively,
    under their import names (``validation`` -> ``asymptotics.validation``); subpackages are listed
    by their modules, not by their ``__init__``."""
    path = REPO / package
    prefix = IMPORT_NAMES[package] + "."
    return [m.name for m in pkgutil.walk_packages([str(path)], prefix=prefix)
            if not m.ispkg and not any(part.startswith("_") for part in m.name.split("."))]


def api_reference(package: str) -> str:
    return "\n".join(f"::: {module}\n" for module in public_modules(package))


_API = re.compile(r"<!--\s*api-modules:\s*([A-Za-z_][A-Za-z0-9_]*)\s*-->")


def on_page_markdown(markdown, page, config, files):
    markdown = _rewrite_repository_links(markdown, page.file.src_uri)
    if "<!-- cli-reference -->" in markdown:
        markdown = markdown.replace("<!-- cli-reference -->", cli_reference())
    markdown = _API.sub(lambda m: api_reference(m.group(1)), markdown)
    return markdown
