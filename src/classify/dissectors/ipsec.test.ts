import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipsec, isIkeMessage } from './ipsec.js';
import { cat, dpiNames, hex, ndpiPcap, nameOf, randomClaims, tcpdumpPcap, truncatedNames } from './testkit-c.js';

/** An IKEv1 main-mode first message (tcpdump ISAKMP_sa_setup.pcap), 148 bytes. */
const IKE_V1 = hex(
  'cf02326f14a95b93 0000000000000000 01 10 02 00 00000000 00000094' +
    '0d00003c00000001000000010000003001010001000000280101000080010007800e0080800200028004000180030001800b0001000c0004000151800d000014439b59f8ba676c4c7737ae22eab8f5820d0000147d9419a65310ca6f2c179d9215529d560000001490cb80913ebb696e086381b5ec427b1f',
);

test('ipsec: corpus IKE and ESP-in-UDP flows', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('ipsec_isakmp_esp.pcap'), [ipsec]), { IPSec: 24 });
  assert.equal((await dpiNames(tcpdumpPcap('isakmp4500.pcap'), [ipsec])).IPSec, 2);
  assert.equal((await dpiNames(tcpdumpPcap('espudp1.pcap'), [ipsec])).IPSec, 1);
  assert.equal((await dpiNames(tcpdumpPcap('ikev2four.pcap'), [ipsec])).IPSec, 1);
});

test('ipsec: the IKE header must be whole and consistent', () => {
  assert.equal(IKE_V1.length, 148);
  assert.equal(isIkeMessage(IKE_V1, 0, IKE_V1.length), true);
  assert.equal(nameOf(ipsec, { serverPort: 500 }, [[0, IKE_V1]]), 'IPSec');
  assert.equal(nameOf(ipsec, { serverPort: 4500 }, [[0, cat(hex('00000000'), IKE_V1)]]), 'IPSec');
  // Length field off by one, a version 3, an unknown exchange, a zero initiator SPI.
  const mutate = (at: number, v: number): Uint8Array => {
    const m = Uint8Array.from(IKE_V1);
    m[at] = v;
    return m;
  };
  assert.equal(nameOf(ipsec, { serverPort: 500 }, [[0, mutate(27, 0x95)]]), undefined);
  assert.equal(nameOf(ipsec, { serverPort: 500 }, [[0, mutate(17, 0x30)]]), undefined);
  assert.equal(nameOf(ipsec, { serverPort: 500 }, [[0, mutate(18, 0x10)]]), undefined);
  assert.equal(nameOf(ipsec, { serverPort: 500 }, [[0, cat(new Uint8Array(8), IKE_V1.subarray(8))]]), undefined);
  assert.deepEqual(truncatedNames(ipsec, { serverPort: 500 }, [], IKE_V1), new Set([undefined]));
});

test('ipsec: ESP on 4500 needs one SPI and a rising sequence number', () => {
  const esp = (spi: string, seq: number): Uint8Array => cat(hex(spi), hex(seq.toString(16).padStart(8, '0')), new Uint8Array(40));
  assert.equal(nameOf(ipsec, { serverPort: 4500 }, [[0, esp('12345678', 1)], [0, esp('12345678', 2)]]), 'IPSec');
  assert.equal(nameOf(ipsec, { serverPort: 4500 }, [[0, esp('12345678', 1)], [0, esp('12345679', 2)]]), undefined);
  assert.equal(nameOf(ipsec, { serverPort: 4500 }, [[0, esp('12345678', 2)], [0, esp('12345678', 2)]]), undefined);
  assert.equal(nameOf(ipsec, { serverPort: 4501 }, [[0, esp('12345678', 1)], [0, esp('12345678', 2)]]), undefined);
  assert.equal(nameOf(ipsec, { serverPort: 4500 }, [[0, esp('00000080', 1)], [0, esp('00000080', 2)]]), undefined);
});

test('ipsec: random payloads are not claimed', () => {
  assert.equal(randomClaims(ipsec, { serverPort: 500 }), 0);
  assert.equal(randomClaims(ipsec, { serverPort: 4500 }), 0);
});
