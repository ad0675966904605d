"""Package-level promises: version, discovery, demo, docs and examples coverage."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import skmanifold_attn
from skmanifold_attn._demo import DEMO_CASES, run_demo
from skmanifold_attn.utils import all_estimators
from skmanifold_attn.utils._test_configs import GRIDS

ROOT = Path(__file__).resolve().parents[1]
ESTIMATORS = all_estimators()


def test_version_is_exposed():
    assert re.match(r"^\d+\.\d+\.\d+", skmanifold_attn.__version__)


def test_all_estimators_finds_exported_classes():
    names = [name for name, _ in ESTIMATORS]
    assert names == sorted(set(names))
    for name, cls in ESTIMATORS:
        assert not name.startswith("_")
        assert getattr(skmanifold_attn, name) is cls, f"{name} not in top level"
        assert name in skmanifold_attn.__all__


def test_all_estimators_type_filter():
    transformers = all_estimators(type_filter="transformer")
    assert {name for name, _ in transformers} <= {name for name, _ in ESTIMATORS}
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators(type_filter="nonsense")


@pytest.mark.parametrize("name, cls", ESTIMATORS)
def test_estimator_is_everywhere_it_should_be(name, cls):
    assert cls in {case.estimator_class for case in DEMO_CASES}, f"{name} not in demo"
    assert name in GRIDS, f"{name} has no grid for the distributed test"
    api = (ROOT / "doc" / "api.rst").read_text()
    assert re.search(rf"^\s+{name}$", api, re.M), f"{name} not in doc/api.rst"
    examples = " ".join(p.read_text() for p in (ROOT / "examples").glob("plot_*.py"))
    assert name in examples, f"no example uses {name}"


@pytest.mark.parametrize("name, cls", ESTIMATORS)
def test_estimator_docstring_sections(name, cls):
    doc = inspect.getdoc(cls)
    for section in ("Parameters", "Attributes", "See Also", "References", "Examples"):
        assert re.search(rf"^{section}\n-+$", doc, re.M), f"{name}: no {section}"
    assert ">>> " in doc


@pytest.mark.parametrize("name, cls", ESTIMATORS)
def test_init_only_stores_keyword_only_params(name, cls):
    signature = inspect.signature(cls.__init__)
    for param in list(signature.parameters.values())[1:]:
        assert param.kind is param.KEYWORD_ONLY, f"{name}.{param.name}"
    assert set(cls._parameter_constraints) >= set(signature.parameters) - {"self"}


def test_cli_help():
    out = subprocess.run(
        [sys.executable, "-m", "skmanifold_attn", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--out" in out and "digits" in out


@pytest.mark.timeout(300)
def test_demo_runs_every_case(tmp_path, capsys):
    results = run_demo(out=tmp_path, plot=True)
    assert [r["name"] for r in results] == [case.name for case in DEMO_CASES]
    for result in results:
        assert result["test_accuracy"] > 0.5, result["name"]
        assert 0.5 < result["trustworthiness"] <= 1, result["name"]
    assert (tmp_path / "embeddings.png").stat().st_size > 10_000
    table = capsys.readouterr().out
    assert "fit time" in table and "test accuracy" in table
    assert "trustworthiness" in table


@pytest.mark.timeout(300)
def test_readme_example_runs(capsys):
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "README.md has no python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    assert "n_neighbors" in capsys.readouterr().out
