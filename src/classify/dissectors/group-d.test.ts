/**
 * Group D's smaller dissectors (one message format each) and the group as a whole: the corpus
 * captures, random bytes, the malformed tcpdump captures, and no claim nDPI does not make.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capwap } from './capwap.js';
import { coap } from './coap.js';
import { diameter } from './diameter.js';
import { elasticsearch } from './elasticsearch.js';
import { GROUP_D } from './group-d.js';
import { hsrp } from './hsrp.js';
import { iec60870 } from './iec60870.js';
import { kafka } from './kafka.js';
import { lisp } from './lisp.js';
import { nats } from './nats.js';
import { ookla } from './ookla.js';
import { ptpv2 } from './ptpv2.js';
import { sflow } from './sflow.js';
import { someip } from './someip.js';
import { cat, dpiNames, hex, nameOf, ndpiPcap, randomClaims, tcpdumpPcap, text, truncatedNames } from './testkit-c.js';
import { ndpiCorpusClaims, throwsOnTcpdumpCorpus } from './testkit.js';
import { thrift } from './thrift.js';
import { z3950 } from './z3950.js';
import { zabbix } from './zabbix.js';

const TCP = { transport: 6 } as const;
const UDP = { transport: 17 } as const;

/** tcpdump corpus captures and the names group D alone gives their flows (confidence dpi). */
const TCPDUMP: ReadonlyArray<[file: string, names: Record<string, number>]> = [
  ['HSRP_coup.pcap', { HSRP: 3 }],
  ['HSRP_election.pcap', { HSRP: 3 }],
  ['HSRP_failover.pcap', { HSRP: 3 }],
  ['erspan-type-ii-2.pcap', { HSRP: 4 }],
  ['lisp_eid_register.pcap', { LISP: 1 }],
  ['lisp_eid_notify.pcap', { LISP: 1 }],
  ['lisp_ipv6.pcap', { LISP: 1 }],
  ['lisp_invalid.pcap', {}], // its record's address family is garbled: left to the port
  ['lisp_invalid_length.pcap', {}], // key id and lengths garbled: left to the port
  ['ptp.pcap', { PTPv2: 3 }],
  ['ptp_corrections.pcap', { PTPv2: 2 }],
  ['sflow_expanded.pcap', { sFlow: 1 }],
  ['sflow-print-v6.pcap', { sFlow: 1 }],
  ['sflow_multiple_counter_30_pdus.pcap', { sFlow: 7 }], // and two NetFlow v5 exporters sending to 6343
  ['sflow_print-segv.pcap', {}], // an 8-byte datagram
  ['someip1.pcap', { SOMEIP: 1 }],
  ['someip2.pcap', { SOMEIP: 1 }],
];

test('group D: tcpdump corpus captures', async () => {
  for (const [file, names] of TCPDUMP) assert.deepEqual(await dpiNames(tcpdumpPcap(file), GROUP_D), names, file);
  // CAPWAP data the decoder does not open as a tunnel (nDPI reports the inner flows only).
  assert.deepEqual(await dpiNames(ndpiPcap('capwap_data.pcapng'), GROUP_D), { CAPWAP: 2 });
});

test('Kafka: a request header from the client, its size and client id in order', () => {
  const apiVersions = hex('00000014 0012 0003 00000001 0007 72646b61666b61 000000');
  assert.equal(nameOf(kafka, {}, [[0, apiVersions]]), 'Kafka');
  // A produce request larger than its first segment; two requests in one segment.
  assert.equal(nameOf(kafka, {}, [[0, cat(hex('00010000 0000 0009 00000002 0003 617070'), new Uint8Array(100))]]), 'Kafka');
  assert.equal(nameOf(kafka, {}, [[0, cat(apiVersions, apiVersions)]]), 'Kafka');
  for (const bad of ['00000014 00c8 0003 00000001 0007 72646b61666b61 000000', '00000014 0012 0003 00000001 ffff 000000000000000000', '00000004 0012 0003 00000001 0007 72646b61666b61 000000', '00000014 0012 0003 00000001 0007 72646b61660a61 000000', '00000014 0012 0020 00000001 0007 72646b61666b61 000000']) {
    assert.equal(nameOf(kafka, {}, [[0, bad]]), undefined, bad);
  }
  assert.equal(nameOf(kafka, {}, [[1, apiVersions]]), undefined);
  assert.deepEqual(truncatedNames(kafka, {}, [], apiVersions.subarray(0, 21)), new Set([undefined]));
});

