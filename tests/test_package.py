"""Package-level promises: version, discovery, demo, docs and examples coverage."""

import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import RegressorMixin

import skmanifold_attn
from skmanifold_attn import _demo
from skmanifold_attn._cli import main
from skmanifold_attn._demo import DEMO_CASES, run_demo, select_cases
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
    # The demo's rows are scored by accuracy: a regressor has no row there.
    if not issubclass(cls, RegressorMixin):
        demo = {case.estimator_class for case in DEMO_CASES}
        assert cls in demo, f"{name} not in demo"
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


@pytest.mark.parametrize(
    "only, expected",
    [
        (["PCA"], ["PCA (reference)"]),
        (["pca (REFERENCE)"], ["PCA (reference)"]),
        (
            ["PCA", "LocallyLinearEmbedding"],
            ["PCA (reference)", "LocallyLinearEmbedding"],
        ),
        (["NPE"], ["PCA(30) + NPE"]),
        (["pca(30)  +  npe"], ["PCA(30) + NPE"]),
        (["LocalityPreservingProjections"], ["PCA(30) + LPP"]),
        (
            ["vae", "lle", "attentionpooling"],
            [
                "LocallyLinearEmbedding",
                "AttentionPooling",
                "AttentionPooling (mixed table)",
                "VAETransformer",
            ],
        ),
        (["table"], ["AttentionPooling (mixed table)"]),
        (None, [case.name for case in DEMO_CASES]),
    ],
)
def test_demo_only_matches_table_and_class_names(only, expected):
    assert [case.name for case in select_cases(only)] == expected


def test_demo_only_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="'nope'") as excinfo:
        select_cases(["PCA", "nope"])
    for case in DEMO_CASES:
        for name in case.names():
            assert name in str(excinfo.value)


def test_cli_only_unknown_name_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["demo", "--only", "PCA", "Isomap", "--no-plot"])
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert "'Isomap'" in err and "LocallyLinearEmbedding" in err and "NPE" in err


def test_cli_without_command_prints_help(capsys):
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out


@pytest.mark.timeout(120)
def test_demo_without_matplotlib_prints_table_and_says_how(
    tmp_path, capsys, monkeypatch
):
    # None in sys.modules makes ``import matplotlib`` raise ImportError, as on
    # a machine without it.
    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert not _demo.matplotlib_available()
    results = run_demo(out=tmp_path / "out", only=["PCA"], plot=True, cv=2)
    assert [r["name"] for r in results] == ["PCA (reference)"]
    out = capsys.readouterr().out
    assert "matplotlib is not installed" in out and ".[examples]" in out
    # Said before the table, and the table is there.
    assert out.index("matplotlib is not installed") < out.index("test accuracy")
    assert "PCA (reference)" in out
    assert not (tmp_path / "out").exists()


def test_demo_figure_is_labelled_and_fills_its_canvas():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    rng = np.random.RandomState(0)
    y = np.arange(60) % 10
    results = [
        {
            "name": f"row {i}",
            "fit_time": 1.0,
            "test_accuracy": 0.9,
            "n_dims": n_dims,
            "embedding": rng.normal(size=(60, 2)),
        }
        for i, n_dims in enumerate([10, 2, 8, 16, 10, 10, 8])
    ]
    fig = _demo.demo_figure(results, y)
    try:
        axes = fig.axes
        assert len(axes) == 8  # 7 panels and the notes: a full 2 x 4 grid
        titles = [ax.get_title() for ax in axes[:7]]
        assert "10-D, PCA view" in titles[0] and "PCA view" not in titles[1]
        texts = " ".join(t.get_text() for t in axes[7].texts).replace("\n", " ")
        assert "2-D PCA projection" in texts
        assert "LogisticRegression" in texts and "held-out rows" in texts
        assert "central 98%" in texts
        assert axes[7].get_legend() is not None
        width, height = fig.get_size_inches()
        assert width > height  # slide-shaped
    finally:
        plt.close(fig)


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_readme_example_runs(capsys):
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "README.md has no python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    assert "n_neighbors" in capsys.readouterr().out


def _pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_package_metadata():
    project = _pyproject()["project"]
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"] == ["LICENSE"]
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text()
    assert project["authors"] and all(a.get("name") for a in project["authors"])
    assert "Typing :: Typed" in project["classifiers"]
    package_data = _pyproject()["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["skmanifold_attn"]
    assert (ROOT / "skmanifold_attn" / "py.typed").is_file()


def test_console_script_runs_the_cli():
    target = _pyproject()["project"]["scripts"]["skmanifold-attn"]
    module, name = target.split(":")
    assert getattr(__import__(module, fromlist=[name]), name) is main
    assert main([]) == 0


def test_readme_test_command_is_what_ci_runs():
    # .ci/run takes the first README line of this form and runs it as is, in
    # a fresh virtualenv: so CI runs every test, the slow ones included.
    readme = (ROOT / "README.md").read_text()
    command = re.search(r'^\s*(pip install -e "\.\[test\]" && pytest.*)$', readme, re.M)
    assert command and command.group(1).strip() == 'pip install -e ".[test]" && pytest'
    ci = (ROOT / ".ci" / "run").read_text()
    assert "grep" in ci and "README.md" in ci and 'eval "$test_command"' in ci
    assert "not slow" not in ci


def _public_methods(cls):
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_"):
            continue
        if (member.__module__ or "").startswith("skmanifold_attn"):
            yield name, member


@pytest.mark.parametrize("name, cls", ESTIMATORS)
def test_public_methods_are_annotated(name, cls):
    methods = dict(_public_methods(cls))
    assert "fit" in methods and "transform" in methods
    for method_name, method in methods.items():
        signature = inspect.signature(method)
        for param in list(signature.parameters.values())[1:]:
            assert param.annotation is not param.empty, (
                f"{name}.{method_name}: {param.name} has no annotation"
            )
        assert signature.return_annotation is not signature.empty, (
            f"{name}.{method_name} has no return annotation"
        )


def test_public_functions_are_annotated():
    functions = [
        getattr(skmanifold_attn, name)
        for name in skmanifold_attn.__all__
        if inspect.isfunction(getattr(skmanifold_attn, name))
    ]
    assert functions
    for function in functions:
        signature = inspect.signature(function)
        assert signature.return_annotation is not signature.empty
        for param in signature.parameters.values():
            assert param.annotation is not param.empty, (function, param.name)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_wheel_holds_license_types_marker_and_console_script(tmp_path):
    import zipfile

    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "skmanifold_attn",
        source / "skmanifold_attn",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", "dist", "."],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = (source / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "skmanifold_attn/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))
    )
    assert b"License-Expression: BSD-3-Clause" in metadata
    assert b"Author: The skmanifold_attn developers" in metadata
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    )
    assert b"skmanifold-attn = skmanifold_attn._cli:main" in entry_points
