import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeNetbiosName, netbios } from './netbios.js';
import { classify, corpus, hexBytes, inspectAll, noiseClaims, textBytes } from './testkit-a.js';

/** Name query for ECI_DOMAIN<1c> (a captured packet). */
const QUERY = '84e7011000010000000000002045464544454a465045454550454e4542454a454f43414341434143414341424d0000200001';
/** A datagram-service direct-group datagram from LAB111 carrying SMB (its first 100 bytes, length fixed). */
function datagram(srcIp: number, lengthField: number | undefined, body: Uint8Array): Uint8Array {
  const head = hexBytes('1102914d00000000008a00000000');
  const name = hexBytes('20454d4542454344424442444243414341434143414341434143414341434141410020464845504643454c45484643455046464641434143414341434143414341424e00');
  const out = new Uint8Array(head.length + name.length + body.length);
  out.set(head, 0);
  out.set(name, head.length);
  out.set(body, head.length + name.length);
  new DataView(out.buffer).setUint32(4, srcIp);
  new DataView(out.buffer).setUint16(10, lengthField ?? out.length - 14);
  return out;
}
const SMB = hexBytes('ff534d4225000000000000000000000000000000000000000000000000000000');
const LAN = 0xc0a80129; // 192.168.1.41
const nbFlow = (clientPort: number, serverPort: number, transport = 17) => ({ transport, clientPort, serverPort, clientAddress: Uint32Array.of(LAN, 0, 0, 0) });

test('netbios: first-level encoded names decode up to the first bad pair, trimmed, lower case', () => {
  const enc = (s: string) => textBytes(s);
  assert.equal(decodeNetbiosName(enc('EFEDEJFPEEEPENEBEJEOCACACACACABM'), 0, 32), 'eci_domain');
  assert.equal(decodeNetbiosName(enc('EFEDEJFPEEEPENkBEJEOCACACACACABM'), 0, 32), 'eci_dom');
  assert.equal(decodeNetbiosName(enc('EFEDEJFPEEEPENEB'), 0, 16), 'eci_doma');
  assert.equal(decodeNetbiosName(enc('AAAAAAAA'), 0, 8), ''); // NUL bytes are not a name
  assert.equal(decodeNetbiosName(enc('CACACACA'), 0, 8), ''); // only blanks
  assert.equal(decodeNetbiosName(enc('EF'), 0, 1), ''); // half a pair
});

test('netbios: name service queries towards 137 are NetBIOS with the queried name as host', () => {
  assert.deepEqual(inspectAll(netbios, nbFlow(137, 137), [[0, QUERY]]), { name: 'NetBIOS', host: 'eci_domain' });
  assert.deepEqual(inspectAll(netbios, nbFlow(29440, 137), [[0, QUERY]]), { name: 'NetBIOS', host: 'eci_domain' });
  // A question name of another length still makes the packet NetBIOS, without a host.
  const odd = hexBytes(QUERY);
  odd[12] = 0x21;
  assert.deepEqual(inspectAll(netbios, nbFlow(137, 137), [[0, odd]]), { name: 'NetBIOS', host: undefined });
});

test('netbios: counts that do not fit the opcode, short packets and other ports are not NetBIOS', () => {
  const bad = hexBytes(QUERY);
  bad[6] = 0x69; // ancount 0x6900 in a query (a fuzzed packet nDPI leaves to the port guess)
  assert.equal(inspectAll(netbios, nbFlow(137, 137), [[0, bad]]).name, undefined);
  const op = hexBytes(QUERY);
  op[2] = 0x08 | (op[2]! & 0x87); // opcode 1: not a name service operation
  assert.equal(inspectAll(netbios, nbFlow(137, 137), [[0, op]]).name, undefined);
  assert.equal(inspectAll(netbios, nbFlow(137, 137), [[0, hexBytes(QUERY).subarray(0, 49)]]).name, undefined);
  // From 137 to another port: nDPI does not look (port guess).
  assert.equal(inspectAll(netbios, nbFlow(137, 905), [[0, QUERY]]).name, undefined);
  assert.equal(inspectAll(netbios, nbFlow(5000, 5001), [[0, QUERY]]).name, undefined);
});

