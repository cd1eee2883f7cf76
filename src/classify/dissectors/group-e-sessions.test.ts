/**
 * Group E end to end: crafted sessions of each protocol written as a capture and run through
 * the classifier with every built-in dissector, so an earlier group's dissector taking a flow
 * (or TCP reassembly changing what a dissector sees) shows here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ethIp, ipTcp, ipUdp, TcpFlag } from '../../testing/packet-builder.js';
import { type PacketRecord, pcapFile } from '../../testing/pcap-builder.js';
import { DISSECTORS } from '../index.js';
import { cat, classifyCapture, hex, text } from './testkit-c.js';

const T0 = 1_700_000_000_000_000;

/** Builds a capture's records, one host pair per session. */
class Capture {
  readonly records: PacketRecord[] = [];
  private ts = T0;
  private host = 1;

  private push(ip: Uint8Array): void {
    this.ts += 1000;
    this.records.push({ data: ethIp(ip), tsUs: this.ts });
  }

  /** A TCP session: handshake, then each payload in its direction with running sequence numbers. */
  tcp(sport: number, dport: number, payloads: ReadonlyArray<readonly [0 | 1, Uint8Array]>): string {
    const c = `10.5.${this.host}.1`;
    const s = `10.5.${this.host++}.2`;
    const seq: [number, number] = [1000, 5000];
    this.push(ipTcp({ src: c, dst: s, sport, dport, seq: seq[0]++, flags: TcpFlag.SYN }));
    this.push(ipTcp({ src: s, dst: c, sport: dport, dport: sport, seq: seq[1]++, ack: seq[0], flags: TcpFlag.SYN | TcpFlag.ACK }));
    this.push(ipTcp({ src: c, dst: s, sport, dport, seq: seq[0], ack: seq[1] }));
    for (const [dir, payload] of payloads) {
      const [src, dst, sp, dp] = dir === 0 ? [c, s, sport, dport] : [s, c, dport, sport];
      this.push(ipTcp({ src, dst, sport: sp, dport: dp, seq: seq[dir], ack: seq[1 - dir]!, flags: TcpFlag.ACK | TcpFlag.PSH, payload }));
      seq[dir] += payload.length;
    }
    return `TCP ${c}:${sport} > ${s}:${dport}`;
  }

  /** UDP datagrams between one host pair. */
  udp(sport: number, dport: number, payloads: ReadonlyArray<readonly [0 | 1, Uint8Array]>): string {
    const c = `10.6.${this.host}.1`;
    const s = `10.6.${this.host++}.2`;
    for (const [dir, payload] of payloads) {
      this.push(dir === 0 ? ipUdp({ src: c, dst: s, sport, dport, payload }) : ipUdp({ src: s, dst: c, sport: dport, dport: sport, payload }));
    }
    return `UDP ${c}:${sport} > ${s}:${dport}`;
  }
}

/** An SMPP PDU. */
function pdu(id: number, body: Uint8Array, seq: number): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, 16 + body.length);
  v.setUint32(4, id >>> 0);
  v.setUint32(12, seq);
  return cat(h, body);
}

test('group E: crafted sessions are named through the full dissector list', async () => {
  const cap = new Capture();
  const want = new Map<string, string>();
  const SOH = '\x01';
  want.set(
    cap.tcp(40001, 5222, [
      [0, text("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")],
      [1, text("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' from='example.com' version='1.0'>")],
    ]),
    'Jabber',
  );
  const bind = pdu(0x02, cat(text('smppclient1\0password\0\0'), hex('34 00 00 00')), 1);
  want.set(
    cap.tcp(40002, 2775, [
      [0, bind.subarray(0, 20)],
      [0, bind.subarray(20)],
      [1, pdu(0x80000002, text('SMSC\0'), 1)],
    ]),
    'SMPP',
  );
  want.set(cap.udp(2427, 2427, [[0, text('RSIP 262662134 aaln/S1/1@vg224 MGCP 1.0\r\nRM: restart\r\n')], [1, text('200 262662134 OK\r\n')]]), 'MGCP');
  want.set(cap.tcp(40004, 4000, [[0, text(`8=FIX.4.1${SOH}9=61${SOH}35=A${SOH}34=1${SOH}49=CLIENT${SOH}56=SERVER${SOH}98=0${SOH}108=30${SOH}10=143${SOH}`)]]), 'FIX');
  want.set(cap.tcp(40005, 6661, [[0, text('\x0bMSH|^~\\&|SendingApp|SendingFac|RecvApp|RecvFac|20240101||ADT^A01|1|P|2.5\rPID|1||42\r\x1c\r')]]), 'HL7');
  const body = cat(hex('0001 0000'), text('testserver      testclient      '), new Uint8Array(32), hex('10 00 0015'), text('1.2.840.10008.3.1.1.1'));
  want.set(cap.tcp(40006, 104, [[0, cat(hex('01 00'), hex(body.length.toString(16).padStart(8, '0')), body)]]), 'DICOM');
  want.set(cap.tcp(40007, 6346, [[0, text('GNUTELLA CONNECT/0.6\r\nUser-Agent: gtk-gnutella/1.2.2\r\n\r\n')], [1, text('GNUTELLA/0.6 200 OK\r\n\r\n')]]), 'Gnutella');
  want.set(cap.udp(53187, 9987, [[0, cat(text('TS3INIT1'), hex('0065 0000 88 06 3b ec e9 00 61 ad 56 34 00 00 00 00 00 00 00 00 00'))]]), 'TeamSpeak');
  want.set(cap.tcp(40009, 4899, [[0, hex('01000000 01 000000 0808')], [1, cat(hex('01000000 25 0000 02120802 0000 0a'), new Uint8Array(32).fill(0x5a))]]), 'Radmin');
  want.set(cap.tcp(40010, 4000, [[0, text('NXSH-8.10.1\n')], [1, text('NXD-8.10.1\n')]]), 'NoMachine');
  want.set(cap.tcp(40011, 514, [[0, text('1023\0')], [0, text('alice\0bob\0ls -l\0')]]), 'RSH');
  want.set(cap.udp(40012, 40013, [[0, cat(hex('32ab9864 02'), new Uint8Array(60).fill(0x11))]]), 'Nintendo');
  want.set(cap.udp(40014, 5004, [[0, text('A')], [1, text('IP=90.186.132.133,PORT=51381')]]), 'Softether');
  const file = join(mkdtempSync(join(tmpdir(), 'sonda-group-e-')), 'sessions.pcap');
  writeFileSync(file, pcapFile(cap.records));
  const got = new Map((await classifyCapture(file, DISSECTORS)).map((f) => [f.flow, `${f.protocol}/${f.confidence}/${f.host ?? ''}`]));
  for (const [flow, name] of want) {
    const host = name === 'MGCP' ? 'vg224' : '';
    assert.equal(got.get(flow), `${name}/dpi/${host}`, flow);
  }
});
