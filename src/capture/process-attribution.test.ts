import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseAddressText, ProcessAttribution } from './process-attribution.js';

// A made-up procfs: socket tables in the kernel's text format and fd links per process.

const LE = endianness() === 'LE';
const hex32 = (v: number): string => {
  const x = LE ? ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24) : v;
  return (x >>> 0).toString(16).toUpperCase().padStart(8, '0');
};
/** `ADDR:PORT` as /proc/net/{tcp,udp}[6] print it: each 32-bit word in host byte order. */
function procEndpoint(ip: string, port: number, v6Table: boolean): string {
  const w = parseAddressText(ip)!;
  const addr = v6Table ? w.map(hex32).join('') : hex32(w[3]);
  return `${addr}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}
interface Sock {
  table: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  local: [string, number];
  remote: [string, number];
  state: number;
  inode: number;
}
const LISTEN = 0x0a;
const ESTABLISHED = 0x01;
const CLOSE = 0x07;

function makeProc(socks: Sock[], procs: Record<number, { comm: string; inodes: number[] }>): string {
  const root = mkdtempSync(join(tmpdir(), 'sonda-proc-'));
  mkdirSync(join(root, 'net'));
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    const v6 = table.endsWith('6');
    const lines = ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'];
    socks
      .filter((s) => s.table === table)
      .forEach((s, i) => {
        const st = s.state.toString(16).toUpperCase().padStart(2, '0');
        lines.push(`  ${i}: ${procEndpoint(...s.local, v6)} ${procEndpoint(...s.remote, v6)} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${s.inode} 1 0000000000000000 100 0 0 10 0`);
      });
    writeFileSync(join(root, 'net', table), `${lines.join('\n')}\n`);
  }
  for (const [pid, p] of Object.entries(procs)) addProcess(root, Number(pid), p.comm, p.inodes);
  return root;
}

function addProcess(root: string, pid: number, comm: string, inodes: number[], firstFd = 3): void {
  const dir = join(root, String(pid));
  mkdirSync(join(dir, 'fd'), { recursive: true });
  writeFileSync(join(dir, 'comm'), `${comm}\n`);
  symlinkSync('/dev/null', join(dir, 'fd', '0'));
  for (const [i, inode] of inodes.entries()) symlinkSync(`socket:[${inode}]`, join(dir, 'fd', String(firstFd + i)));
}

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** Address words as FlowStart gives them (IPv4 in word 0). */
function w(ip: string): Uint32Array {
  const x = parseAddressText(ip)!;
  return ip.includes(':') ? new Uint32Array(x) : new Uint32Array([x[3], 0, 0, 0]);
}
const v = (ip: string): 4 | 6 => (ip.includes(':') ? 6 : 4);

/** A host with a loopback web client and server, a DNS server and client, an IPv6 sshd. */
function host(maxBusyShare?: number): { root: string; attr: ProcessAttribution } {
  const root = makeProc(
    [
      { table: 'tcp', local: ['0.0.0.0', 80], remote: ['0.0.0.0', 0], state: LISTEN, inode: 2001 },
      { table: 'tcp', local: ['127.0.0.1', 80], remote: ['127.0.0.1', 50000], state: ESTABLISHED, inode: 2002 },
      { table: 'tcp', local: ['127.0.0.1', 50000], remote: ['127.0.0.1', 80], state: ESTABLISHED, inode: 1001 },
      // TIME_WAIT sockets have no inode.
      { table: 'tcp', local: ['127.0.0.1', 49999], remote: ['127.0.0.1', 80], state: 0x06, inode: 0 },
      { table: 'udp', local: ['127.0.0.53', 53], remote: ['0.0.0.0', 0], state: CLOSE, inode: 3001 },
      { table: 'udp', local: ['0.0.0.0', 40000], remote: ['0.0.0.0', 0], state: CLOSE, inode: 4001 },
      { table: 'tcp6', local: ['::', 22], remote: ['::', 0], state: LISTEN, inode: 5001 },
      { table: 'tcp6', local: ['::ffff:192.168.1.10', 22], remote: ['::ffff:192.0.2.7', 40001], state: ESTABLISHED, inode: 5002 },
      { table: 'tcp6', local: ['2001:db8::10', 22], remote: ['2001:db8::99', 40002], state: ESTABLISHED, inode: 5003 },
      { table: 'udp6', local: ['::1', 5353], remote: ['::1', 41000], state: ESTABLISHED, inode: 6001 },
    ],
    {
      100: { comm: 'curl', inodes: [1001] },
      200: { comm: 'nginx', inodes: [2001, 2002] },
      300: { comm: 'resolved', inodes: [3001] },
      400: { comm: 'dig', inodes: [4001] },
      500: { comm: 'sshd', inodes: [5001] },
      501: { comm: 'sshd-session', inodes: [5002, 5003] },
      600: { comm: 'avahi', inodes: [6001] },
    },
  );
  roots.push(root);
  const attr = new ProcessAttribution({ procRoot: root, maxBusyShare, localAddresses: () => ['192.168.1.10', '2001:db8::10', 'fe80::1%eth0'] });
  return { root, attr };
}

/** Flows that began before the tests: one read of each table answers them all. */
const PAST = Date.now() - 60_000;

function look(a: ProcessAttribution, proto: number, c: string, cp: number, s: string, sp: number, sinceMs = PAST, settle?: boolean) {
  return a.lookup(proto, v(c), w(c), cp, w(s), sp, sinceMs, settle);
}

test('parseAddressText: IPv4 as ::ffff:a.b.c.d words, IPv6 in full, scope ids dropped, junk undefined', () => {
  assert.deepEqual(parseAddressText('127.0.0.1'), [0, 0, 0xffff, 0x7f000001]);
  assert.deepEqual(parseAddressText('2001:db8::1'), [0x20010db8, 0, 0, 1]);
  assert.deepEqual(parseAddressText('::ffff:10.1.2.3'), [0, 0, 0xffff, 0x0a010203]);
  assert.deepEqual(parseAddressText('fe80::1%eth0'), [0xfe800000, 0, 0, 1]);
  assert.deepEqual(parseAddressText('::'), [0, 0, 0, 0]);
  assert.equal(parseAddressText('not an address'), undefined);
});

test('loopback TCP: the client side is named when its socket is there, else the server side', () => {
  const { attr } = host();
  assert.deepEqual(look(attr, 6, '127.0.0.1', 50000, '127.0.0.1', 80), { pid: 100, name: 'curl' });
  // The client's socket is gone (TIME_WAIT, no inode): the server's accepted/listening socket.
  assert.deepEqual(look(attr, 6, '127.0.0.1', 49999, '127.0.0.1', 80), { pid: 200, name: 'nginx' });
  // A connection whose accepted socket is not listed falls back to the listener.
  assert.deepEqual(look(attr, 6, '127.0.0.1', 51000, '127.0.0.1', 80), { pid: 200, name: 'nginx' });
});

test('a local server with a remote client: exact socket through IPv4-mapped tcp6, else the :: listener', () => {
  const { attr } = host();
  assert.deepEqual(look(attr, 6, '192.0.2.7', 40001, '192.168.1.10', 22), { pid: 501, name: 'sshd-session' });
  assert.deepEqual(look(attr, 6, '192.0.2.8', 40009, '192.168.1.10', 22), { pid: 500, name: 'sshd' });
  assert.deepEqual(look(attr, 6, '2001:db8::99', 40002, '2001:db8::10', 22), { pid: 501, name: 'sshd-session' });
  // The listener is IPv6 any: an IPv6 flow to another local port is nobody's.
  assert.equal(look(attr, 6, '2001:db8::99', 40003, '2001:db8::10', 23), undefined);
});

test('UDP: an unconnected client socket, a server bound to one address, a connected IPv6 pair', () => {
  const { attr } = host();
  assert.deepEqual(look(attr, 17, '127.0.0.1', 40000, '127.0.0.53', 53), { pid: 400, name: 'dig' });
  assert.deepEqual(look(attr, 17, '127.0.0.1', 40111, '127.0.0.53', 53), { pid: 300, name: 'resolved' });
  assert.equal(look(attr, 17, '127.0.0.1', 40111, '127.0.0.54', 53), undefined, 'bound to 127.0.0.53 only');
  assert.deepEqual(look(attr, 17, '::1', 41000, '::1', 5353), { pid: 600, name: 'avahi' });
});

test('flows with no local end, and protocols without sockets tables, are not looked up', () => {
  const { attr } = host();
  assert.equal(look(attr, 6, '10.0.0.1', 1234, '10.0.0.2', 80), undefined);
  assert.equal(attr.stats.notLocal, 1);
  assert.equal(attr.isLocalFlow(4, w('10.0.0.1'), w('10.0.0.2')), false);
  assert.equal(attr.isLocalFlow(4, w('10.0.0.1'), w('192.168.1.10')), true);
  assert.equal(attr.isLocalFlow(6, w('fe80::1'), w('ff02::1')), true);
  assert.equal(look(attr, 1, '127.0.0.1', 0, '127.0.0.1', 0), undefined);
  assert.equal(attr.stats.tableReads, 0);
});

test('socket tables are read again only for flows newer than the last read', () => {
  const { attr } = host(1);
  look(attr, 6, '127.0.0.1', 50000, '127.0.0.1', 80);
  assert.equal(attr.stats.tableReads, 1, 'tcp only: the client socket was there');
  look(attr, 6, '127.0.0.1', 50000, '127.0.0.1', 80);
  assert.equal(attr.stats.tableReads, 1, 'fresh enough for a flow that began before the read');
  look(attr, 17, '127.0.0.1', 40000, '127.0.0.53', 53);
  assert.equal(attr.stats.tableReads, 3, 'udp and udp6: a connected socket is looked for in both first');
  look(attr, 6, '127.0.0.1', 50000, '127.0.0.1', 80, Date.now() + 1);
  assert.equal(attr.stats.tableReads, 4, 'a flow newer than the read');
});

test('the descriptor walk is rationed; recently seen processes are checked first', async () => {
  const { root } = host();
  // Tables unrationed here (share 1): only the walk's ration is tested.
  const attr = new ProcessAttribution({ procRoot: root, minRescanMs: 150, maxBusyShare: 1, localAddresses: () => [] });
  const now = () => Date.now() + 1;
  assert.deepEqual(look(attr, 6, '127.0.0.1', 50000, '127.0.0.1', 80), { pid: 100, name: 'curl' });
  assert.equal(attr.stats.fullScans, 1);
  // curl opens a new socket: found in its own descriptors, no walk.
  const tcp = readFileSync(join(root, 'net', 'tcp'), 'utf8');
  const more = [
    `  7: ${procEndpoint('127.0.0.1', 50001, false)} ${procEndpoint('127.0.0.1', 80, false)} 01 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0`,
    `  8: ${procEndpoint('127.0.0.1', 50002, false)} ${procEndpoint('127.0.0.1', 80, false)} 01 00000000:00000000 00:00000000 00000000     0        0 7001 1 0 100 0 0 10 0`,
  ];
  writeFileSync(join(root, 'net', 'tcp'), `${tcp}${more.join('\n')}\n`);
  symlinkSync('socket:[1002]', join(root, '100', 'fd', '9'));
  addProcess(root, 700, 'wget', [7001]);
  assert.deepEqual(look(attr, 6, '127.0.0.1', 50001, '127.0.0.1', 80, Date.now() + 1), { pid: 100, name: 'curl' });
  assert.equal(attr.stats.fullScans, 1);
  assert.ok(attr.stats.hotScans >= 1);
  // A new process needs the walk, which waits for its turn: in the meantime, no answer at all
  // (the client's socket is known to be there: naming nginx would be wrong).
  assert.equal(look(attr, 6, '127.0.0.1', 50002, '127.0.0.1', 80, now()), undefined);
  assert.equal(attr.stats.fullScans, 1);
  assert.deepEqual(look(attr, 6, '127.0.0.1', 50002, '127.0.0.1', 80, now(), true), { pid: 200, name: 'nginx' }, 'settling: the best known');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(look(attr, 6, '127.0.0.1', 50002, '127.0.0.1', 80, now()), { pid: 700, name: 'wget' });
  assert.equal(attr.stats.fullScans, 2);
});

test('a stale table is not taken as proof that the client socket is gone, unless settling', () => {
  const { root } = host();
  // A huge busy factor: after the first read, tables are not read again in this test.
  const attr = new ProcessAttribution({ procRoot: root, maxBusyShare: 0.001, localAddresses: () => [] });
  look(attr, 6, '127.0.0.1', 50000, '127.0.0.1', 80);
  const later = Date.now() + 1000;
  assert.equal(look(attr, 6, '127.0.0.1', 52000, '127.0.0.1', 80, later), undefined);
  assert.ok(attr.stats.throttled > 0);
  assert.deepEqual(look(attr, 6, '127.0.0.1', 52000, '127.0.0.1', 80, later, true), { pid: 200, name: 'nginx' });
});

test('no procfs: nothing found, nothing thrown', () => {
  const attr = new ProcessAttribution({ procRoot: join(tmpdir(), 'sonda-no-such-proc'), localAddresses: () => [] });
  assert.equal(look(attr, 6, '127.0.0.1', 50000, '127.0.0.1', 80), undefined);
  assert.equal(look(attr, 17, '::1', 5, '::1', 53), undefined);
});

test('the real /proc: a TCP connection of this process is attributed to this process', async () => {
  const server = createServer((s) => s.on('error', () => undefined)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  const client = connect(port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  try {
    const attr = new ProcessAttribution();
    const name = readFileSync('/proc/self/comm', 'utf8').trim();
    const got = look(attr, 6, '127.0.0.1', client.localPort!, '127.0.0.1', port, Date.now());
    assert.deepEqual(got, { pid: process.pid, name });
  } finally {
    client.destroy();
    server.close();
  }
});
