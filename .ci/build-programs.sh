#!/usr/bin/env bash
# Builds every real program the integration tests run, cached by version (see the two scripts).
# The two builds share nothing but Go's caches (which lock) and run side by side: cold, each
# spends part of its time fetching modules from the proxy or linking on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/build-engine.sh >/dev/null &
engine=$!
status=0
bash .ci/build-control-plane.sh >/dev/null || status=$?
wait "$engine" || status=$?
exit "$status"
