"""The Sphinx documentation builds without warnings; examples and benchmarks run."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
BENCHMARKS = sorted((ROOT / "benchmarks").glob("bench_*.py"))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sphinx_build_has_no_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("sphinx_gallery")
    env = dict(os.environ, SKMA_PLOT_GALLERY="False")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(ROOT / "doc"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT / "doc",
    )
    assert result.returncode == 0, result.stderr[-5000:]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(example, tmp_path):
    pytest.importorskip("matplotlib")
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, str(example)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    # The gallery shows what an example writes to stderr: no warnings there.
    assert "Warning" not in result.stderr, result.stderr[-5000:]


def _pyproject():
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_install_page_says_how_to_install_from_a_checkout_and_every_extra():
    page = (ROOT / "doc" / "install.rst").read_text()
    # No release on an index yet: no bare "pip install skmanifold-attn".
    assert not re.search(r"pip install skmanifold-attn\b", page)
    assert 'pip install -e ".[test]" && pytest' in page
    assert 'pip install ".[examples]"' in page
    for extra in _pyproject()["project"]["optional-dependencies"]:
        if extra != "bench":  # the benchmarks' own, not a user's
            assert f"``{extra}``" in page, f"extra {extra!r} not on the install page"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_front_page_example_runs(capsys):
    page = (ROOT / "doc" / "index.rst").read_text()
    block = re.search(r"\.\. code-block:: python\n\n(.*?)\n\n\S", page, re.S)
    code = textwrap.dedent(block.group(1))
    assert len(code.strip().splitlines()) <= 12
    exec(compile(code, "doc/index.rst", "exec"), {})
    assert "n_neighbors" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("bench", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_smoke(bench, tmp_path):
    result = subprocess.run(
        [sys.executable, str(bench), "--smoke"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert "ratio" in result.stdout.lower(), result.stdout[-2000:]
