"""Connection and path settings, read once at the CLI edge and passed in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
