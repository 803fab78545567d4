"""The deployment recipes (Dockerfile, compose.yaml, docs/deploy/) hold together: every command they
run is a real ``jxc`` command, every setting they set is one jxc reads, every file they copy exists,
and the compose services wire the database, the migration, the workers and the proxy as documented.
(No Docker engine runs here: the recipes are validated, not started.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from server.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy"
# variables read by the images and tools jxc runs with, not by jxc itself
FOREIGN = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD", "POSTGRES_MAX_CONNECTIONS", "TZ", "JXC_DOMAIN"}


def _settings_jxc_reads() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "server").rglob("*.py"):
        names |= set(re.findall(r"\"((?:JXC_|DATABASE_URL)[A-Z_]*)\"", path.read_text(encoding="utf-8")))
    return names


def _expand(text: str) -> str:
    """${NAME:-default} / ${NAME:?message} → the default (what compose would use with an empty .env)."""
    return re.sub(r"\$\{(\w+)(?::[-?]([^}]*))?\}", lambda m: m.group(2) or "x", text)


def _assert_jxc_command(argv: list[str]) -> None:
    assert Path(argv[0]).name == "jxc", argv
    build_parser().parse_args([_expand(a) for a in argv[1:]])  # exits (fails the test) when unknown


def test_compose_runs_migrate_once_then_the_workers_and_the_proxy():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "migrate", "web", "worker", "proxy"}
    for name in ("migrate", "web", "worker"):
        _assert_jxc_command(services[name]["command"])
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["JXC_JOBS"] == "0"  # jobs run in the worker service only
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["worker"]["command"][1] == "worker" and services["web"]["command"][1] == "serve"
    # scheduled backups are on by default, in the job worker only (never on a request worker)
    worker_env = services["worker"]["environment"]
    assert re.fullmatch(r"\$\{JXC_BACKUP_INTERVAL_HOURS:-([1-9]\d*)\}", worker_env["JXC_BACKUP_INTERVAL_HOURS"])
    assert "JXC_BACKUP_INTERVAL_HOURS" not in services["web"]["environment"]
    proxy_files = [v.split(":")[0] for v in services["proxy"]["volumes"] if v.startswith("./")]
    assert all((ROOT / f).is_file() for f in proxy_files), proxy_files
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy web:8000" in caddy  # the compose service name and jxc's port


def test_every_setting_in_the_recipes_is_one_jxc_reads():
    known = _settings_jxc_reads()
    texts = [
        (ROOT / "compose.yaml").read_text(encoding="utf-8"),
        (ROOT / "Dockerfile").read_text(encoding="utf-8"),
        *(p.read_text(encoding="utf-8") for p in DEPLOY.iterdir()),
    ]
    used = set()
    for text in texts:
        used |= set(re.findall(r"\b((?:JXC_|DATABASE_URL|POSTGRES_)[A-Z_]*)\b", text))
    unknown = used - known - FOREIGN
    assert not unknown, f"settings jxc does not read: {sorted(unknown)}"
    assert {"DATABASE_URL", "JXC_ENV", "JXC_JOBS", "JXC_BACKUP_DIR", "JXC_CONSOLE_DIR"} <= used


def test_the_dockerfile_copies_what_exists_and_runs_as_a_user():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, _dest = line.split()[1:]
            for src in sources:
                assert (ROOT / src).exists(), src
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert cmd is not None
    _assert_jxc_command(yaml.safe_load(cmd.group(1)))
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".git", "var"} <= set(ignored)


def test_the_systemd_units_run_jxc_commands_with_a_private_environment():
    for unit in ("jxc.service", "jxc-worker.service"):
        lines = (DEPLOY / unit).read_text(encoding="utf-8").splitlines()
        execs = [ln.split("=", 1)[1] for ln in lines if ln.startswith(("ExecStart=", "ExecStartPre="))]
        assert execs
        for command in execs:
            _assert_jxc_command(shlex.split(command))
        assert "User=jxc" in lines and "EnvironmentFile=/etc/jxc/jxc.env" in lines
        assert "NoNewPrivileges=yes" in lines and "ProtectSystem=strict" in lines


def test_the_deployment_guide_names_every_recipe_and_both_languages():
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for name in ("compose.yaml", "Dockerfile", "Caddyfile", "jxc.service", "jxc-worker.service", "jxc.env.example"):
        assert name in guide, name
    assert "部署" in guide and "Deployment" in guide
    assert "workers × (JXC_DB_POOL_SIZE + JXC_DB_MAX_OVERFLOW + 1)" in guide
