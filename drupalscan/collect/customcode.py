"""Measure custom code: files, hand-written lines, functions, hooks, changed API uses.

Only custom (and unverified) modules and themes are read; core and contrib
PHP is not.  The measurement is what rewrite estimates rest on, so it stays
near grep speed (one combined regular expression per kind, one pass over
each file's bytes) and never executes anything.  Files a Features module
generated are counted apart: configuration, not code to port.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from drupalscan.collect.features import is_generated
from drupalscan.inventory import model

__all__ = ["MAX_CODE_BYTES", "ApiScanner", "measure", "owner"]

MAX_CODE_BYTES = 2_000_000
"""Larger 'PHP' files are generated or vendored; they are counted, not read."""

_T = TypeVar("_T")
_FUNCTION = re.compile(rb"^\s*function\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.MULTILINE)


def owner(path: str, owners: dict[str, _T]) -> _T | None:
    """Index of the deepest extension directory containing ``path``.

    Plain string slicing: this runs once per PHP file of the whole docroot,
    where building path objects was the scan's largest cost.
    """
    directory = path.rpartition("/")[0]
    while directory:
        idx = owners.get(directory)
        if idx is not None:
            return idx
        directory = directory.rpartition("/")[0]
    return None


def measure(
    root: Path,
    exts: list[model.Module | model.Theme],
    code_files: Iterable[str],
    kb: Any,
    cache: dict[tuple[str, str], tuple[model.CodeFacts, list[str]]],
) -> None:
    """Read the PHP of ``exts`` once and store each one's `CodeFacts` in ``cache``."""
    owners = {e.path: i for i, e in enumerate(exts)}
    scanner = ApiScanner(kb)
    acc: dict[int, _CodeAcc] = {}
    for rel in code_files:
        idx = owner(rel, owners)
        if idx is None:
            continue
        ext = exts[idx]
        bucket = acc.setdefault(idx, _CodeAcc())
        if rel.endswith(".tpl.php"):
            bucket.templates.append(rel)
        try:
            size = (root / rel).stat().st_size
            if size > MAX_CODE_BYTES:
                bucket.warnings.append(f"{rel}: {size} bytes, too large to read; counted only")
                bucket.files += 1
                continue
            data = (root / rel).read_bytes()
        except OSError as exc:
            bucket.warnings.append(f"{rel}: cannot read ({exc.strerror})")
            continue
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        if isinstance(ext, model.Module) and ext.features and is_generated(ext.name, rel, data):
            # Configuration Features wrote: Drupal 8+ config, not code to port.
            bucket.generated_files += 1
            bucket.generated_lines += lines
            continue
        bucket.files += 1
        if b"\x00" in data[:8192]:
            bucket.warnings.append(f"{rel}: binary content in a PHP file; not scanned")
            continue
        bucket.lines += lines
        if rel.endswith(".tpl.php"):
            # Templates are rewritten wholesale in Twig (counted by the theme
            # rule); listing render() calls inside them would double count.
            continue
        bucket.functions += len(_FUNCTION.findall(data))
        bucket.hooks.update(scanner.hooks(ext.name, data))
        bucket.api_uses.extend(scanner.api_uses(ext.name, rel, data))
    for idx, ext in enumerate(exts):
        bucket = acc.get(idx, _CodeAcc())
        code = model.CodeFacts(
            php_files=bucket.files,
            php_lines=bucket.lines,
            templates=sorted(bucket.templates),
            hooks=sorted(bucket.hooks),
            api_uses=sorted(bucket.api_uses, key=lambda u: (u.file, u.line, u.symbol)),
            functions=bucket.functions,
            generated_files=bucket.generated_files,
            generated_lines=bucket.generated_lines,
        )
        cache[(ext.name, ext.path)] = (code, bucket.warnings)


@dataclass
class _CodeAcc:
    files: int = 0
    lines: int = 0
    functions: int = 0
    generated_files: int = 0
    generated_lines: int = 0
    templates: list[str] = field(default_factory=list)
    hooks: set[str] = field(default_factory=set)
    api_uses: list[model.ApiUse] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ApiScanner:
    """Find Drupal 7 API calls and hook implementations in PHP source.

    One combined regular expression per kind keeps the per-file cost to a
    single pass over the bytes, which is what keeps the scan near grep speed.
    """

    def __init__(self, kb: Any) -> None:
        functions: list[str] = []
        self.hook_names: set[str] = set()
        self.known_hooks = kb.d7_hooks()
        self.patterns: list[tuple[str, re.Pattern[bytes]]] = []
        for entry in kb.api_entries():
            if entry.kind == "function":
                functions.append(entry.symbol)
            elif entry.kind == "hook":
                self.hook_names.add(entry.symbol.removeprefix("hook_"))
            elif entry.pattern:
                self.patterns.append((entry.symbol, re.compile(entry.pattern.encode())))
        alternation = b"|".join(re.escape(f.encode()) for f in sorted(functions, key=len)[::-1])
        # A call, not a definition, method or static call: no 'function ', '->', '::', '$'.
        self.calls = re.compile(
            rb"(?<![\w$>:])(?<!function )(" + alternation + rb")\s*\(" if functions else rb"(?!)"
        )

    def hooks(self, module: str, data: bytes) -> set[str]:
        """Hooks this module implements (``function MODULE_HOOK(``)."""
        prefix = module.encode() + b"_"
        hooks = set()
        for match in _FUNCTION.finditer(data):
            name = match.group(1)
            if name.startswith(prefix):
                hook = "hook_" + name[len(prefix) :].decode()
                if hook in self.known_hooks or _is_pattern_hook(hook, self.known_hooks):
                    hooks.add(hook)
        return hooks

    def api_uses(self, module: str, rel: str, data: bytes) -> list[model.ApiUse]:
        """Every changed-API use in one file, with its line number."""
        uses: list[model.ApiUse] = []
        line_starts: list[int] | None = None

        def line_of(offset: int) -> int:
            nonlocal line_starts
            if line_starts is None:
                line_starts = [m.end() for m in re.finditer(rb"\n", data)]
            return bisect.bisect_right(line_starts, offset) + 1

        for match in self.calls.finditer(data):
            uses.append(
                model.ApiUse(symbol=match.group(1).decode(), file=rel, line=line_of(match.start()))
            )
        for symbol, pattern in self.patterns:
            for match in pattern.finditer(data):
                uses.append(model.ApiUse(symbol=symbol, file=rel, line=line_of(match.start())))
        prefix = module.encode() + b"_"
        for match in _FUNCTION.finditer(data):
            name = match.group(1)
            if name.startswith(prefix):
                hook = name[len(prefix) :].decode()
                if hook in self.hook_names:
                    uses.append(
                        model.ApiUse(symbol="hook_" + hook, file=rel, line=line_of(match.start(1)))
                    )
        return uses


def _is_pattern_hook(hook: str, known: frozenset[str]) -> bool:
    """Hooks with a variable part: hook_form_FORM_ID_alter, hook_preprocess_HOOK, ..."""
    return (hook.startswith("hook_form_") and hook.endswith("_alter")) or hook.startswith(
        ("hook_preprocess_", "hook_process_")
    )