test('Nats: INFO/CONNECT with JSON, PUB/SUB/MSG lines; PING alone waits', () => {
  assert.equal(nameOf(nats, {}, [[1, text('INFO {"server_id":"NAB","version":"2.9.0","max_payload":1048576}\r\n')]]), 'Nats');
  assert.equal(nameOf(nats, {}, [[0, text('CONNECT {"verbose":false,"pedantic":false,"lang":"go"}\r\nPING\r\n')]]), 'Nats');
  assert.equal(nameOf(nats, {}, [[0, text('PUB orders.new 5\r\nhello\r\n')]]), 'Nats');
  assert.equal(nameOf(nats, {}, [[0, text('PUB orders.new _INBOX.x 5\r\nhello\r\n')]]), 'Nats');
  assert.equal(nameOf(nats, {}, [[1, text('MSG orders.new 1 5\r\nhello\r\n')]]), 'Nats');
  assert.equal(nameOf(nats, {}, [[0, text('SUB orders.* workers 7\r\n')]]), 'Nats');
  assert.equal(nameOf(nats, {}, [[0, text('PING\r\n')], [1, text('PONG\r\n')], [0, text('SUB a 1\r\n')]]), 'Nats');
  assert.equal(nameOf(nats, {}, [[0, text('PING\r\n')], [1, text('PONG\r\n')]]), undefined);
  for (const bad of ['PING :irc.example.net\r\n', 'INFO {"a":1\r\n', 'INFO text\r\n', 'PUB a b\r\n', 'PUB 5\r\n', 'MSG a 1\r\n', 'CONNECT {"a":1}']) assert.equal(nameOf(nats, {}, [[0, text(bad)]]), undefined, bad);
});

test('Zabbix: the ZBXD header with a protocol flag and a length that covers the data', () => {
  const data = text('{"request":"active checks","host":"web01"}');
  const header = (flags: number, n: number) => cat(text('ZBXD'), Uint8Array.of(flags, n & 0xff, n >> 8, 0, 0, 0, 0, 0, 0));
  assert.equal(nameOf(zabbix, {}, [[0, cat(header(1, data.length), data)]]), 'Zabbix');
  assert.equal(nameOf(zabbix, {}, [[1, cat(header(3, data.length), data)]]), 'Zabbix');
  assert.equal(nameOf(zabbix, {}, [[0, cat(header(1, 1000), data)]]), 'Zabbix'); // more in the next segment
  assert.equal(nameOf(zabbix, {}, [[0, cat(header(0, data.length), data)]]), undefined);
  assert.equal(nameOf(zabbix, {}, [[0, cat(header(9, data.length), data)]]), undefined);
  assert.equal(nameOf(zabbix, {}, [[0, cat(header(1, 4), data)]]), undefined);
  assert.equal(nameOf(zabbix, {}, [[0, text('ZBXA\x01')]]), undefined);
});

test('COAP: a well-formed message on 5683 only', () => {
  const onPort = { serverPort: 5683 };
  const get = hex('40 01 1234 b4 74656d70');
  assert.equal(nameOf(coap, onPort, [[0, get]]), 'COAP');
  assert.equal(nameOf(coap, { clientPort: 61620 }, [[1, hex('61 45 1234 aa ff 3232')]]), 'COAP');
  assert.equal(nameOf(coap, onPort, [[1, hex('60 00 1234')]]), 'COAP');
  assert.equal(nameOf(coap, {}, [[0, get]]), undefined);
  // Version 2, token length 9, code 3.00, option nibble 15, marker without payload, empty message with a token.
  for (const bad of ['80 01 1234 b4 74656d70', '49 01 1234 0102030405060708 09', '40 60 1234', '40 01 1234 f0', '40 01 1234 ff', '61 00 1234 aa', '40 01 1234 b4 7465']) {
    assert.equal(nameOf(coap, onPort, [[0, bad]]), undefined, bad);
  }
});

