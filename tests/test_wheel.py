"""The built wheel carries rules, templates, knowledge base and examples.

Builds the wheel, installs it into a fresh virtual environment and runs
`drupalscan rules` and `drupalscan demo` from outside the repository.

The new environment gets its dependencies from the environment running the
tests, named explicitly (a ``.pth`` file listing that interpreter's
site-packages folders), not from the system Python: the suite runs in a
user's virtualenv, on the system Python and in CI alike, with no download.
A ``.pth`` file's own folder is not scanned for further ``.pth`` files, so
the editable drupalscan install of the test environment stays invisible and
the import must come from the wheel.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def dependency_folders() -> list[str]:
    """The site-packages folders the running interpreter imports its packages from."""
    paths = sysconfig.get_paths()
    folders = [paths["purelib"], paths["platlib"]]
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        folders.append(site.getusersitepackages())
    return list(dict.fromkeys(folders))


@pytest.mark.slow
def test_wheel_installs_and_runs(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = dist.glob("drupalscan-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py = env_dir / "bin" / "python"
    (env_site,) = (env_dir / "lib").glob("python3.*/site-packages")
    (env_site / "test-environment.pth").write_text("\n".join(dependency_folders()) + "\n")
    inst = subprocess.run(
        [str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.run(
        [str(py), "-c", "import drupalscan, drupalscan.kb; print(drupalscan.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert str(env_dir) in where.stdout, where.stdout + where.stderr
    deps = subprocess.run(
        [str(py), "-c", "import bs4, click, jinja2, lxml, networkx, requests"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert deps.returncode == 0, deps.stderr
    exe = env_dir / "bin" / "drupalscan"
    rules = subprocess.run(
        [str(exe), "rules"], cwd=work, capture_output=True, text=True, env=env, timeout=60
    )
    assert rules.returncode == 0, rules.stderr
    assert "D7-MOD-001" in rules.stdout
    demo = subprocess.run(
        [str(exe), "--store", str(work / "d.db"), "demo", "-o", str(work / "report.html")],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    html = (work / "report.html").read_text()
    assert "Northwind Communications" in html and "<svg" in html
