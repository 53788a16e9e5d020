"""A real RabbitMQ cluster for the tests: Debian's ``rabbitmq-server`` with its MQTT
plugin, two nodes clustered on loopback.

Each node (:class:`RabbitNode`) has its own node name, AMQP, distribution and MQTT
ports, database and log folders under a temporary directory; the nodes share an
Erlang cookie (``$HOME/.erlang.cookie`` of a temporary ``HOME``) and an ``epmd`` on a
port of their own (``ERL_EPMD_PORT``), so the cluster neither sees nor disturbs
another RabbitMQ on the machine. The scripts are run from ``/usr/lib/rabbitmq/bin``:
Debian's ``/usr/sbin`` wrappers would switch to the ``rabbitmq`` user when run as
root (CI), the real scripts run as whoever starts them.

``stop(kill=True)`` on a node SIGKILLs its Erlang VM (a crash); :meth:`RabbitCluster.close`
stops every node and the cluster's ``epmd``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from tests.server_process import HOST, ServerProcess, free_port, missing, port_open

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
GUEST = ("guest", "guest")
"""RabbitMQ's default user, allowed from loopback only."""


def require_rabbitmq() -> Path:
    """The folder of RabbitMQ's scripts, or skip the test (fail in CI)."""
    if not os.access(RABBITMQ_BIN / "rabbitmq-server", os.X_OK) or shutil.which("erl") is None:
        missing(
            "needs RabbitMQ: install it with `sudo apt-get install rabbitmq-server` "
            "(Debian/Ubuntu; it provides /usr/lib/rabbitmq/bin/rabbitmq-server and Erlang)"
        )
    return RABBITMQ_BIN


class RabbitNode(ServerProcess):
    """One node; :attr:`port` is its MQTT port (ready when it accepts connections)."""

    name = "rabbitmq"
    start_timeout_s = 600.0  # an Erlang VM booting on a busy machine (minutes, seen here)

    def __init__(self, workdir: Path, cluster: RabbitCluster, node_name: str) -> None:
        super().__init__(workdir)
        self.cluster = cluster
        self.node_name = node_name
        self.port = free_port()  # MQTT; kept across restarts
        self.amqp_port = free_port()
        self.dist_port = free_port()
        self.conf_path = workdir / "rabbitmq.conf"
        self.pid_path = workdir / "rabbitmq.pid"

    @property
    def url(self) -> str:
        return f"mqtt://{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        d = self.workdir
        return {
            **self.cluster.env(),
            "RABBITMQ_NODENAME": self.node_name,
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.conf_path),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_path),
            # the distribution port on loopback only
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def _prepare(self) -> None:
        self.conf_path.write_text(
            f"""listeners.tcp.default = {HOST}:{self.amqp_port}
mqtt.listeners.tcp.default = {HOST}:{self.port}
mqtt.allow_anonymous = false
log.console = true
log.console.level = info
log.file = false
""",
            encoding="utf-8",
        )
        (self.workdir / "enabled_plugins").write_text("[rabbitmq_mqtt].\n", encoding="utf-8")

    def _command(self) -> list[str]:
        env = [f"{k}={v}" for k, v in self.env().items()]
        return ["env", *env, str(self.cluster.bin / "rabbitmq-server")]

    def healthy(self) -> bool:
        return port_open(self.port)

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (RabbitMQ shuts down cleanly) or SIGKILL the Erlang VM, then its
        start script."""
        try:
            vm = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            vm = None
        if vm is not None and self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(vm, signal.SIGKILL if kill else signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=60)  # the script ends with its VM
        self.pid_path.unlink(missing_ok=True)
        super().stop(kill=True)


class RabbitCluster:
    """``nodes`` RabbitMQ nodes with the MQTT plugin, the second and later joined to
    the first. ``users`` get a password and full permissions on the default vhost."""

    def __init__(self, workdir: Path, users: dict[str, str], nodes: int = 2) -> None:
        self.bin = require_rabbitmq()
        self.workdir = workdir
        self.home = workdir / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16), encoding="utf-8")
        cookie.chmod(0o400)
        self.epmd_port = free_port()
        self.users = dict(users)
        token = secrets.token_hex(3)
        self.nodes = [
            RabbitNode(workdir / f"node{i}", self, f"sitload-test-{token}-{i}@localhost")
            for i in range(nodes)
        ]

    def env(self) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": HOST,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }

    def ctl(self, node: RabbitNode, *args: str, timeout_s: float = 180.0) -> str:
        """``rabbitmqctl -n NODE ARGS``: its output, or an AssertionError with it."""
        done = subprocess.run(
            [str(self.bin / "rabbitmqctl"), "-n", node.node_name, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"rabbitmqctl {' '.join(args)} on {node.node_name} exited {done.returncode}:\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}\nnode log:\n"
                f"{node.log_text()[-3000:]}"
            )
        return done.stdout

    def start(self) -> RabbitCluster:
        errors: list[BaseException] = []

        def boot(node: RabbitNode) -> None:
            try:
                node.start()
            except BaseException as exc:  # reported by the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=boot, args=(n,)) for n in self.nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        first = self.nodes[0]
        for node in self.nodes[1:]:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first.node_name)
            self.ctl(node, "start_app")
        for user, password in self.users.items():
            self.ctl(first, "add_user", user, password)
            self.ctl(first, "set_permissions", "-p", "/", user, ".*", ".*", ".*")
        status = self.ctl(first, "cluster_status", "--formatter", "json")
        for node in self.nodes:
            if node.node_name not in status:
                raise AssertionError(f"{node.node_name} is not in the cluster:\n{status}")
        return self

    def close(self) -> None:
        for node in self.nodes:
            node.stop(kill=True)
        epmd = shutil.which("epmd")
        if epmd is not None:
            subprocess.run(
                [epmd, "-kill"], env=self.env(), capture_output=True, timeout=10, check=False
            )

    def __enter__(self) -> RabbitCluster:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()
