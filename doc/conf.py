"""Sphinx configuration of the skmanifold_attn documentation."""

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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

html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_title = f"skmanifold_attn {release}"

# The examples run when the gallery is built; `-D plot_gallery=0` skips them.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "download_all_examples": False,
    "plot_gallery": os.environ.get("SKMA_PLOT_GALLERY", "True"),
    "within_subsection_order": "FileNameSortKey",
    # The class template's minigallery lists the examples using each class.
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skmanifold_attn",),
}


def _unlink_sklearn_refs(app, what, name, obj, options, lines):
    # Methods inherited from scikit-learn (set_output, get_metadata_routing)
    # carry :ref: links to labels of scikit-learn's own docs, undefined here
    # (and no intersphinx offline): keep their text, drop the link.
    if not (getattr(obj, "__module__", None) or "").startswith("sklearn"):
        return
    for i, line in enumerate(lines):
        lines[i] = re.sub(r":ref:`([^`<]+?)\s*(?:<[^`>]*>)?`", r"\1", line)


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_sklearn_refs)
