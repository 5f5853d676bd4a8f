"""The bundled local Neo4j server: Community 5.26 embedded, Bolt on 127.0.0.1 only.

``neo4j/pom.xml`` fetches the jars from Maven Central into ``neo4j/target/lib`` (once; later
starts reuse them) and ``neo4j/Launcher.java`` runs them as a Java 17 single-file program.
:func:`start` spawns it detached, with its data, log (``neo4j.log``) and pid file under
``<build_dir>/neo4j/``, and returns once Bolt answers; :func:`stop` sends SIGTERM, which
runs the launcher's shutdown hook (a clean database shutdown), and waits for the exit.
Starting twice does not start two servers: the pid file names the running one and a port
that something else already holds is refused.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from graph_builder.config import LOCAL_PASSWORD, LOCAL_USER, PROJECT_ROOT
from graph_builder.errors import Neo4jUnavailable

NEO4J_DIR = PROJECT_ROOT / "neo4j"
POM = NEO4J_DIR / "pom.xml"
LAUNCHER = NEO4J_DIR / "Launcher.java"
LIB_DIR = NEO4J_DIR / "target" / "lib"
# Jars whose presence means `mvn package` already ran.
REQUIRED_JARS = ("neo4j-5.*.jar", "neo4j-bolt-5.*.jar", "neo4j-kernel-5.*.jar")
# Java 17 refuses Neo4j's reflective access to NIO internals without these.
JVM_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
)
LOG_TAIL_LINES = 25
READY_MARKER = b"milgraph-neo4j: ready"


@dataclass(frozen=True)
class ServerStatus:
    """Where the local server lives and whether it runs.

    ``started`` is True only when the call that returned this status launched the JVM
    (the test fixture uses it to stop only a server it started itself).
    """

    running: bool
    pid: int | None
    uri: str
    home: Path
    log: Path
    started: bool = False

    def describe(self) -> str:
        """One line for the command line.

        >>> ServerStatus(False, None, "bolt://127.0.0.1:7687", Path("b"), Path("b/l")).describe()
        'not running (data in b)'
        """
        if not self.running:
            return f"not running (data in {self.home})"
        return f"running, pid {self.pid}, {self.uri} (data in {self.home}, log {self.log})"


def _home(build_dir: Path) -> Path:
    return Path(build_dir).resolve() / "neo4j"


def _pid_file(build_dir: Path) -> Path:
    return _home(build_dir) / "neo4j.pid"


def _log_file(build_dir: Path) -> Path:
    return _home(build_dir) / "neo4j.log"


def _uri(port: int) -> str:
    return f"bolt://127.0.0.1:{port}"


def _is_our_server(pid: int) -> bool:
    """True when `pid` is a live (not zombie) launcher JVM, so a reused pid is not ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X") and b"Launcher.java" in cmdline


