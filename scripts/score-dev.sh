#!/bin/bash
# Scores the TypeScript sources (no build) against the nDPI corpus: scripts/score-dev.sh [score-flows options]
cd "$(dirname "$0")/.." || exit 2
exec node ../shared/tools/score-flows.mjs --expected ../shared/corpus/ndpi/expected --pcaps ../shared/corpus/ndpi/pcap \
  --cmd "node --import tsx scripts/sonda-dev.ts flows --json --no-summary --read {pcap}" --jobs 2 "$@"
