/**
 * SSH: banners and KEXINITs built here byte by byte, split at every byte boundary; truncations
 * and lies at every length field (weirds, never a throw); the consumer directly and through the
 * engine; nDPI's captures through the real engine, compared with nDPI's expected flows (host,
 * HASSH); tcpdump's SSH capture against Wireshark's HASSH; every tcpdump capture crash-free.
 */
import { testFlowStart } from '../testing/flow-start.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LinkType } from '../capture/frame.js';
import type { Consumer, FlowStart, RecordFields } from '../engine/consumer.js';
import { Engine } from '../engine/engine.js';
import type { FlowRecord } from '../flow/record.js';
import { flowContractViolations } from '../testing/flow-contract.js';
import { ethIp, ipTcp, TcpFlag } from '../testing/packet-builder.js';
import { type Dir, DEFAULT_SSH_LIMITS, probeSsh, SSH_HOST_MAX, type SshFlow, type SshInfo, SshParser, sshConsumer } from './ssh.js';
import { seededRandom } from '../testing/random.js';
import { endpointPairKey, runConsumerOnCapture } from '../testing/consumer-corpus.js';

// ---- byte builders ----------------------------------------------------------------------------

const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const nameList = (s: string): number[] => [...u32(s.length), ...ascii(s)];
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const cookie = (seed: number): number[] => Array.from({ length: 16 }, (_, i) => (seed * 37 + i * 11) & 0xff);

/** A binary packet (RFC 4253 §6): length, padding length, payload, padding to a multiple of 8. */
function packet(payload: readonly number[], pad?: number): number[] {
  let p = pad ?? 4;
  if (pad === undefined) while ((5 + payload.length + p) % 8 !== 0) p++;
  return [...u32(1 + payload.length + p), p, ...payload, ...new Array<number>(p).fill(0)];
}

/** The ten name-lists of a KEXINIT, in wire order. */
type Lists = readonly [string, string, string, string, string, string, string, string, string, string];
const CLIENT_LISTS: Lists = [
  'curve25519-sha256,ecdh-sha2-nistp256,ext-info-c',
  'ssh-ed25519,rsa-sha2-512',
  'aes128-ctr,chacha20-poly1305@openssh.com',
  'aes256-ctr',
  'hmac-sha2-256-etm@openssh.com,hmac-sha2-256',
  'hmac-sha1',
  'none,zlib@openssh.com',
  'zlib',
  '',
  '',
];
const SERVER_LISTS: Lists = [
  'ecdh-sha2-nistp256,curve25519-sha256',
  'rsa-sha2-512,ssh-ed25519',
  'aes256-gcm@openssh.com,aes128-ctr',
  'aes128-ctr,aes192-ctr',
  'hmac-sha2-256,hmac-sha2-256-etm@openssh.com',
  'umac-64@openssh.com',
  'none',
  'none,zlib@openssh.com',
  'en-US',
  '',
];
const kexinitPayload = (lists: readonly string[], seed: number, follows = 0): number[] => [20, ...cookie(seed), ...lists.flatMap(nameList), follows, ...u32(0)];

const CLIENT_BANNER = 'SSH-2.0-OpenSSH_9.6 client comment';
const SERVER_BANNER = 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6';
/** The client's bytes: banner, then its KEXINIT. */
const CLIENT = Uint8Array.from([...ascii(`${CLIENT_BANNER}\r\n`), ...packet(kexinitPayload(CLIENT_LISTS, 1))]);
/** The server's bytes: two lines before the banner (RFC 4253 §4.2), an IGNORE, then its KEXINIT. */
const SERVER_PRE = 'Welcome to the machine\r\nauthorised use only\n';
const SERVER = Uint8Array.from([
  ...ascii(`${SERVER_PRE}${SERVER_BANNER}\r\n`),
  ...packet([2, ...u32(3), ...ascii('abc')]),
  ...packet(kexinitPayload(SERVER_LISTS, 2)),
]);
const HASSH_ALGS = `${CLIENT_LISTS[0]};${CLIENT_LISTS[2]};${CLIENT_LISTS[4]};${CLIENT_LISTS[6]}`;
const HASSH_SERVER_ALGS = `${SERVER_LISTS[0]};${SERVER_LISTS[3]};${SERVER_LISTS[5]};${SERVER_LISTS[7]}`;

