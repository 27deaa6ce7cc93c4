#!/bin/sh
# Regenerate action-requirements.txt: statsync's runtime dependencies (pyproject.toml) and
# the build backend, every file's hash from PyPI itself (no local mirrors or wheel caches),
# so the Action installs exactly what was reviewed (`pip install --require-hashes`).
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d)
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet pip-tools
echo "setuptools>=68" > "$work/build.in"
PIP_CONFIG_FILE=/dev/null "$work/venv/bin/pip-compile" --quiet --generate-hashes --strip-extras --allow-unsafe \
  --no-header --no-annotate --index-url https://pypi.org/simple --no-emit-index-url --no-emit-find-links \
  -o "$work/lock.txt" pyproject.toml "$work/build.in"
{ head -2 action-requirements.txt; cat "$work/lock.txt"; } > "$work/out.txt"
mv "$work/out.txt" action-requirements.txt
rm -rf "$work"
