/** A `FlowStart` for consumer unit tests: IPv4 TCP 10.0.0.1:40000 → 10.0.0.2:80 unless overridden. */
import type { PacketDecoder } from '../decode/decoder.js';
import type { FlowStart } from '../engine/consumer.js';

export function testFlowStart(o: Partial<FlowStart> = {}): FlowStart {
  return {
    flow: 0,
    ipVersion: 4,
    protocol: 6,
    clientPort: 40000,
    serverPort: 80,
    clientAddress: Uint32Array.of(0x0a000001, 0, 0, 0),
    serverAddress: Uint32Array.of(0x0a000002, 0, 0, 0),
    vlan: -1,
    tsUs: 0,
    weird: () => undefined,
    events: false,
    serial: 1,
    live: false,
    publish: () => undefined,
    expect: () => undefined,
    expected: undefined,
    packet: undefined as unknown as PacketDecoder,
    ...o,
  };
}
