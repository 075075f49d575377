"""The codebase scanner on the real Northwind tree and the Comms example docroot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drupalscan.collect.codebase import for_profile, scan_codebase
from drupalscan.collect.docroot import ScanError, find_docroot
from drupalscan.collect.sitesdir import resolve_site_dir
from tests.conftest import COMMS_DOCROOT, NORTHWIND


def test_northwind_extensions_match_ground_truth(northwind_docroot: Path) -> None:
    facts = scan_codebase(northwind_docroot)
    truth = {
        m["name"]: m for m in json.loads((NORTHWIND / "FACTS.json").read_text())["modules"]["all"]
    }
    found = {m.name: m for m in facts.modules}
    # The install profile is a 'module' in Drupal's system table; we list it as a profile.
    assert set(truth) - set(found) == {"standard"}
    assert "standard" in facts.profiles
    for name, mod in found.items():
        expected = truth[name]
        assert mod.path == expected["path"], name
        assert mod.project == expected["project"], name
        assert mod.version == expected["version"], name
        deps = [d.split(":")[-1].split(" ")[0] for d in expected["dependencies"]]
        assert mod.dependencies == deps, name
        origin = {"core": "core", "contrib": "contrib", "custom": "custom"}[expected["origin"]]
        assert mod.type == origin, name
    assert facts.docroot.kind == "drupal7" and facts.docroot.core_version == "7.79"


def test_northwind_sub_module_in_test_dir_resolved_like_drupal(northwind_docroot: Path) -> None:
    facts = scan_codebase(northwind_docroot)
    mod = next(m for m in facts.modules if m.name == "drupal_system_listing_compatible_test")
    # profiles/testing is not the install profile, so core's copy is the one Drupal loads.
    assert mod.path == "modules/simpletest/tests/drupal_system_listing_compatible_test"


def test_northwind_themes(northwind_docroot: Path) -> None:
    themes = {t.name: t for t in scan_codebase(northwind_docroot).themes}
    assert themes["northwind"].type == "custom"
    assert themes["northwind"].base_theme == "garland"
    assert themes["northwind"].engine == "phptemplate"
    assert "hr_notice" in themes["northwind"].regions
    assert themes["bartik"].type == "core"


@pytest.fixture(scope="module")
def comms():  # type: ignore[no-untyped-def]
    return scan_codebase(COMMS_DOCROOT)


def test_comms_version_and_multisite(comms) -> None:  # type: ignore[no-untyped-def]
    assert comms.docroot.kind == "drupal7"
    assert comms.docroot.core_version == "7.98"
    assert "sites/default" in comms.multisite
    assert "sites/events.northwind.example" in comms.multisite
    assert any(m.startswith("alias ") for m in comms.multisite)


def test_comms_duplicate_and_patches(comms) -> None:  # type: ignore[no-untyped-def]
    mods = {m.name: m for m in comms.modules}
    token = mods["token"]
    assert token.path == "sites/default/modules/token"
    assert token.other_paths == ["sites/all/modules/contrib/token"]
    # PATCHES.txt lists the one .patch beside it: one patch, not two.
    assert mods["views"].patches == [
        "sites/all/modules/contrib/views/views-exposed-sort-label-comms.patch"
    ]


def test_comms_custom_code(comms) -> None:  # type: ignore[no-untyped-def]
    mod = next(m for m in comms.modules if m.name == "comms_news")
    assert mod.type == "custom"
    assert mod.code is not None
    assert mod.code.php_lines > 100
    assert {"hook_menu", "hook_block_info", "hook_block_view"} <= set(mod.code.hooks)
    symbols = {u.symbol for u in mod.code.api_uses}
    assert {"variable_get", "db_query", "drupal_add_js", "theme", "hook_menu"} <= symbols
    # Evidence points at real lines.
    use = next(u for u in mod.code.api_uses if u.symbol == "variable_get")
    line = (COMMS_DOCROOT / use.file).read_text().splitlines()[use.line - 1]
    assert "variable_get" in line
    theme = next(t for t in comms.themes if t.name == "comms")
    assert theme.code is not None and len(theme.code.templates) >= 3
    # Templates are not scanned for API calls (they are rewritten as Twig).
    assert not any(u.file.endswith(".tpl.php") for u in theme.code.api_uses)


def test_docroot_inside_repository(tmp_path: Path) -> None:
    web = tmp_path / "repo" / "web" / "includes"
    web.mkdir(parents=True)
    (web / "bootstrap.inc").write_text("<?php define('VERSION', '7.103');")
    root = find_docroot(tmp_path / "repo")
    assert root.path.name == "web" and root.core_version == "7.103"


def test_drupal_6_and_8_and_changelog(tmp_path: Path) -> None:
    d6 = tmp_path / "d6"
    (d6 / "includes").mkdir(parents=True)
    (d6 / "includes" / "bootstrap.inc").write_text("<?php // no version here")
    (d6 / "modules" / "system").mkdir(parents=True)
    (d6 / "modules" / "system" / "system.module").write_text("<?php define('VERSION', '6.38');")
    assert find_docroot(d6).kind == "drupal6"
    d10 = tmp_path / "d10"
    (d10 / "core" / "lib").mkdir(parents=True)
    (d10 / "core" / "lib" / "Drupal.php").write_text(
        "<?php class Drupal { const VERSION = '10.2.3'; }"
    )
    assert (find_docroot(d10).kind, find_docroot(d10).core_version) == ("drupal8+", "10.2.3")
    log = tmp_path / "log"
    (log / "includes").mkdir(parents=True)
    (log / "includes" / "bootstrap.inc").write_text("<?php")
    (log / "CHANGELOG.txt").write_text("\nDrupal 7.69, 2019-12-18\n---\n")
    assert find_docroot(log).core_version == "7.69"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "no such file or directory"),
        (lambda p: p.write_text("x"), "not a directory"),
        (lambda p: p.mkdir(), "not a Drupal docroot"),
    ],
)
def test_bad_paths(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "target"
    setup(target)
    with pytest.raises(ScanError, match=message):
        find_docroot(target)


def test_hostile_tree(tmp_path: Path, northwind_docroot: Path) -> None:
    root = northwind_docroot
    custom = root / "sites" / "all" / "modules" / "custom"
    # A symlink loop, a link out of the docroot, a broken .info, binary and latin-1 PHP.
    os.symlink("..", custom / "loop")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.info").write_text("name = Evil\ncore = 7.x\n")
    os.symlink(outside, custom / "escape")
    broken = custom / "broken"
    broken.mkdir()
    (broken / "broken.info").write_bytes(b"\x00\x00garbage")
    hr = custom / "northwind_hr"
    (hr / "northwind_hr.module").write_bytes(
        (
            "<?php\n// caf\xe9\nfunction northwind_hr_menu() {\n  return variable_get('x');\n}\n"
        ).encode("latin-1")
    )
    (hr / "blob.inc").write_bytes(b"\x00\x01\x02" * 1000)
    facts = scan_codebase(root)
    names = {m.name for m in facts.modules}
    assert "evil" not in names
    assert "northwind_hr" in names and "views" not in names
    text = " ".join(facts.warnings)
    assert "outside the docroot" in text
    assert "loop" in text
    assert "broken.info" in text
    assert "binary" in text
    hr_mod = next(m for m in facts.modules if m.name == "northwind_hr")
    assert hr_mod.code is not None
    assert {"hook_menu", "variable_get"} <= {u.symbol for u in hr_mod.code.api_uses}


UNREADABLE_CHILD = """
import sys
from drupalscan.collect.codebase import scan_codebase
print("\\n".join(scan_codebase(sys.argv[1]).warnings))
"""


def without_file_override() -> list[str]:
    """A command prefix that runs a child unable to read mode-000 files, even as root.

    CI runs as root, and root reads any file: dropping the capabilities that
    let it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) makes the file really
    unreadable for the scanner in the child.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_unreadable_file_is_a_warning(northwind_docroot: Path) -> None:
    hr = northwind_docroot / "sites" / "all" / "modules" / "custom" / "northwind_hr"
    locked = hr / "locked.inc"
    locked.write_text("<?php db_query('x');")
    locked.chmod(0)
    child = subprocess.run(
        [*without_file_override(), sys.executable, "-c", UNREADABLE_CHILD, str(northwind_docroot)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    assert "locked.inc" in child.stdout


def test_php_is_never_executed(
    tmp_path: Path, northwind_docroot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module whose code would leave a mark if run or included leaves none.

    Whether or not PHP is installed here, a ``php`` (and ``drush``) first on
    PATH records any call, so the test fails if the scanner ever runs one.
    """
    marker = tmp_path / "executed"
    shims = tmp_path / "bin"
    shims.mkdir()
    for name in ("php", "php7.4", "php8.2", "drush"):
        shim = shims / name
        shim.write_text(f"#!/bin/sh\necho {name} >> '{marker}'\n")
        shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    hr = northwind_docroot / "sites" / "all" / "modules" / "custom" / "northwind_hr"
    payload = (
        f"<?php\nfile_put_contents('{marker}', 'ran');\n"
        "function northwind_hr_init() { variable_get('x'); }\n"
    )
    (hr / "northwind_hr.module").write_text(payload)
    (northwind_docroot / "sites" / "default").mkdir(parents=True, exist_ok=True)
    (northwind_docroot / "sites" / "default" / "settings.php").write_text(payload)
    facts = scan_codebase(northwind_docroot)
    assert not marker.exists()
    assert "sites/default" in facts.multisite


# -- install profiles, multisite, patches, .info keys, templates ---------------


def _mini_docroot(root: Path) -> Path:
    """A bare Drupal 7 docroot with core system, two profiles and one profile module."""
    files = {
        "includes/bootstrap.inc": "<?php\ndefine('VERSION', '7.100');\n",
        "modules/system/system.info": (
            "name = System\ncore = 7.x\nrequired = TRUE\nfiles[] = system.test\n"
            'version = "7.100"\nproject = "drupal"\ndatestamp = "1700000000"\n'
        ),
        "profiles/standard/standard.info": "name = Standard\ncore = 7.x\n",
        "profiles/myprof/myprof.info": "name = My profile\ncore = 7.x\n",
        "profiles/myprof/modules/foo/foo.info": "name = Foo\ncore = 7.x\nphp = 5.3\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_profile_modules_follow_the_install_profile(tmp_path: Path) -> None:
    root = _mini_docroot(tmp_path / "site")
    assumed = scan_codebase(root, profile="standard")
    assert assumed.profile == "standard"
    assert "foo" not in {m.name for m in assumed.modules}
    assert sorted(assumed.profiles) == ["myprof", "standard"]
    mine = scan_codebase(root, profile="myprof")
    foo = next(m for m in mine.modules if m.name == "foo")
    assert foo.path == "profiles/myprof/modules/foo"
    # Re-resolving the first pass gives the same result without a new walk.
    (root / "profiles/myprof/modules/late").mkdir()
    (root / "profiles/myprof/modules/late/late.info").write_text("name = Late\ncore = 7.x\n")
    again = for_profile(assumed, "myprof")
    assert again.modules == mine.modules
    assert "late" not in {m.name for m in again.modules}
    gone = for_profile(assumed, "pantheon")
    assert any("install profile pantheon is not in profiles/" in w for w in gone.warnings)


def test_a_lone_distribution_profile_is_assumed_until_a_database_says(tmp_path: Path) -> None:
    """A tree that carries one profile beyond core's is built on it: its modules count."""
    root = _mini_docroot(tmp_path / "site")
    facts = scan_codebase(root)
    assert facts.profile == "myprof"
    assert "foo" in {m.name for m in facts.modules}
    assert any("install profile taken to be myprof" in w for w in facts.warnings)
    (root / "profiles/other/other.info").parent.mkdir(parents=True)
    (root / "profiles/other/other.info").write_text("name = Other\ncore = 7.x\n")
    facts = scan_codebase(root)
    assert facts.profile == "standard"
    assert "foo" not in {m.name for m in facts.modules}
    assert any("several install profiles (myprof, other)" in w for w in facts.warnings)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sites/events.northwind.example", "sites/events.northwind.example"),
        ("sites/events.northwind.example/", "sites/events.northwind.example"),
        ("events.northwind.example", "sites/events.northwind.example"),
        ("https://events.northwind.example/", "sites/events.northwind.example"),
        # conf_path() drops host labels from the left until a directory matches.
        ("www.events.northwind.example", "sites/events.northwind.example"),
        ("newsroom.northwind.example", "sites/default"),  # a sites.php alias
        ("http://newsroom.northwind.example:80/", "sites/default"),
        ("default", "sites/default"),
    ],
)
def test_site_dir_forms(given: str, expected: str) -> None:
    assert resolve_site_dir(COMMS_DOCROOT, given) == expected


@pytest.mark.parametrize("given", ["sites/nosuch", "intranet.example.org", "sites/all", "all"])
def test_unknown_site_dir_lists_the_known_ones(given: str) -> None:
    with pytest.raises(ScanError) as err:
        scan_codebase(COMMS_DOCROOT, site_dir=given)
    message = str(err.value)
    assert given in message
    assert "sites/default, sites/events.northwind.example" in message
    assert "newsroom.northwind.example -> sites/default" in message


def test_multisite_site_has_its_own_modules(comms) -> None:  # type: ignore[no-untyped-def]
    assert "events_signup" not in {m.name for m in comms.modules}
    events = scan_codebase(COMMS_DOCROOT, site_dir="events.northwind.example")
    assert events.site_dir == "sites/events.northwind.example"
    mods = {m.name: m for m in events.modules}
    signup = mods["events_signup"]
    assert signup.type == "custom" and signup.code is not None
    assert "hook_menu" in signup.code.hooks
    # sites/default's own token copy belongs to the default site only.
    assert mods["token"].path == "sites/all/modules/contrib/token"
    assert mods["token"].other_paths == []


def test_alias_to_another_site(tmp_path: Path) -> None:
    root = tmp_path / "docroot"
    shutil.copytree(COMMS_DOCROOT, root)
    (root / "sites/sites.php").write_text(
        "<?php\n// $sites['old.example'] = 'default';\n"
        "$sites['8080.events.example.org.sub'] = 'events.northwind.example';\n"
        "$sites['signup.example'] = 'events.northwind.example';\n"
    )
    assert resolve_site_dir(root, "signup.example") == "sites/events.northwind.example"
    # Port first, then the host, then the path, as Drupal spells the key.
    assert resolve_site_dir(root, "events.example.org:8080/sub") == (
        "sites/events.northwind.example"
    )
    with pytest.raises(ScanError, match="old.example"):
        resolve_site_dir(root, "old.example")  # commented out
    facts = scan_codebase(root, site_dir="signup.example")
    assert "events_signup" in {m.name for m in facts.modules}


def test_core_and_theme_patches(tmp_path: Path) -> None:
    root = tmp_path / "docroot"
    shutil.copytree(COMMS_DOCROOT, root)
    (root / "PATCHES.txt").write_text("- core-session-fix.patch\n")
    (root / "core-session-fix.patch").write_text("--- a/includes/session.inc\n")
    (root / "includes/bootstrap-fix.patch").write_text("--- a/includes/bootstrap.inc\n")
    (root / "modules/node/node-access.patch").write_text("--- a/modules/node/node.module\n")
    (root / "sites/all/themes/comms/menu-fix.patch").write_text("--- a/template.php\n")
    (root / "themes/bartik/color.patch").write_text("--- a/color/color.inc\n")
    (root / "sites/all/patches").mkdir()
    (root / "sites/all/patches/mystery.patch").write_text("--- a/x\n")
    facts = scan_codebase(root)
    system = next(m for m in facts.modules if m.name == "system")
    assert system.project == "drupal" and system.type == "core"
    # PATCHES.txt stands for the patches it lists; here the file beside it.
    assert system.patches == [
        "core-session-fix.patch",
        "includes/bootstrap-fix.patch",
        "modules/node/node-access.patch",
    ]
    themes = {t.name: t for t in facts.themes}
    assert themes["comms"].patches == ["sites/all/themes/comms/menu-fix.patch"]
    assert themes["bartik"].patches == ["themes/bartik/color.patch"]
    views = next(m for m in facts.modules if m.name == "views")
    assert views.patches and all("/views/" in p for p in views.patches)
    assert any("sites/all/patches/mystery.patch" in w for w in facts.warnings)


def test_info_keys_kept(tmp_path: Path, comms) -> None:  # type: ignore[no-untyped-def]
    facts = scan_codebase(_mini_docroot(tmp_path / "site"), profile="myprof")
    mods = {m.name: m for m in facts.modules}
    system = mods["system"]
    assert system.required is True and system.hidden is False
    assert system.core == "7.x"
    assert system.datestamp == "1700000000"
    assert system.files == ["system.test"]
    assert mods["foo"].php == "5.3" and mods["foo"].required is False
    assert mods["foo"].datestamp is None and mods["foo"].files == []
    theme = next(t for t in comms.themes if t.name == "comms")
    assert theme.stylesheets == {"all": ["css/comms.css"], "print": ["css/comms-print.css"]}
    assert theme.scripts == ["js/comms.js"]


def test_templates_of_every_theme(tmp_path: Path) -> None:
    root = tmp_path / "docroot"
    shutil.copytree(COMMS_DOCROOT, root)
    bartik = root / "themes/bartik/templates"
    bartik.mkdir()
    (bartik / "page.tpl.php").write_text("<?php print render($page['content']); ?>\n")
    (bartik / "node.tpl.php").write_text("<?php print variable_get('x'); ?>\n")
    (root / "themes/bartik/template.php").write_text("<?php function bartik_x() {}\n")
    facts = scan_codebase(root)
    themes = {t.name: t for t in facts.themes}
    code = themes["bartik"].code
    assert code is not None
    assert code.templates == [
        "themes/bartik/templates/node.tpl.php",
        "themes/bartik/templates/page.tpl.php",
    ]
    # Core and contrib themes: template names only, no PHP read or measured.
    assert (code.php_files, code.php_lines, code.hooks, code.api_uses) == (0, 0, [], [])
    assert themes["seven"].code is not None and themes["seven"].code.templates == []
    assert themes["comms"].code is not None and len(themes["comms"].code.templates) == 4


def test_huge_php_file_is_counted_not_read(northwind_docroot: Path) -> None:
    hr = northwind_docroot / "sites" / "all" / "modules" / "custom" / "northwind_hr"
    with (hr / "generated.inc").open("wb") as fh:
        fh.write(b"<?php\n" + b"// variable_get('x');\n" * 150_000)  # ~3.3 MB
    facts = scan_codebase(northwind_docroot)
    hr_mod = next(m for m in facts.modules if m.name == "northwind_hr")
    assert hr_mod.code is not None and hr_mod.code.php_files >= 1
    assert not any(u.file.endswith("generated.inc") for u in hr_mod.code.api_uses)
    assert any("generated.inc" in w and "too large" in w for w in facts.warnings)


def test_contrib_is_what_drupal_org_packaged_or_the_kb_knows(tmp_path: Path) -> None:
    """A ``project =`` line alone is not proof of contrib (issue 13)."""
    root = _mini_docroot(tmp_path / "site")
    footer = (
        "\n; Information added by Drupal.org packaging script on 2019-04-03\n"
        'version = "7.x-1.4"\ncore = "7.x"\nproject = "{p}"\ndatestamp = "1554307093"\n'
    )
    files = {
        # Packaged by drupal.org, a project the knowledge base has never seen.
        "sites/all/modules/rare_widget/rare_widget.info": "name = Rare widget\ncore = 7.x\n"
        + footer.format(p="rare_widget"),
        # An agency's own module with a project line it wrote itself.
        "sites/all/modules/acme_events/acme_events.info": (
            "name = ACME events\ncore = 7.x\nproject = acme_events\nversion = 7.x-2.0\n"
        ),
        "sites/all/modules/acme_events/acme_events.module": (
            "<?php\nfunction acme_events_menu() {\n  return array();\n}\n"
        ),
        # A git checkout of a known project: no footer, but the project is known.
        "sites/all/modules/token/token.info": "name = Token\ncore = 7.x\nproject = token\n",
        # No project line, unknown name: the site's own.
        "sites/all/modules/acme_tweaks/acme_tweaks.info": "name = ACME tweaks\ncore = 7.x\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    modules = {m.name: m for m in scan_codebase(root).modules}
    assert (modules["rare_widget"].type, modules["rare_widget"].project) == (
        "contrib",
        "rare_widget",
    )
    assert (modules["acme_events"].type, modules["acme_events"].project) == (
        "unverified",
        "acme_events",
    )
    assert modules["acme_events"].code is not None
    assert modules["acme_events"].code.php_lines == 4  # measured like custom code
    assert modules["token"].type == "contrib"
    assert modules["acme_tweaks"].type == "custom"
