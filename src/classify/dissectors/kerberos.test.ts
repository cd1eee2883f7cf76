import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKerberosMessage, kerberos } from './kerberos.js';
import { corpus, dpiCount, inspectAll, noiseClaims } from './testkit-a.js';

/** DER: a tag, a length (short or long form) and the content. */
function der(tag: number, content: number[]): number[] {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return [tag, ...len, ...content];
}

/** A Kerberos message: application tag, SEQUENCE of pvno and msg-type fields, then padding fields. */
function message(type: number, extra = 0, pvno = 5, msgType = type): Uint8Array {
  const request = type === 10 || type === 12;
  const first = request ? 0xa1 : 0xa0;
  const fields = [...der(first, der(2, [pvno])), ...der(first + 1, der(2, [msgType])), ...der(0xa4, der(0x30, new Array<number>(extra).fill(0x41)))];
  return Uint8Array.from(der(0x60 + type, der(0x30, fields)));
}

const withRecordMark = (m: Uint8Array): Uint8Array => {
  const out = new Uint8Array(m.length + 4);
  new DataView(out.buffer).setUint32(0, m.length);
  out.set(m, 4);
  return out;
};

test('kerberos: every message type, short and long lengths, over UDP and TCP', () => {
  for (const type of [10, 11, 12, 13, 14, 15, 30]) {
    for (const extra of [0, 200, 400]) {
      const m = message(type, extra);
      assert.equal(isKerberosMessage(m, 0, m.length, m.length), true, `type ${type} extra ${extra}`);
      assert.equal(inspectAll(kerberos, { transport: 17, serverPort: 88 }, [[0, m]]).name, 'Kerberos');
      assert.equal(inspectAll(kerberos, { transport: 6, serverPort: 88 }, [[0, withRecordMark(m)]]).name, 'Kerberos');
    }
  }
  // A reply seen first (the request was not captured) still decides.
  assert.equal(inspectAll(kerberos, { transport: 17 }, [[1, message(11)]]).name, 'Kerberos');
});

test('kerberos: wrong version, mismatched type, lengths that disagree and truncation are rejected', () => {
  const udp = { transport: 17, serverPort: 88 };
  assert.equal(inspectAll(kerberos, udp, [[0, message(10, 0, 4)]]).name, undefined);
  assert.equal(inspectAll(kerberos, udp, [[0, message(10, 0, 5, 11)]]).name, undefined);
  const m = message(12, 50);
  assert.equal(inspectAll(kerberos, udp, [[0, m.subarray(0, m.length - 1)]]).name, undefined);
  const longer = new Uint8Array(m.length + 1);
  longer.set(m);
  assert.equal(inspectAll(kerberos, udp, [[0, longer]]).name, undefined);
  const badMark = withRecordMark(m);
  badMark[3]! += 1;
  assert.equal(inspectAll(kerberos, { transport: 6, serverPort: 88 }, [[0, badMark]]).name, undefined);
  for (let n = 0; n < 16; n++) assert.equal(inspectAll(kerberos, udp, [[0, m.subarray(0, n)]]).name, undefined);
});

test('kerberos: random payloads are not claimed', () => {
  assert.equal(noiseClaims(kerberos, { transport: 17, serverPort: 88 }, 21, 3000, 300), 0);
  assert.equal(noiseClaims(kerberos, { transport: 6, serverPort: 88 }, 22, 3000, 300), 0);
});

test('kerberos: corpus logins and errors', async () => {
  assert.deepEqual(await dpiCount(corpus('kerberos-login.pcap'), [kerberos]), { Kerberos: 13 });
  assert.deepEqual(await dpiCount(corpus('kerberos-error.pcap'), [kerberos]), { Kerberos: 1 });
});
