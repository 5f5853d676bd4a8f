"""Connection and path settings, read once at the CLI edge and passed in."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from graph_builder.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = PROJECT_ROOT / "corpus"
DEFAULT_OUT = Path("build")
DEFAULT_BASE_IRI = "https://milgraph.org/id/"
# The local server started by `milgraph neo4j start` uses these unless told otherwise.
LOCAL_USER = "neo4j"
LOCAL_PASSWORD = "milgraph-local"


@dataclass(frozen=True)
class Neo4jSettings:
    uri: str = "bolt://127.0.0.1:7687"
    user: str = LOCAL_USER
    password: str = LOCAL_PASSWORD
    database: str = "neo4j"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Neo4jSettings:
        """NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE override the defaults.

        >>> Neo4jSettings.from_env({"NEO4J_URI": "bolt://db:7687"}).uri
        'bolt://db:7687'
        """
        env = os.environ if env is None else env
        return cls(
            uri=env.get("NEO4J_URI") or cls.uri,
            user=env.get("NEO4J_USER") or cls.user,
            password=env.get("NEO4J_PASSWORD") or cls.password,
            database=env.get("NEO4J_DATABASE") or cls.database,
        )

    def masked(self) -> dict[str, str]:
        """The settings for display: the password never appears.

        >>> Neo4jSettings(password="s3cret").masked()["password"]
        '********'
        """
        return {
            "uri": self.uri,
            "user": self.user,
            "password": "********" if self.password else "",
            "database": self.database,
        }

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return f"Neo4jSettings(uri={self.uri!r}, user={self.user!r}, database={self.database!r})"


@dataclass(frozen=True)
class Settings:
    """Effective configuration: defaults < milgraph.toml / [tool.milgraph] < environment."""

    corpus: Path = SAMPLE_CORPUS
    out: Path = DEFAULT_OUT
    base_iri: str = DEFAULT_BASE_IRI
    jobs: int = 1
    batch_size: int = 1000
    neo4j: Neo4jSettings = field(default_factory=Neo4jSettings)
    source: str = "defaults"

    def masked(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "corpus": str(self.corpus),
            "out": str(self.out),
            "base_iri": self.base_iri,
            "jobs": self.jobs,
            "batch_size": self.batch_size,
            "neo4j": self.neo4j.masked(),
        }


def _config_table(directory: Path) -> tuple[dict[str, Any], str]:
    """The [milgraph]-level table from milgraph.toml, else pyproject's [tool.milgraph]."""
    for path, pick in (
        (directory / "milgraph.toml", lambda d: d),
        (directory / "pyproject.toml", lambda d: d.get("tool", {}).get("milgraph")),
    ):
        if not path.is_file():
            continue
        try:
            table = pick(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(path, None, f"not valid TOML: {exc}") from None
        if table is not None:
            return table, str(path)
    return {}, "defaults"


def load_settings(directory: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read milgraph.toml (or [tool.milgraph] in pyproject.toml) from `directory`, then
    apply NEO4J_* and MILGRAPH_* environment variables.

    >>> load_settings(Path("/nonexistent"), {"MILGRAPH_JOBS": "2"}).jobs
    2
    """
    env = os.environ if env is None else env
    table, source = _config_table(directory or Path.cwd())
    known = {f.name for f in fields(Settings)} - {"source"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(
            source,
            None,
            f"unknown setting(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}",
        )
    expected = {"corpus": str, "out": str, "base_iri": str, "jobs": int, "batch_size": int}
    for key, kind in expected.items():
        if key in table and not isinstance(table[key], kind):
            raise InputError(source, None, f"{key!r} must be a {kind.__name__}, got {table[key]!r}")
    neo4j_table = table.get("neo4j", {})
    if not isinstance(neo4j_table, dict) or set(neo4j_table) - {
        "uri",
        "user",
        "password",
        "database",
    }:
        raise InputError(source, None, "[neo4j] takes uri, user, password, database")
    neo4j = (
        Neo4jSettings(**{k: str(v) for k, v in neo4j_table.items()})
        if neo4j_table
        else Neo4jSettings()
    )
    defaults = Settings()
    return Settings(
        corpus=Path(env.get("MILGRAPH_CORPUS") or table.get("corpus") or defaults.corpus),
        out=Path(env.get("MILGRAPH_OUT") or table.get("out") or defaults.out),
        base_iri=env.get("MILGRAPH_BASE_IRI") or table.get("base_iri") or defaults.base_iri,
        jobs=int(env.get("MILGRAPH_JOBS") or table.get("jobs") or defaults.jobs),
        batch_size=int(
            env.get("MILGRAPH_BATCH_SIZE") or table.get("batch_size") or defaults.batch_size
        ),
        source=source,
        neo4j=Neo4jSettings(
            uri=env.get("NEO4J_URI") or neo4j.uri,
            user=env.get("NEO4J_USER") or neo4j.user,
            password=env.get("NEO4J_PASSWORD") or neo4j.password,
            database=env.get("NEO4J_DATABASE") or neo4j.database,
        ),
    )
