"""Configuration: milgraph.toml, [tool.milgraph], environment overrides, masked secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_builder.config import load_settings
from graph_builder.errors import InputError


def test_toml_then_environment(tmp_path: Path) -> None:
    (tmp_path / "milgraph.toml").write_text(
        'corpus = "articles"\njobs = 2\n[neo4j]\nuri = "bolt://db:7687"\npassword = "from-file"\n'
    )
    settings = load_settings(tmp_path, {"NEO4J_PASSWORD": "from-env", "MILGRAPH_JOBS": "1"})
    assert settings.corpus == Path("articles")
    assert settings.jobs == 1
    assert settings.neo4j.uri == "bolt://db:7687"
    assert settings.neo4j.password == "from-env"
    assert settings.source.endswith("milgraph.toml")


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.milgraph]\nbase_iri = "https://x.org/"\n')
    assert load_settings(tmp_path, {}).base_iri == "https://x.org/"


def test_secrets_never_shown(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {"NEO4J_PASSWORD": "hunter2-secret"})
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in str(settings.masked())


@pytest.mark.parametrize(
    ("text", "message"),
    [("jobs = 'two'", "'jobs' must be a int"), ("colour = 1", "unknown setting(s) colour")],
)
def test_bad_config_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "milgraph.toml").write_text(text)
    with pytest.raises(InputError, match="milgraph.toml") as caught:
        load_settings(tmp_path, {})
    assert message in str(caught.value)
