// Runs the CLI from the TypeScript sources (no build): `node --import tsx scripts/sonda-dev.ts flows …`.
// NDJSON is encoded in-thread (the writer worker exists only as compiled JavaScript).
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stderrIsTty: process.stderr.isTTY === true,
});