// ---- helpers ----------------------------------------------------------------------------------

function parser(limits = {}): { p: SshParser; weirds: string[] } {
  const weirds: string[] = [];
  return { p: new SshParser((n) => weirds.push(n), limits), weirds };
}

/** Feeds `b` to one direction in chunks ending at the given offsets. */
function feed(p: SshParser, dir: Dir, b: Uint8Array, cuts: readonly number[]): void {
  let at = 0;
  for (const c of [...cuts, b.length]) {
    if (c < at) continue;
    // Each chunk in a buffer of its own with bytes around it: offsets must be honoured.
    const buf = new Uint8Array(c - at + 8).fill(0xee);
    buf.set(b.subarray(at, c), 4);
    p.data(dir, buf, 4, 4 + c - at);
    at = c;
  }
}

/** A deterministic generator (xorshift32) for random chunkings and byte flips. */
const rng = seededRandom;

function whole(): SshInfo {
  const { p } = parser();
  p.data(1, SERVER, 0, SERVER.length);
  p.data(0, CLIENT, 0, CLIENT.length);
  return p.info();
}

// ---- crafted ----------------------------------------------------------------------------------

describe('SshParser: crafted messages', () => {
  test('probeSsh: SSH- or a prefix of it', () => {
    const t = (s: string): boolean => probeSsh(Uint8Array.from(ascii(s)), 0, s.length);
    assert.ok(t('SSH-2.0-x\r\n'));
    assert.ok(t('S'));
    assert.ok(t('SSH'));
    assert.ok(!t(''));
    assert.ok(!t('SSX-'));
    assert.ok(!t('GET / HTTP/1.1'));
    assert.ok(!t('\x16\x03\x01'));
  });

  test('banners, KEXINITs, HASSH and HASSHServer, negotiated algorithms', () => {
    const { p, weirds } = parser();
    p.data(1, SERVER, 0, SERVER.length);
    assert.ok(!p.done);
    p.data(0, CLIENT, 0, CLIENT.length);
    assert.ok(p.done);
    assert.deepEqual(weirds, []);
    assert.equal(p.firstBanner, SERVER_BANNER);
    assert.equal(p.sideEnd(0), 'kexinit');
    assert.equal(p.sideEnd(1), 'kexinit');
    const i = p.info();
    assert.equal(i.version, 2);
    assert.equal(i.client_banner, CLIENT_BANNER);
    assert.equal(i.server_banner, SERVER_BANNER);
    assert.equal(i.client_software, 'OpenSSH_9.6');
    assert.equal(i.server_software, 'OpenSSH_8.9p1');
    assert.equal(i.hassh_algorithms, HASSH_ALGS);
    assert.equal(i.hassh, md5(HASSH_ALGS));
    assert.equal(i.hassh_server_algorithms, HASSH_SERVER_ALGS);
    assert.equal(i.hassh_server, md5(HASSH_SERVER_ALGS));
    assert.equal(i.kex_alg, 'curve25519-sha256');
    assert.equal(i.host_key_alg, 'ssh-ed25519');
    assert.equal(i.cipher_alg, 'aes128-ctr');
    assert.equal(i.mac_alg, 'hmac-sha2-256-etm@openssh.com');
    assert.equal(i.compression_alg, 'none');
    assert.equal(i.client_kexinit?.cookie, Buffer.from(cookie(1)).toString('hex'));
    assert.equal(i.server_kexinit?.lang_c2s, 'en-US');
    assert.equal(i.server_kexinit?.first_kex_follows, false);
  });

  test('an AEAD cipher negotiated: no mac_alg', () => {
    const { p } = parser();
    const c = [...CLIENT_LISTS] as string[];
    c[2] = 'chacha20-poly1305@openssh.com,aes128-ctr';
    const s = [...SERVER_LISTS] as string[];
    s[2] = 'aes128-ctr,chacha20-poly1305@openssh.com';
    const cb = Uint8Array.from([...ascii('SSH-2.0-a\r\n'), ...packet(kexinitPayload(c, 1, 1))]);
    p.data(0, cb, 0, cb.length);
    const sv = Uint8Array.from([...ascii('SSH-2.0-b\n'), ...packet(kexinitPayload(s, 2))]);
    p.data(1, sv, 0, sv.length);
    const i = p.info();
    assert.equal(i.cipher_alg, 'chacha20-poly1305@openssh.com');
    assert.equal(i.mac_alg, undefined);
    assert.equal(i.client_kexinit?.first_kex_follows, true);
  });

  test('split at every byte boundary, each direction: same result, no weird', () => {
    const ref = JSON.stringify(whole());
    for (const [dir, bytes] of [
      [0, CLIENT],
      [1, SERVER],
    ] as const) {
      for (let i = 0; i <= bytes.length; i++) {
        const { p, weirds } = parser();
        const other = dir === 0 ? SERVER : CLIENT;
        p.data(dir === 0 ? 1 : 0, other, 0, other.length);
        feed(p, dir, bytes, [i]);
        assert.ok(p.done, `split at ${i}`);
        assert.deepEqual(weirds, [], `split at ${i}`);
        // The first banner depends on which side completed one first.
        const info = p.info();
        assert.equal(JSON.stringify(info), ref, `dir ${dir} split at ${i}`);
      }
    }
  });

  test('one byte at a time, and random chunkings with both directions interleaved', () => {
    const ref = JSON.stringify(whole());
    const { p, weirds } = parser();
    feed(p, 1, SERVER, Array.from({ length: SERVER.length }, (_, i) => i));
    feed(p, 0, CLIENT, Array.from({ length: CLIENT.length }, (_, i) => i));
    assert.deepEqual(weirds, []);
    assert.equal(JSON.stringify(p.info()), ref);
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const { p: q, weirds: w } = parser();
      const at: [number, number] = [0, 0];
      const src = [CLIENT, SERVER] as const;
      while (at[0] < CLIENT.length || at[1] < SERVER.length) {
        const dir: Dir = at[1] >= SERVER.length || (at[0] < CLIENT.length && r() < 0.5) ? 0 : 1;
        const b = src[dir];
        const n = Math.min(b.length - at[dir], 1 + Math.floor(r() * 40));
        q.data(dir, b.slice(at[dir], at[dir] + n), 0, n);
        at[dir] += n;
      }
      assert.deepEqual(w, [], `seed ${seed}`);
      const info = q.info();
      assert.equal(info.hassh, md5(HASSH_ALGS), `seed ${seed}`);
      assert.equal(info.hassh_server, md5(HASSH_SERVER_ALGS), `seed ${seed}`);
      assert.ok(q.done);
    }
  });

  test('every truncation waits for more: no weird, no throw, nothing invented', () => {
    const bannerEnd = CLIENT_BANNER.length + 2;
    for (let i = 0; i < CLIENT.length; i++) {
      const { p, weirds } = parser();
      p.data(0, CLIENT, 0, i);
      assert.deepEqual(weirds, [], `cut at ${i}`);
      assert.equal(p.sideEnd(0), undefined);
      const info = p.info();
      assert.equal(info.client_banner, i >= bannerEnd ? CLIENT_BANNER : undefined, `cut at ${i}`);
      assert.equal(info.hassh, undefined);
    }
  });

  test('a KEXINIT whose payload ends early, at every byte: ssh_bad_kexinit', () => {
    const full = kexinitPayload(CLIENT_LISTS, 1);
    for (let k = 1; k < full.length; k++) {
      const { p, weirds } = parser();
      const b = Uint8Array.from([...ascii('SSH-2.0-x\r\n'), ...packet(full.slice(0, k))]);
      p.data(0, b, 0, b.length);
      assert.deepEqual(weirds, ['ssh_bad_kexinit'], `payload cut at ${k}`);
      assert.equal(p.sideEnd(0), 'malformed');
      assert.equal(p.info().hassh, undefined);
    }
  });

  test('lies at every length field, fed whole and split everywhere: never a throw', () => {
    const bannerLen = CLIENT_BANNER.length + 2;
    const u32At = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    // Offsets of the packet length and the ten name-list lengths (after msg 20 and the cookie).
    const fields: { at: number; size: 1 | 4; name: string }[] = [
      { at: bannerLen, size: 4, name: 'packet_length' },
      { at: bannerLen + 4, size: 1, name: 'padding_length' },
    ];
    let o = bannerLen + 5 + 1 + 16;
    for (let i = 0; i < 10; i++) {
      fields.push({ at: o, size: 4, name: `name_list_${i}` });
      o += 4 + u32At(CLIENT, o);
    }
    let runs = 0;
    for (const f of fields) {
      const real = f.size === 4 ? u32At(CLIENT, f.at) : CLIENT[f.at]!;
      const lies = f.size === 4 ? [0, 1, 4, real - 1, real + 1, real + 1000, 0x7fffffff, 0xffffffff] : [0, 1, 3, real - 1, real + 1, 255];
      for (const lie of lies) {
        if (lie < 0 || lie === real) continue;
        const b = CLIENT.slice();
        if (f.size === 4) b.set(u32(lie >>> 0), f.at);
        else b[f.at] = lie & 0xff;
        for (let cut = 0; cut <= b.length; cut += f.name.startsWith('name') ? 7 : 1) {
          const { p, weirds } = parser();
          feed(p, 0, b, [cut]);
          runs++;
          for (const w of weirds) assert.ok(w.startsWith('ssh_'), w);
          const info = p.info();
          if (f.name === 'packet_length' && lie > DEFAULT_SSH_LIMITS.maxPacket) {
            assert.deepEqual(weirds, ['ssh_bad_packet_length'], `${f.name}=${lie}`);
            assert.equal(p.sideEnd(0), 'not_plaintext');
          }
          if (f.name.startsWith('name_list') && lie > real + 100) {
            assert.ok(weirds.includes('ssh_bad_kexinit'), `${f.name}=${lie}: ${weirds}`);
            assert.equal(info.hassh, undefined);
          }
        }
      }
    }
    assert.ok(runs > 2000, `${runs} runs`);
  });

  test('random byte flips: never a throw, weirds are ssh_ only', () => {
    const r = rng(7);
    for (let k = 0; k < 3000; k++) {
      const b = (k & 1 ? SERVER : CLIENT).slice();
      const flips = 1 + Math.floor(r() * 4);
      for (let j = 0; j < flips; j++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      const { p, weirds } = parser();
      feed(p, (k & 1) as Dir, b, [Math.floor(r() * b.length)]);
      p.info();
      for (const w of weirds) assert.ok(w.startsWith('ssh_'), w);
    }
  });

  test('SSH-1: both sides finish at their banners, version 1; 1.99 with 2.0 is version 2', () => {
    const { p, weirds } = parser();
    const v1 = Uint8Array.from(ascii('SSH-1.5-1.2.26\n'));
    p.data(1, v1, 0, v1.length);
    assert.equal(p.sideEnd(1), 'ssh1');
    // SSH-1's binary packets from the server do not confuse it: it stopped.
    const pk = Uint8Array.from([0, 0, 1, 0x0b, 0, 0, 0, 0, 0, 2, 1, 2, 3]);
    p.data(1, pk, 0, pk.length);
    p.data(0, v1, 0, v1.length);
    assert.ok(p.done);
    assert.deepEqual(weirds, []);
    assert.equal(p.info().version, 1);

    const { p: q } = parser();
    const s = Uint8Array.from(ascii('SSH-1.99-OpenSSH_4.3\n'));
    q.data(1, s, 0, s.length);
    assert.equal(q.sideEnd(1), undefined);
    assert.equal(q.info().version, 2);
    // A 1.99 server then sees a 1.5 client: the server side stops too.
    const c = Uint8Array.from(ascii('SSH-1.5-old\r\n'));
    q.data(0, c, 0, c.length);
    assert.ok(q.done);
    assert.equal(q.info().version, 1);
  });

  test('banner anomalies: too long, bad form, too many lines before it, a line without end', () => {
    const run = (dir: Dir, s: string, limits = {}): { p: SshParser; weirds: string[] } => {
      const r = parser(limits);
      r.p.data(dir, Uint8Array.from(ascii(s)), 0, s.length);
      return r;
    };
    const long = `SSH-2.0-${'x'.repeat(300)}`;
    let r = run(0, `${long}\r\n`);
    assert.deepEqual(r.weirds, ['ssh_banner_too_long']);
    assert.equal(r.p.info().client_banner, long);
    r = run(0, 'SSH-2.0\r\n');
    assert.deepEqual(r.weirds, ['ssh_bad_banner']);
    assert.equal(r.p.info().client_banner, 'SSH-2.0');
    r = run(1, 'line\n'.repeat(DEFAULT_SSH_LIMITS.maxPreambleLines + 1));
    assert.deepEqual(r.weirds, ['ssh_no_banner']);
    assert.equal(r.p.sideEnd(1), 'no_banner');
    r = run(1, 'x'.repeat(DEFAULT_SSH_LIMITS.maxLine));
    assert.deepEqual(r.weirds, ['ssh_line_too_long']);
    // Not yet a full line: it waits.
    r = run(1, 'x'.repeat(DEFAULT_SSH_LIMITS.maxLine - 1));
    assert.deepEqual(r.weirds, []);
    assert.equal(r.p.sideEnd(1), undefined);
    // Non-printable bytes in a banner are escaped.
    r = run(0, 'SSH-2.0-a\x01b\r\n');
    assert.equal(r.p.info().client_banner, 'SSH-2.0-a\\x01b');
  });

  test('after the banner: encrypted or other bytes, unexpected messages, IGNOREs, a gap', () => {
    const banner = ascii('SSH-2.0-x\r\n');
    const run = (bytes: number[], limits = {}): { p: SshParser; weirds: string[] } => {
      const r = parser(limits);
      r.p.data(0, Uint8Array.from(bytes), 0, bytes.length);
      return r;
    };
    let r = run([...banner, ...ascii('Protocol mismatch.\n')]);
    assert.deepEqual(r.weirds, ['ssh_bad_packet_length']);
    assert.equal(r.p.sideEnd(0), 'not_plaintext');
    r = run([...banner, ...u32(3), 0, 0, 0]);
    assert.deepEqual(r.weirds, ['ssh_bad_packet_length']);
    r = run([...banner, ...u32(12), 11, 20, ...new Array<number>(11).fill(0)]);
    assert.deepEqual(r.weirds, ['ssh_bad_padding']);
    assert.equal(r.p.sideEnd(0), 'not_plaintext');
    r = run([...banner, ...packet([30, 1, 2, 3])]);
    assert.deepEqual(r.weirds, ['ssh_unexpected_message']);
    assert.equal(r.p.sideEnd(0), 'malformed');
    // Padding under 4 is noted, the KEXINIT still read.
    r = run([...banner, ...packet(kexinitPayload(CLIENT_LISTS, 1), 2)]);
    assert.deepEqual(r.weirds, ['ssh_bad_padding']);
    assert.equal(r.p.info().hassh, md5(HASSH_ALGS));
    // IGNORE and DEBUG before the KEXINIT are fine, up to maxPackets.
    r = run([...banner, ...packet([2, 0, 0, 0, 0]), ...packet([4, 0, 0, 0, 0, 0, 0, 0, 0, 0]), ...packet(kexinitPayload(CLIENT_LISTS, 1))]);
    assert.deepEqual(r.weirds, []);
    assert.equal(r.p.info().hassh, md5(HASSH_ALGS));
    r = run([...banner, ...packet([2, 0, 0, 0, 0]), ...packet([2, 0, 0, 0, 0]), ...packet(kexinitPayload(CLIENT_LISTS, 1))], { maxPackets: 2 });
    assert.deepEqual(r.weirds, ['ssh_unexpected_message']);
    // A gap before the KEXINIT: the side stops; after it, nothing happens.
    const { p, weirds } = parser();
    p.data(0, Uint8Array.from(banner), 0, banner.length);
    p.gap(0);
    p.data(0, CLIENT, 0, CLIENT.length);
    assert.deepEqual(weirds, ['ssh_gap']);
    assert.equal(p.sideEnd(0), 'gap');
    assert.equal(p.info().hassh, undefined);
    p.data(1, SERVER, 0, SERVER.length);
    assert.ok(p.done);
    p.gap(1);
    assert.deepEqual(weirds, ['ssh_gap']);
  });

  test('limits: a name-list over maxNameList drops the KEXINIT; a packet over maxPacket is refused', () => {
    const { p, weirds } = parser({ maxNameList: 16 });
    p.data(0, CLIENT, 0, CLIENT.length);
    assert.deepEqual(weirds, ['ssh_name_list_too_long']);
    assert.equal(p.info().hassh, undefined);
    const r = parser({ maxPacket: 64 });
    r.p.data(0, CLIENT, 0, CLIENT.length);
    assert.deepEqual(r.weirds, ['ssh_bad_packet_length']);
  });

  test('out-of-range offsets are clamped', () => {
    const { p } = parser();
    p.data(0, CLIENT, -5, CLIENT.length + 100);
    assert.equal(p.info().hassh, md5(HASSH_ALGS));
  });
});