test('Diameter: a header and first AVP that agree, a known command', () => {
  const cer = hex('0100005480000101000000000000123400005678000001084000001a636c69656e742e6578616d706c652e6f7267000000000128400000136578616d706c652e6f726700000001014000000e00010a0000010000');
  const cea = hex('0100003c000001010000000000001234000056780000010c4000000c000007d1000001084000001a7365727665722e6578616d706c652e6f72670000');
  assert.equal(nameOf(diameter, {}, [[0, cer], [1, cea]]), 'Diameter');
  assert.equal(nameOf(diameter, {}, [[1, cea]]), 'Diameter');
  const badVersion = Uint8Array.from(cer);
  badVersion[0] = 2;
  const badFlags = Uint8Array.from(cer);
  badFlags[4] = 0x81;
  const badCommand = Uint8Array.from(cer);
  badCommand[7] = 0x99;
  badCommand[6] = 0x09;
  const badAvp = Uint8Array.from(cer);
  badAvp[24] = 0x5f;
  for (const m of [badVersion, badFlags, badCommand, badAvp]) assert.equal(nameOf(diameter, {}, [[0, m]]), undefined);
  assert.deepEqual(truncatedNames(diameter, {}, [], cer.subarray(0, 28)), new Set([undefined]));
});

test('IEC60870: chains of U, S and I frames', () => {
  assert.equal(nameOf(iec60870, {}, [[0, hex('68 04 07 00 00 00')], [1, hex('68 04 0b 00 00 00')]]), 'IEC60870');
  assert.equal(nameOf(iec60870, {}, [[0, hex('68 0e 00 00 00 00 64 01 06 00 01 00 00 00 00 14 68 04 01 00 02 00')]]), 'IEC60870');
  // Two U functions at once, an unknown type, cause 0, a short length, a trailing byte.
  for (const bad of ['68 04 0f 00 00 00', '68 0e 00 00 00 00 00 01 06 00 01 00 00 00 00 14', '68 0e 00 00 00 00 64 01 00 00 01 00 00 00 00 14', '68 03 07 00 00 00', '68 04 07 00 00 00 00', '69 04 07 00 00 00']) {
    assert.equal(nameOf(iec60870, {}, [[0, bad]]), undefined, bad);
  }
});

test('SOMEIP: on its ports, messages that end where the payload ends (TCP: or run on)', () => {
  const request = hex('0001 0002 00000008 0001 0001 01 01 00 00');
  const response = hex('0001 0002 0000000c 0001 0001 01 01 80 00 deadbeef');
  const udp = { ...UDP, serverPort: 30490 };
  const tcp = { ...TCP, serverPort: 30501 };
  assert.equal(nameOf(someip, udp, [[0, cat(request, request)]]), 'SOMEIP');
  assert.equal(nameOf(someip, tcp, [[0, request], [1, response]]), 'SOMEIP');
  assert.equal(nameOf(someip, { ...TCP, clientPort: 30491 }, [[1, response]]), 'SOMEIP');
  assert.equal(nameOf(someip, tcp, [[0, hex('0001 0002 00000100 0001 0001 01 01 00 00 0102')]]), 'SOMEIP');
  assert.equal(nameOf(someip, { ...UDP, serverPort: 30502 }, [[0, request]]), undefined);
  assert.equal(nameOf(someip, udp, [[0, cat(response, request.subarray(0, 8))]]), undefined);
  for (const bad of ['0001 0002 00000008 0001 0001 02 01 00 00', '0001 0002 00000008 0001 0001 01 01 03 00', '0001 0002 00000008 0001 0001 01 01 00 60', '0001 0002 00000009 0001 0001 01 01 00 00']) {
    assert.equal(nameOf(someip, udp, [[0, bad]]), undefined, bad);
  }
});