def _reap(pid: int) -> None:
    """Collect the exit status when we are the parent, so the pid does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _read_pid_file(build_dir: Path) -> dict[str, int] | None:
    try:
        data = json.loads(_pid_file(build_dir).read_text())
        return {"pid": int(data["pid"]), "port": int(data["port"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def _log_tail(build_dir: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = _log_file(build_dir).read_text(errors="replace")
    except OSError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:])


@contextmanager
def _start_lock(build_dir: Path) -> Iterator[None]:
    """Serialise concurrent starts (parallel test sessions, two shells) on one build dir."""
    home = _home(build_dir)
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "start.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def jars_present(lib_dir: Path = LIB_DIR) -> bool:
    """True when the Neo4j jars were already fetched by Maven."""
    return all(any(lib_dir.glob(pattern)) for pattern in REQUIRED_JARS)


def fetch_jars(pom: Path = POM) -> None:
    """Run ``mvn package`` on the pom to download Neo4j and its dependencies (first start)."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jUnavailable(
            f"the Neo4j jars are missing from {LIB_DIR} and Maven (`mvn`) is not installed; "
            "install Maven or point NEO4J_URI at an existing Neo4j"
        )
    result = subprocess.run(
        [mvn, "-q", "-B", "-f", str(pom), "package"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not jars_present():
        output = (result.stdout + result.stderr).strip().splitlines()[-LOG_TAIL_LINES:]
        raise Neo4jUnavailable(
            f"`mvn -f {pom} package` failed (exit {result.returncode}):\n" + "\n".join(output)
        )


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    if candidate is not None and candidate.exists():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise Neo4jUnavailable("Java 17 is needed to run the local Neo4j; `java` was not found")
    return found


def _launcher_ready(log_path: Path, offset: int) -> bool:
    try:
        with open(log_path, "rb") as log:
            log.seek(offset)
            return READY_MARKER in log.read()
    except OSError:
        return False


def _bolt_answers(uri: str, password: str) -> bool:
    from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

    from neo4j import GraphDatabase

    try:
        with GraphDatabase.driver(
            uri, auth=(LOCAL_USER, password), connection_timeout=2.0
        ) as driver:
            driver.verify_connectivity()
        return True
    except AuthError as exc:
        raise Neo4jUnavailable(
            f"the local Neo4j at {uri} refused the password it was started with: {exc}"
        ) from None
    except (ServiceUnavailable, Neo4jError, OSError):
        return False


def status(build_dir: Path = Path("build")) -> ServerStatus:
    """Whether the local server of `build_dir` runs, its pid and Bolt URI.

    >>> import tempfile
    >>> status(Path(tempfile.mkdtemp())).running
    False
    """
    info = _read_pid_file(build_dir)
    port = info["port"] if info else 7687
    running = info is not None and _is_our_server(info["pid"])
    return ServerStatus(
        running=running,
        pid=info["pid"] if running and info else None,
        uri=_uri(port),
        home=_home(build_dir),
        log=_log_file(build_dir),
    )


def start(
    build_dir: Path = Path("build"),
    port: int = 7687,
    password: str = LOCAL_PASSWORD,
    heap: str = "1g",
    pagecache: str = "256m",
    timeout: float = 180,
) -> ServerStatus:
    """Start the local Neo4j in the background and return once Bolt answers.

    Parameters
    ----------
    build_dir
        Output folder; data, log and pid file go to ``<build_dir>/neo4j/``.
    port
        Bolt port on 127.0.0.1.
    password
        Password of the ``neo4j`` user (at least 8 characters, Neo4j's rule).
    heap, pagecache
        JVM maximum heap and Neo4j page cache, e.g. ``"512m"``, ``"1g"``. The heap bounds
        the largest change set one (atomic) replace can write: about 70% of it is
        transaction memory (measured on synthetic data: 512m held a 40k-statement replace,
        1g not 100k, 2g held 100k).
    timeout
        Seconds to wait for Bolt before giving up (the JVM is then stopped).

    Returns
    -------
    ServerStatus
        ``started`` is False when a server of this build dir was already running.

    Raises
    ------
    Neo4jUnavailable
        Java or Maven missing, port taken by another process, or no Bolt within
        `timeout`; the message carries the tail of the server log.
    """
    if len(password) < 8:
        raise Neo4jUnavailable("the Neo4j password must be at least 8 characters")
    with _start_lock(build_dir):
        current = status(build_dir)
        if current.running:
            return current
        if _port_open(port):
            raise Neo4jUnavailable(
                f"port {port} on 127.0.0.1 is already in use by another process (not the "
                f"milgraph server of {_home(build_dir)}); choose another with --port, or use "
                "that server by setting NEO4J_URI"
            )
        if not jars_present():
            fetch_jars()
        home = _home(build_dir)
        log_path = _log_file(build_dir)
        command = [
            _java(),
            f"-Xms{heap}",
            f"-Xmx{heap}",
            *JVM_FLAGS,
            "-cp",
            str(LIB_DIR / "*"),
            str(LAUNCHER),
            "--home",
            str(home),
            "--port",
            str(port),
            "--pagecache",
            pagecache,
        ]
        env = {**os.environ, "MILGRAPH_NEO4J_PASSWORD": password}
        log_offset = log_path.stat().st_size if log_path.exists() else 0
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(PROJECT_ROOT),
                env=env,
                start_new_session=True,  # survives the CLI; Ctrl-C in the shell does not reach it
            )
        _pid_file(build_dir).write_text(json.dumps({"pid": process.pid, "port": port}))
        uri = _uri(port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                _pid_file(build_dir).unlink(missing_ok=True)
                raise Neo4jUnavailable(
                    f"the local Neo4j exited with code {process.returncode} before Bolt "
                    f"answered on {uri}; last lines of {log_path}:\n{_log_tail(build_dir)}"
                )
            # Bolt listens before the launcher has set the password: wait for its "ready"
            # line, or early logins fail and trip Neo4j's failed-login lockout.
            try:
                if _launcher_ready(log_path, log_offset) and _bolt_answers(uri, password):
                    return ServerStatus(True, process.pid, uri, home, log_path, started=True)
            except Neo4jUnavailable:
                stop(build_dir)
                raise
            time.sleep(1.0)
        stop(build_dir)
        raise Neo4jUnavailable(
            f"the local Neo4j did not answer on {uri} within {timeout:.0f}s and was stopped; "
            f"last lines of {log_path}:\n{_log_tail(build_dir)}"
        )


def stop(build_dir: Path = Path("build"), timeout: float = 60) -> bool:
    """Stop the local server cleanly (SIGTERM, then wait); False when none was running.

    Raises
    ------
    Neo4jUnavailable
        The JVM did not exit within `timeout` seconds (it is then killed).
    """
    info = _read_pid_file(build_dir)
    if info is None or not _is_our_server(info["pid"]):
        _pid_file(build_dir).unlink(missing_ok=True)
        return False
    pid = info["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not _is_our_server(pid):
            _pid_file(build_dir).unlink(missing_ok=True)
            return True
        time.sleep(0.3)
    os.kill(pid, signal.SIGKILL)
    _reap(pid)
    _pid_file(build_dir).unlink(missing_ok=True)
    raise Neo4jUnavailable(
        f"the local Neo4j (pid {pid}) did not shut down within {timeout:.0f}s and was killed; "
        f"see {_log_file(build_dir)}"
    )