test('netbios: datagram service with a sound length or source address, host from the source name', () => {
  const ok = datagram(LAN, undefined, SMB);
  // Carrying an SMB message: nDPI's NetBIOS.SMBv1.
  assert.deepEqual(inspectAll(netbios, nbFlow(138, 138), [[0, ok]]), { name: 'NetBIOS.SMBv1', host: 'lab111' });
  // Length wrong but the source address is the sender's: still a datagram.
  assert.equal(inspectAll(netbios, nbFlow(138, 138), [[0, datagram(LAN, 5, SMB)]]).name, 'NetBIOS.SMBv1');
  // Both wrong: not.
  assert.equal(inspectAll(netbios, nbFlow(138, 138), [[0, datagram(0x01020304, 5, SMB)]]).name, undefined);
  // Source port field other than 138.
  const port = datagram(LAN, undefined, SMB);
  port[9] = 0x8b;
  assert.equal(inspectAll(netbios, nbFlow(138, 138), [[0, port]]).name, undefined);
  // Towards another port (a reply to an ephemeral port is not judged).
  assert.equal(inspectAll(netbios, nbFlow(138, 394), [[0, ok]]).name, undefined);
});

test('netbios: session requests on TCP 139', () => {
  const called = '20454d4542454344424442444243414341434143414341434143414341434141410';
  const req = hexBytes(`81000044${called}0${called}0`.replace(/ /g, ''));
  assert.equal(req.length, 72);
  assert.equal(inspectAll(netbios, nbFlow(40000, 139, 6), [[0, req]]).name, 'NetBIOS');
  const short = req.slice();
  short[3] = 0x43;
  assert.equal(inspectAll(netbios, nbFlow(40000, 139, 6), [[0, short]]).name, undefined);
  assert.equal(inspectAll(netbios, nbFlow(40000, 445, 6), [[0, req]]).name, undefined);
});

test('netbios: random payloads on 137, 138 and 139 are not claimed', () => {
  assert.equal(noiseClaims(netbios, nbFlow(137, 137), 3, 2000, 120), 0);
  assert.equal(noiseClaims(netbios, nbFlow(138, 138), 4, 2000, 300), 0);
  assert.equal(noiseClaims(netbios, nbFlow(40000, 139, 6), 5, 2000, 120), 0);
});

test('netbios: the fuzzed capture matches nDPI (DPI flows with their hosts, port guesses left alone)', async () => {
  const flows = await classify(corpus('fuzz-2006-06-26-2594.pcap'), [netbios]);
  const dpi = flows.filter((f) => f.protocol.startsWith('NetBIOS') && f.confidence === 'dpi');
  const host = (flow: string) => dpi.find((f) => f.flow === flow)?.host;
  assert.equal(host('UDP 192.168.1.2:137 > 192.168.1.255:137'), 'eci_domain');
  assert.equal(host('UDP 192.168.1.41:138 > 192.168.1.255:138'), 'lab111');
  assert.equal(host('UDP 192.168.1.2:138 > 192.168.1.255:138'), 'd002465');
  assert.equal(host('UDP 192.168.1.2:137 > 120.168.1.255:137'), 'eci_doma');
  assert.equal(host('UDP 192.136.1.2:137 > 192.168.1.255:137'), '5ci_dombin');
  assert.equal(host('UDP 192.184.189.41:137 > 192.168.1.255:137'), 'workg');
  // nDPI: port guesses for these, not DPI.
  for (const f of ['UDP 217.168.1.2:137 > 192.168.1.255:137', 'UDP 192.168.1.2:137 > 192.168.1.255:905', 'UDP 192.168.1.41:138 > 192.168.1.255:394']) {
    assert.equal(
      dpi.find((x) => x.flow === f),
      undefined,
      f,
    );
  }
  // The 19 DPI flows of nDPI's results, plus one it does not list at all.
  assert.equal(dpi.length, 19 + 1);
});

test('netbios: other captures with NetBIOS', async () => {
  for (const [file, want] of [
    ['anyconnect-vpn.pcap', 'lp-rkerur-osx'],
    ['tor.pcap', 'endian-pc'],
    ['zoom.pcap', 'workgroup'],
  ] as const) {
    const dpi = (await classify(corpus(file), [netbios])).filter((f) => f.confidence === 'dpi' && f.protocol.startsWith('NetBIOS'));
    assert.deepEqual(
      dpi.map((f) => f.host),
      [want],
      file,
    );
  }
});