test('sFlow: a version 5 datagram tiled by its samples; NetFlow is not sFlow', () => {
  const header = hex('00000005 00000001 c0000201 00000000 00000001 00000100 00000001');
  const sample = hex('00000002 00000008 00000001 00000000');
  assert.equal(nameOf(sflow, {}, [[0, cat(header, sample)]]), 'sFlow');
  assert.equal(nameOf(sflow, {}, [[0, cat(header, sample, hex('00'))]]), undefined);
  assert.equal(nameOf(sflow, {}, [[0, cat(header, hex('00000002 00000010 00000001 00000000'))]]), undefined);
  assert.equal(nameOf(sflow, {}, [[0, cat(hex('00000005 00000003'), header.subarray(8), sample)]]), undefined);
  assert.equal(nameOf(sflow, {}, [[0, hex('0005 0001 9fbf366a 4d966a2c 00000000 01eedaa3 00000000 a857f046 401e7969')]]), undefined);
});

test('PTPv2: version 2 messages of a defined type and length, on 319/320', () => {
  const delayReq = hex('0102002c000000000000000000000000000000007cfe90fffef950b400010084017f00000000000000000000');
  assert.equal(nameOf(ptpv2, { serverPort: 319 }, [[0, delayReq]]), 'PTPv2');
  assert.equal(nameOf(ptpv2, { serverPort: 330 }, [[0, delayReq]]), undefined);
  const v1 = Uint8Array.from(delayReq);
  v1[1] = 1;
  const tooLong = Uint8Array.from(delayReq);
  tooLong[3] = 0x40;
  const type5 = Uint8Array.from(delayReq);
  type5[0] = 5;
  for (const m of [v1, tooLong, type5, delayReq.subarray(0, 33)]) assert.equal(nameOf(ptpv2, { serverPort: 319 }, [[0, m]]), undefined);
});

test('HSRP: between two routers on the HSRP port, version 0/1 or 2', () => {
  const hello = hex('000004030a640100636973636f000000c0a80001');
  const same = { clientPort: 1985, serverPort: 1985 };
  assert.equal(nameOf(hsrp, same, [[0, hello]]), 'HSRP');
  assert.equal(nameOf(hsrp, { clientPort: 40000, serverPort: 1985 }, [[0, hello]]), undefined);
  const v2 = cat(hex('01 28 02 00 06 04 0001'), new Uint8Array(34), hex('03 08 0000 636973636f000000'));
  assert.equal(nameOf(hsrp, { clientPort: 2029, serverPort: 2029 }, [[0, v2]]), 'HSRP');
  assert.equal(nameOf(hsrp, same, [[0, hex('000504030a640100636973636f000000c0a80001')]]), undefined);
  assert.equal(nameOf(hsrp, same, [[0, hex('000003030a640100636973636f000000c0a80001')]]), undefined);
});

test('LISP: control messages on 4342, data on 4341', () => {
  const register = hex('32001102c4218228892d20a4000100144bbb9614a67a86040407799545371906836cd1d6000005a001201000000000010a1e01640164016400000001141408fd');
  assert.equal(nameOf(lisp, { serverPort: 4342 }, [[0, register]]), 'LISP');
  assert.equal(nameOf(lisp, { serverPort: 4341 }, [[0, register]]), undefined);
  const data = cat(hex('88000000 00000001'), hex('45000054 00004000 40010000 0a000001 0a000002'), new Uint8Array(64));
  assert.equal(nameOf(lisp, { serverPort: 4341 }, [[0, data]]), 'LISP');
  assert.equal(nameOf(lisp, { serverPort: 4341 }, [[0, cat(hex('88000000 00000001'), new Uint8Array(84))]]), undefined);
  const ecm = cat(hex('80000000'), hex('45000040 00000000 40110000 0a000001 0a000002'), hex('10f610f6 002c0000'), new Uint8Array(28));
  assert.equal(nameOf(lisp, { serverPort: 4342 }, [[0, ecm]]), 'LISP');
  assert.equal(nameOf(lisp, { serverPort: 4342 }, [[0, hex('30000000 0000000000000000 0007 0014')]]), undefined);
});

