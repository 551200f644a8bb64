"""Shared fixtures: the codebook, the reference tables and one in-memory sample export."""

from __future__ import annotations

import pytest

from analysis import sample
from analysis.codebook import Codebook, load_codebook


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return load_codebook()


@pytest.fixture(scope="session")
def export(codebook: Codebook) -> sample.SampleExport:
    """The sample export regenerated from params/sample.yaml (same seed as the committed one)."""
    return sample.generate(codebook)
