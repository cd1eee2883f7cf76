// Library example (README "Library API"): print the five biggest flows of a capture.
//   node examples/flows-api.mjs samples/sample.pcap
import { analyzeCapture } from 'sonda';

const file = process.argv[2] ?? new URL('../samples/sample.pcap', import.meta.url).pathname;
const { flows, summary } = await analyzeCapture(file);
const bytes = (f) => f.client.bytes + f.server.bytes;
for (const f of flows.sort((a, b) => bytes(b) - bytes(a)).slice(0, 5)) {
  console.log(`${f.protocol} ${f.client.ip}:${f.client.port} -> ${f.server.ip}:${f.server.port} ${bytes(f)} bytes`);
}
console.log(`${summary.packets} packets in ${flows.length} flows`);