test('CAPWAP: control messages on 5246, DTLS-wrapped ones, data on 5247', () => {
  const discovery = hex('00 10 02 00 00000000 00000001 00 0008 00 0014 0001 01');
  assert.equal(nameOf(capwap, { serverPort: 5246 }, [[0, discovery]]), 'CAPWAP');
  assert.equal(nameOf(capwap, { serverPort: 5246 }, [[0, cat(discovery, hex('00'))]]), undefined);
  assert.equal(nameOf(capwap, { serverPort: 5246 }, [[0, hex('00 10 02 00 00000000 0000001b 00 0008 00 0014 0001 01')]]), undefined);
  const dtls = cat(hex('01000000 16 fefd 0000 000000000000 0010'), new Uint8Array(16));
  assert.equal(nameOf(capwap, { serverPort: 5246 }, [[0, dtls]]), 'CAPWAP');
  assert.equal(nameOf(capwap, { serverPort: 5246 }, [[0, cat(dtls, hex('00'))]]), undefined);
  assert.equal(nameOf(capwap, { serverPort: 5247 }, [[0, cat(hex('00 10 02 08 00000000'), new Uint8Array(12))]]), 'CAPWAP');
  assert.equal(nameOf(capwap, { serverPort: 5247 }, [[0, cat(hex('00 10 0e 08 00000000'), new Uint8Array(12))]]), undefined);
});

test('Z39.50: an initRequest on 210, or answered by an initResponse', () => {
  const init = hex('b4 13 8302 05e0 8403 00e000 8503 010000 8603 010000');
  const response = hex('b5 16 8302 05e0 8403 00e000 8503 010000 8603 010000 8c01 ff');
  assert.equal(nameOf(z3950, { serverPort: 210 }, [[0, init]]), 'Z3950');
  assert.equal(nameOf(z3950, {}, [[0, init]]), undefined);
  assert.equal(nameOf(z3950, {}, [[0, init], [1, response]]), 'Z3950');
  assert.equal(nameOf(z3950, {}, [[0, init], [1, init]]), undefined);
  assert.equal(nameOf(z3950, { serverPort: 210 }, [[0, hex('b6 13 8302 05e0 8403 00e000 8503 010000 8603 010000')]]), undefined);
  assert.equal(nameOf(z3950, { serverPort: 210 }, [[0, hex('b4 13 3002 05e0 8403 00e000 8503 010000 8603 010000')]]), undefined);
  assert.equal(nameOf(z3950, { serverPort: 210 }, [[0, hex('b4 02 8305 05e0')]]), undefined);
});

test('Ookla: HI on the Speedtest ports, or answered by HELLO', () => {
  assert.equal(nameOf(ookla, { serverPort: 8080 }, [[0, text('HI\n')]]), 'Ookla');
  assert.equal(nameOf(ookla, { serverPort: 5060 }, [[0, text('HI 4f8c7b92-1c2d-4e5f-8a9b-0c1d2e3f4a5b\n')]]), 'Ookla');
  assert.equal(nameOf(ookla, {}, [[0, text('HI\n')], [1, text('HELLO 2.9 (2.9.0) 2021-01-12.1234.abc\n')]]), 'Ookla');
  assert.equal(nameOf(ookla, {}, [[0, text('HI\n')]]), undefined);
  assert.equal(nameOf(ookla, {}, [[0, text('HI\n')], [1, text('HELLO\n')]]), undefined);
  assert.equal(nameOf(ookla, { serverPort: 8080 }, [[0, text('HI')]]), undefined);
  assert.equal(nameOf(ookla, { serverPort: 8080 }, [[0, text('HI\nGETIP\n')]]), undefined);
  assert.equal(nameOf(ookla, { serverPort: 8080 }, [[0, text('HIGH\n')]]), undefined);
});