// ---- consumer ---------------------------------------------------------------------------------

function flowStart(o: Partial<FlowStart> & { weirds?: string[] } = {}): FlowStart {
  const weirds = o.weirds ?? [];
  return testFlowStart({ flow: 1, protocol: 6, clientPort: 50000, serverPort: 22, weird: (n) => weirds.push(n), events: false, ...o });
}

describe('sshConsumer', () => {
  test('TCP only; a first payload that is not SSH, off port 22: no parser, done', () => {
    assert.equal(sshConsumer.open(flowStart({ protocol: 17 })), undefined);
    const st = sshConsumer.open(flowStart({ serverPort: 8080 }))!;
    const b = Uint8Array.from(ascii('GET / HTTP/1.1\r\n'));
    sshConsumer.stream!(st, 0, b, 0, b.length, 0);
    assert.equal(st.parser, null);
    assert.ok(sshConsumer.done!(st));
    const fields: RecordFields = {};
    sshConsumer.close!(st, fields);
    assert.deepEqual(fields, {});
  });

  test('any port when the first bytes are SSH-; host is the first banner seen', () => {
    const st = sshConsumer.open(flowStart({ serverPort: 20868 }))!;
    sshConsumer.stream!(st, 0, CLIENT, 0, CLIENT.length, 0);
    sshConsumer.stream!(st, 1, SERVER, 0, SERVER.length, 0);
    assert.ok(sshConsumer.done!(st));
    const fields: RecordFields = {};
    sshConsumer.close!(st, fields);
    assert.deepEqual(fields, { host: CLIENT_BANNER });
    assert.equal(st.parser?.info().hassh, md5(HASSH_ALGS));
  });

  test('port 22: lines before the server banner are fine; host cut to SSH_HOST_MAX; an earlier host wins', () => {
    const st = sshConsumer.open(flowStart())!;
    sshConsumer.stream!(st, 1, SERVER, 0, SERVER.length, 0);
    const fields: RecordFields = {};
    sshConsumer.close!(st, fields);
    assert.equal(fields.host, SERVER_BANNER.slice(0, SSH_HOST_MAX));
    const kept: RecordFields = { host: 'earlier' };
    sshConsumer.close!(st, kept);
    assert.equal(kept.host, 'earlier');
  });

  test('a flow whose client is on port 22 (capture began mid-way): SSH roles swapped', () => {
    const st = sshConsumer.open(flowStart({ clientPort: 22, serverPort: 50000 }))!;
    assert.ok(st.swapped);
    sshConsumer.stream!(st, 0, SERVER, 0, SERVER.length, 0);
    sshConsumer.stream!(st, 1, CLIENT, 0, CLIENT.length, 0);
    const i = st.parser!.info();
    assert.equal(i.server_banner, SERVER_BANNER);
    assert.equal(i.hassh, md5(HASSH_ALGS));
    assert.equal(i.hassh_server, md5(HASSH_SERVER_ALGS));
    sshConsumer.gap!(st, 0, 10);
  });

  test('through the engine: a handshake in TCP segments gives host, and a contract-clean record', () => {
    let state: SshFlow | undefined;
    const hook: Consumer<SshFlow> = {
      ...sshConsumer,
      close(st, f) {
        state = st;
        sshConsumer.close!(st, f);
      },
    };
    const engine = new Engine({ consumers: [hook as Consumer] });
    const recs: FlowRecord[] = [];
    engine.on('flow', (r) => recs.push(r));
    const c = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 22 };
    const s = { src: '10.0.0.2', dst: '10.0.0.1', sport: 22, dport: 40000 };
    let t = 1_700_000_000_000_000;
    const send = (o: typeof c, seq: number, flags: number, payload?: Uint8Array): void => {
      const f = ethIp(ipTcp({ ...o, seq, ack: 1, flags, ...(payload ? { payload } : {}) }));
      engine.frame(f, 0, f.length, f.length, (t += 1000), LinkType.Ethernet);
    };
    send(c, 100, TcpFlag.SYN);
    send(s, 500, TcpFlag.SYN | TcpFlag.ACK);
    send(c, 101, TcpFlag.ACK);
    // Server bytes in three segments cut inside the banner and inside the KEXINIT.
    send(s, 501, TcpFlag.ACK | TcpFlag.PSH, SERVER.subarray(0, 30));
    send(s, 531, TcpFlag.ACK | TcpFlag.PSH, SERVER.subarray(30, 120));
    send(c, 101, TcpFlag.ACK | TcpFlag.PSH, CLIENT);
    send(s, 621, TcpFlag.ACK | TcpFlag.PSH, SERVER.subarray(120));
    engine.finish();
    assert.equal(recs.length, 1);
    assert.deepEqual(flowContractViolations(recs[0]), []);
    assert.equal(recs[0]!.host, SERVER_BANNER);
    const i = state!.parser!.info();
    assert.equal(i.hassh, md5(HASSH_ALGS));
    assert.equal(i.hassh_server, md5(HASSH_SERVER_ALGS));
    assert.equal(engine.summary().consumers?.errors, 0);
  });
});

