"""Sphinx configuration of the sentinelsat documentation.

Build with ``python -m sphinx -W -b html docs docs/_build`` from the project root; the
``-W`` flag turns every warning into an error, as in CI.
"""

import os
import sys

# document the source tree next to this directory, not an installed copy
sys.path.insert(0, os.path.abspath(".."))

import sentinelsat

project = "sentinelsat"
author = "the sentinelsat contributors"
copyright = "the sentinelsat contributors, licensed under the GPLv3+"
version = release = sentinelsat.__version__

extensions = ["sphinx.ext.autodoc", "numpydoc"]

# the examples are tested by tests/test_docs.py; the pages only render them
exclude_patterns = ["_build"]
root_doc = "index"
pygments_style = "sphinx"
highlight_language = "none"

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc docstrings already give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "alabaster"
html_theme_options = {
    "description": "Search and download Copernicus Sentinel products",
    "fixed_sidebar": True,
}
html_static_path: list = []
