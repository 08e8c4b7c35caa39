#!/bin/sh
# Puts SleepCoT's model into an Ollama server, once; compose's one-shot `model` service runs it (in the ollama
# image, whose `ollama` client talks to the server at OLLAMA_HOST). Also usable by hand on bare metal:
#   SLEEPCOT_OLLAMA_MODEL=sleepcot SLEEPCOT_MODELFILE=modelfiles/sleepcot-tiny.Modelfile sh deploy/model.sh
#
#   SLEEPCOT_OLLAMA_MODEL  the name to create (what the bot asks Ollama for)             required
#   SLEEPCOT_MODELFILE     the Modelfile `sleepcot distill export` wrote into modelfiles/  default modelfiles/sleepcot-tiny.Modelfile
#   SLEEPCOT_BASE_MODEL    pulled and copied to that name when the Modelfile or the GGUF  default qwen2.5:1.5b-instruct
#                          it names is not there; "none" pulls nothing (the bot then uses another backend)
#
# A Modelfile whose FROM is a path (`FROM ../runs/<run>/export/<name>.q8_0.gguf`, relative to the Modelfile's
# folder, as Ollama reads it) is used only when that file exists; a FROM that names a model is used as it is.
set -eu

name="${SLEEPCOT_OLLAMA_MODEL:?set SLEEPCOT_OLLAMA_MODEL: the model name the bot uses}"
modelfile="${SLEEPCOT_MODELFILE:-modelfiles/sleepcot-tiny.Modelfile}"
base="${SLEEPCOT_BASE_MODEL:-qwen2.5:1.5b-instruct}"

# The server may still be starting (compose waits for its healthcheck; by hand, nothing does).
tries=0
until ollama list >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "model: no Ollama server answers at ${OLLAMA_HOST:-127.0.0.1:11434}" >&2
    exit 1
  fi
  sleep 2
done

if [ -f "$modelfile" ]; then
  source=$(sed -n 's/^[Ff][Rr][Oo][Mm][[:space:]][[:space:]]*//p' "$modelfile" | head -n 1 | sed 's/[[:space:]]*$//')
  case "$source" in
    /*) weights="$source" ;;
    ./* | ../* | *.gguf) weights="$(dirname "$modelfile")/$source" ;;
    *) weights="" ;;  # a model's name: `ollama create` pulls it if the server lacks it
  esac
  if [ -z "$weights" ] || [ -e "$weights" ]; then
    echo "model: creating $name from $modelfile"
    ollama create "$name" -f "$modelfile"
    exit 0
  fi
  echo "model: $modelfile names $source, which is not there (run \`sleepcot distill export\` first)"
else
  echo "model: no $modelfile"
fi

if [ "$base" = "none" ]; then
  echo "model: SLEEPCOT_BASE_MODEL=none: nothing to pull; $name is not in Ollama"
  exit 0
fi
echo "model: pulling $base instead, as $name"
ollama pull "$base"
if [ "$base" != "$name" ]; then
  ollama cp "$base" "$name"
fi
