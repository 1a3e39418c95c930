"""Fixtures of the byod tests; the helpers live in byod_support."""

from __future__ import annotations

import pytest
from byod_support import write_cancer, write_diabetes, write_wine


@pytest.fixture(scope="session")
def datasets(tmp_path_factory):
    """The three CSV files, written once per session."""
    root = tmp_path_factory.mktemp("userdata")
    write_wine(root / "wine.csv")
    write_cancer(root / "cancer.csv")
    write_diabetes(root / "diabetes.tsv")
    return root
