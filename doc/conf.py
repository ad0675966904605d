"""Sphinx configuration of the skmanifold_attn documentation."""

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The gallery links the names an example uses to their documentation, which
# looks up sklearn.impute.IterativeImputer: importable only once enabled.
from sklearn.experimental import enable_iterative_imputer  # noqa: F401, E402

import skmanifold_attn

project = "skmanifold_attn"
author = "The skmanifold_attn developers"
copyright = "2026, The skmanifold_attn developers"
version = release = skmanifold_attn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.doctest",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "sg_execution_times.rst"]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# The docstrings' numpydoc sections give the types; the annotations in the
# signatures would only repeat them (numpy's ArrayLike at full length).
autodoc_typehints = "none"

html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_title = f"skmanifold_attn {release}"
# Gallery pages are code: give them the page's full width (no sidebars), so
# that an 88-column line is not cut off on a 1280-pixel screen.
html_theme_options = {
    "secondary_sidebar_items": {"auto_examples/**": []},
}
html_sidebars = {"auto_examples/**": [], "index": []}

# The examples run when the gallery is built; `-D plot_gallery=0` skips them.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "download_all_examples": False,
    "plot_gallery": os.environ.get("SKMA_PLOT_GALLERY", "True"),
    # The first figure of each example is its thumbnail unless the example
    # names another (``# sphinx_gallery_thumbnail_number = N``).
    "thumbnail_size": (400, 300),
    "within_subsection_order": "FileNameSortKey",
    # The class template's minigallery lists the examples using each class.
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skmanifold_attn",),
}


def _unlink_sklearn_refs(app, what, name, obj, options, lines):
    # Methods inherited from scikit-learn (set_output, get_metadata_routing,
    # set_score_request) carry :ref: and :term: links to labels and glossary
    # terms of scikit-learn's own docs, undefined here (and no intersphinx
    # offline): keep their text, drop the link.
    if not (getattr(obj, "__module__", None) or "").startswith("sklearn"):
        return
    for i, line in enumerate(lines):
        lines[i] = re.sub(r":(?:ref|term):`([^`<]+?)\s*(?:<[^`>]*>)?`", r"\1", line)


FRONT_FIGURE = Path(__file__).parent / "generated" / "front_figure.txt"
FRONT_FIGURE_DIR = Path(__file__).parent / "generated" / "demo"


def _front_page_figure(app):
    # The demo figure of the front page is made at build time (no binary in
    # the repository), with the gallery: builds without it get a sentence.
    FRONT_FIGURE.parent.mkdir(parents=True, exist_ok=True)
    if str(app.config.sphinx_gallery_conf.get("plot_gallery")) in ("False", "0"):
        text = (
            "*(The figure of* ``skmanifold-attn demo`` *appears here when the "
            "documentation is built with its gallery.)*\n"
        )
    else:
        import contextlib
        import io

        from skmanifold_attn._demo import run_demo

        with contextlib.redirect_stdout(io.StringIO()):
            run_demo(out=FRONT_FIGURE_DIR, plot=True)
        text = (
            ".. figure:: /generated/demo/embeddings.png\n"
            "   :alt: The digits embedded by each estimator of the suite\n"
            "   :width: 100%\n\n"
            "   What ``skmanifold-attn demo`` prints as a figure: held-out digits "
            "in the space of each estimator, tuned by a grid search in a "
            "Pipeline.\n"
        )
    if not FRONT_FIGURE.exists() or FRONT_FIGURE.read_text() != text:
        FRONT_FIGURE.write_text(text)


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_sklearn_refs)
    # After sphinx-gallery's own builder-inited handler (priority 500).
    app.connect("builder-inited", _front_page_figure, priority=900)
