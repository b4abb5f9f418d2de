"""Search talks to Elasticsearch 9 through the official client and the DSL built into it
(``elasticsearch.dsl``, merged into the client in 8.18/9.0), not through the separate
``elasticsearch-dsl`` distribution, whose releases no longer follow the client's."""

from __future__ import annotations

import importlib.util
from importlib.metadata import PackageNotFoundError, version

import elasticsearch
import elasticsearch.dsl
import pytest

from search.backends import elastic


def test_the_official_client_installed_is_major_version_9():
    """The client's major version must match the cluster's (Elasticsearch 9)."""
    assert version("elasticsearch").split(".")[0] == "9"


def test_the_separate_elasticsearch_dsl_distribution_is_not_installed():
    """Two DSLs side by side could be mixed up in an import; only the client's is wanted."""
    with pytest.raises(PackageNotFoundError):
        version("elasticsearch-dsl")
    assert importlib.util.find_spec("elasticsearch_dsl") is None


def test_the_elasticsearch_backend_is_written_with_the_clients_built_in_dsl():
    assert elastic.dsl is elasticsearch.dsl
    assert elastic.Elasticsearch is elasticsearch.Elasticsearch
    assert issubclass(elastic.DoctorEntry, elasticsearch.dsl.Document)
    assert issubclass(elastic.FacilityEntry, elasticsearch.dsl.Document)
    assert issubclass(elastic.CaseEntry, elasticsearch.dsl.Document)
