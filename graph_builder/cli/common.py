"""What every command shares: the console, error reporting, settings and the driver."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from graph_builder.config import Neo4jSettings
from graph_builder.errors import Neo4jUnavailable
from graph_builder.ontology import DEFAULT_ONTOLOGY, Ontology, load_ontology

if TYPE_CHECKING:
    from neo4j import Driver

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    """Print one clear sentence to stderr and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


def get_ontology(path: Path | None = None) -> Ontology:
    return load_ontology(path or DEFAULT_ONTOLOGY)


@contextmanager
def open_driver(settings: Neo4jSettings, timeout: float = 5.0) -> Iterator[Driver]:
    """A connected driver, or Neo4jUnavailable within `timeout` seconds (never a hang)."""
    from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

    from neo4j import GraphDatabase

    hint = "start the local server with `milgraph neo4j start` or set NEO4J_URI"
    try:
        driver = GraphDatabase.driver(
            settings.uri,
            auth=(settings.user, settings.password),
            connection_timeout=timeout,
            connection_acquisition_timeout=timeout,
            max_transaction_retry_time=timeout * 3,
        )
    except ValueError as exc:
        raise Neo4jUnavailable(f"invalid NEO4J_URI {settings.uri!r}: {exc}") from None
    try:
        try:
            driver.verify_connectivity()
        except AuthError:
            raise Neo4jUnavailable(
                f"Neo4j at {settings.uri} refused the credentials of user {settings.user!r}; "
                "set NEO4J_USER and NEO4J_PASSWORD"
            ) from None
        except (ServiceUnavailable, Neo4jError, OSError) as exc:
            raise Neo4jUnavailable(
                f"cannot reach Neo4j at {settings.uri} ({type(exc).__name__}); {hint}"
            ) from None
        yield driver
    finally:
        driver.close()
