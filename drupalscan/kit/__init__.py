"""The starter kit: the target site's first commit, generated from the plan.

When the client signs, the agency's developers start from what the plan
already knows instead of retyping it: `composer.py` lists the projects the
new site installs, `migrations.py` writes one migrate_plus group per source
site with a migration per content type, vocabulary, users, files and menu
links, `redirects.py` the old URLs' redirect file, `readme.py` the waves as
a checklist and what could not be generated, and `files.py` writes them all
with a manifest, so that a re-run replaces only what it wrote and never a
file someone has edited since.

The kit is a rendering of the `Report` (like the HTML), so it computes no
figure of its own; it only decides how each planned thing is spelled for
Drupal 10/11.
"""

from __future__ import annotations

from drupalscan.kit.files import KitConflict, write_kit

__all__ = ["KitConflict", "write_kit"]