test('Thrift: a strict binary message on TCP, a compact one on UDP', () => {
  const call = hex('80010001 00000004 70696e67 00000001 00');
  assert.equal(nameOf(thrift, TCP, [[0, call]]), 'Thrift');
  assert.equal(nameOf(thrift, TCP, [[1, hex('80010002 00000004 70696e67 00000001 00')]]), 'Thrift');
  assert.equal(nameOf(thrift, UDP, [[0, hex('82 21 01 04 70696e67 00')]]), 'Thrift');
  for (const bad of ['80020001 00000004 70696e67 00000001 00', '80010005 00000004 70696e67 00000001 00', '80010001 00000004 70690a67 00000001 00', '80010001 00000004 70696e67 0000', '80010001 00010000 70696e67 00000001 00']) {
    assert.equal(nameOf(thrift, TCP, [[0, bad]]), undefined, bad);
  }
  assert.equal(nameOf(thrift, UDP, [[0, call]]), undefined);
  assert.equal(nameOf(thrift, TCP, [[0, hex('82 21 01 04 70696e67 00')]]), undefined);
});

test('Elasticsearch: the transport header, or a ping', () => {
  assert.equal(nameOf(elasticsearch, {}, [[0, hex('4553 00000013 0000000000000001 00 006d6f33 000000000000')]]), 'Elasticsearch');
  assert.equal(nameOf(elasticsearch, {}, [[0, hex('4553 ffffffff')]]), 'Elasticsearch');
  assert.equal(nameOf(elasticsearch, {}, [[0, hex('4553 00000013 0000000000000001 20 006d6f33 000000000000')]]), undefined);
  assert.equal(nameOf(elasticsearch, {}, [[0, hex('4553 00000013 0000000000000001 00 00000000 000000000000')]]), undefined);
  assert.equal(nameOf(elasticsearch, {}, [[0, hex('4553 ffffffff 00')]]), undefined);
  assert.equal(nameOf(elasticsearch, {}, [[0, text('ESMTP ready here, hello\r\n')]]), undefined);
});

test('group D: no flow of the nDPI corpus is claimed for a protocol nDPI does not see in it', async () => {
  const foreign: string[] = [];
  for (const { file, flow: f, expected: exp } of await ndpiCorpusClaims(GROUP_D)) {
    // Names by IP protocol number (ICMP …) are the classifier's; flows nDPI does not list
    // (tunnel endpoints it reports only inside) cannot disagree.
    if (exp === undefined || !GROUP_D.some((d) => d.name === f.protocol)) continue;
    if (exp !== f.protocol && exp.split('.')[0] !== f.protocol) foreign.push(`${file}: ${f.flow} ${f.protocol} (nDPI: ${exp})`);
  }
  assert.deepEqual(foreign, []);
});

test('group D: no dissector throws on the tcpdump corpus (malformed captures)', async () => {
  assert.deepEqual(await throwsOnTcpdumpCorpus(GROUP_D), []);
});

test('group D: random payloads are not claimed, on any of the group\'s ports', () => {
  const ports = [40002, 1883, 6379, 11211, 27017, 9092, 10050, 5683, 3868, 2404, 30490, 30501, 6343, 319, 1985, 4341, 4342, 5246, 5247, 210, 8080, 9300];
  for (const d of GROUP_D) {
    for (const transport of d.transport === 'both' ? [6, 17] : [d.transport === 'tcp' ? 6 : 17]) {
      for (const serverPort of ports) {
        const f = { transport, serverPort, clientPort: serverPort === 1985 ? 1985 : 40001 };
        assert.equal(randomClaims(d, f, { n: 300 }), 0, `${d.name} on ${transport}/${serverPort}`);
      }
    }
  }
});
