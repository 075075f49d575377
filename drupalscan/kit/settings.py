"""settings.migrate.php: the source databases' connections, as placeholders.

drupalscan never reads credentials out of a scanned settings.php and never
stores the ones given on its command line, so the kit cannot know them: each
group's connection is spelled out with placeholders for the hosting team's
values, under the key its migrations read.  Nothing from the scanned sites
goes into this file but their names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from drupalscan.kit.migrations import Group, database_key


def comment_safe(text: str) -> str:
    """A crawled name made harmless inside a comment of any kit file.

    Site and type names come from the scanned sites and are hostile: a
    newline would end a YAML comment, ``?>`` would end PHP mode inside a
    ``//`` comment and ``*/`` a docblock.  Only plain characters survive.
    """
    kept = re.sub(r"[^\w .,&()'/:@+-]", " ", text)
    return re.sub(r"\s+", " ", kept.replace("*/", "* /").replace("?>", "? >")).strip()


def _php_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def settings_php(groups: Sequence[Group], header: str) -> str:
    """The PHP file a developer includes from settings.php on the migrating machine."""
    lines = [
        "<?php",
        "",
        "/**",
        *[f" * {comment_safe(line)}" if line else " *" for line in header.splitlines()],
        " *",
        " * The source databases of the migrations. Include this file from",
        " * settings.php on the machine that migrates, then replace each REPLACE_ value",
        " * with the hosting team's connection (never commit real credentials).",
        " */",
        "",
    ]
    for g in groups:
        if not g.prefix:
            continue
        lines += [
            f"// {comment_safe(g.label)}: wave {g.wave}.",
            f"$databases[{_php_string(database_key(g.id))}]['default'] = [",
            "  'driver' => 'mysql',",
            "  'database' => 'REPLACE_DATABASE_NAME',",
            "  'username' => 'REPLACE_USERNAME',",
            "  'password' => 'REPLACE_PASSWORD',",
            "  'host' => 'REPLACE_HOST',",
            "  'port' => '3306',",
            "  'prefix' => '',",
            "];",
            "",
        ]
    return "\n".join(lines)
