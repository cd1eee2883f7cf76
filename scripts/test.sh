#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (Debian and npm
# packages), then lint, typecheck, build, and every test. `npm test` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use as oracles: capinfos (wireshark-common) counts the frames of
# every corpus capture for the reader tests.
missing=()
command -v capinfos >/dev/null || missing+=(wireshark-common)
# tcpdump captures for the live-capture tests (src/capture/live-capture.test.ts) and is the
# reference the filter is compared with (src/filter/tcpdump.test.ts).
command -v tcpdump >/dev/null || missing+=(tcpdump)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test: installing ${missing[*]}" >&2
  if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

npm install --no-audit --no-fund
npx biome check src bench bin scripts examples
npx tsc -p tsconfig.json --noEmit
npx tsc -p tsconfig.json
node scripts/run-tests.mjs "$@"