// ---- corpus -----------------------------------------------------------------------------------

const CORPUS = process.env.SONDA_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const NDPI = join(CORPUS, 'ndpi');

interface ExpectedFlow {
  protocol: string;
  vlan?: number;
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  app?: { protocol: string; master: string; app: string };
  host?: string;
  ssh?: { hassh_client?: string; hassh_server?: string };
}

const flowKey = endpointPairKey;

const runCapture = (file: string) => runConsumerOnCapture(sshConsumer, file);

const isSsh = (f: ExpectedFlow): boolean => f.app?.master === 'SSH' || f.app?.app === 'SSH';

describe('sshConsumer: nDPI corpus through the engine', () => {
  test('SSH flows: detection, host and HASSH agree with nDPI; no SSH where nDPI saw none', async () => {
    const score = { detect: [0, 0], host: [0, 0], hassh: [0, 0], hasshServer: [0, 0] };
    const notes: string[] = [];
    let extra = 0;
    let errors = 0;
    let flowsSeen = 0;
    for (const jf of readdirSync(join(NDPI, 'expected')).sort()) {
      const exp = JSON.parse(readFileSync(join(NDPI, 'expected', jf), 'utf8')) as { pcap: string; flows: ExpectedFlow[] };
      const run = await runCapture(join(NDPI, 'pcap', exp.pcap));
      errors += run.errors;
      flowsSeen += run.flows.size;
      for (const f of exp.flows) {
        if (f.protocol !== 'TCP') continue;
        const ours = run.flows.get(flowKey(f.protocol, f.vlan, f.client, f.server));
        const info = ours?.st?.parser?.info();
        const found = info?.client_banner !== undefined || info?.server_banner !== undefined;
        if (!isSsh(f)) {
          if (found) {
            extra++;
            notes.push(`${exp.pcap} ${f.client.ip}:${f.client.port}: SSH found, nDPI says ${f.app?.protocol}`);
          }
          continue;
        }
        const tag = `${exp.pcap} ${f.client.ip}:${f.client.port}-${f.server.ip}:${f.server.port}`;
        score.detect[1]!++;
        if (found) score.detect[0]!++;
        else notes.push(`${tag}: no banner (${ours === undefined ? 'no such flow' : `${ours.rec.client.payload_bytes}+${ours.rec.server.payload_bytes} payload bytes`})`);
        if (f.host !== undefined || ours?.rec.host !== undefined) {
          score.host[1]!++;
          if (f.host === ours?.rec.host) score.host[0]!++;
          else notes.push(`${tag}: host expected ${f.host} got ${ours?.rec.host}`);
        }
        for (const [k, ek, ok] of [
          ['hassh', 'hassh_client', 'hassh'],
          ['hasshServer', 'hassh_server', 'hassh_server'],
        ] as const) {
          const e = f.ssh?.[ek]?.toLowerCase();
          const o = info?.[ok];
          if (e === undefined && o === undefined) continue;
          score[k][1]!++;
          // nDPI prints HASSH in upper case; the HASSH spec (and we) use lower case.
          if (e === o) score[k][0]!++;
          else notes.push(`${tag}: ${k} expected ${e} got ${o}`);
        }
      }
    }
    const line = Object.entries(score)
      .map(([k, [ok, all]]) => `${k} ${ok}/${all}`)
      .join(', ');
    console.log(`ssh corpus: ${flowsSeen} flows; ${line}; ${extra} SSH where nDPI saw none${notes.map((n) => `\n  ${n}`).join('')}`);
    assert.equal(errors, 0);
    // Achieved: detect 3/4 (synscan.pcap's SSH flow is a SYN scan: no payload, nDPI calls it SSH
    // by port), host 3/3, hassh 1/1, hasshServer 1/1, no extra.
    assert.ok(score.detect[1]! >= 4 && score.detect[0]! >= 3, `detect ${score.detect}`);
    assert.equal(score.host[0], score.host[1]);
    assert.ok(score.host[1]! >= 3);
    assert.ok(score.hassh[1]! >= 1 && score.hassh[0] === score.hassh[1]);
    assert.ok(score.hasshServer[1]! >= 1 && score.hasshServer[0] === score.hasshServer[1]);
    assert.equal(extra, 0);
  });

  test("tcpdump's ssh.pcap: HASSH and HASSHServer as Wireshark computes them", async () => {
    const run = await runCapture(join(CORPUS, 'tcpdump', 'ssh.pcap'));
    const ssh = [...run.flows.values()].filter((f) => f.st?.parser);
    assert.equal(ssh.length, 1);
    const i = ssh[0]!.st!.parser!.info();
    // Wireshark 4.x: ssh.kex.hassh / ssh.kex.hasshserver of frames 8 and 9.
    assert.equal(i.hassh, 'ec7378c1a92f5a8dde7e8b7a1ddf33d1');
    assert.equal(i.hassh_server, 'c099ec12a2b4c3b347f8f17d966469ed');
    assert.equal(i.client_banner, 'SSH-2.0-OpenSSH_7.8');
    assert.equal(i.server_banner, 'SSH-2.0-OpenSSH_7.4p1 Debian-10+deb9u3');
    assert.equal(i.cipher_alg, 'chacha20-poly1305@openssh.com');
    assert.equal(ssh[0]!.rec.host, 'SSH-2.0-OpenSSH_7.8');
    assert.ok(ssh[0]!.st!.parser!.done);
  });

  test('every tcpdump capture through the engine: no consumer error', async () => {
    const dir = join(CORPUS, 'tcpdump');
    let errors = 0;
    let followed = 0;
    for (const f of readdirSync(dir).sort()) {
      const run = await runCapture(join(dir, f));
      errors += run.errors;
      for (const v of run.flows.values()) if (v.st?.parser) followed++;
    }
    assert.equal(errors, 0);
    assert.ok(followed > 0);
  });
});
