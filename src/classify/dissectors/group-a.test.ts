import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { seededRandom } from '../../testing/random.js';
import type { Dissector, FlowInfo } from '../dissector.js';
import { afp } from './afp.js';
import { ajp } from './ajp.js';
import { atg } from './atg.js';
import { bacnet } from './bacnet.js';
import { beckhoffAds } from './beckhoff-ads.js';
import { bfd } from './bfd.js';
import { bgp } from './bgp.js';
import { cassandra } from './cassandra.js';
import { ceph } from './ceph.js';
import { checkmk } from './checkmk.js';
import { ciscoSkinny } from './cisco-skinny.js';
import { collectd } from './collectd.js';
import { corba } from './corba.js';
import { cpha } from './cpha.js';
import { dcerpc } from './dcerpc.js';
import { dnp3 } from './dnp3.js';
import { drda } from './drda.js';
import { ethernetIp } from './ethernet-ip.js';
import { fastcgi } from './fastcgi.js';
import { fins } from './fins.js';
import { git } from './git.js';
import { GROUP_A } from './group-a.js';
import { gtp } from './gtp.js';
import { h323 } from './h323.js';
import { hartIp } from './hart-ip.js';
import { hpVirtgrp } from './hp-virtgrp.js';
import { iax } from './iax.js';
import { iec62056 } from './iec62056.js';
import { ieeeC37118 } from './ieee-c37118.js';
import { irc } from './irc.js';
import { iscsi } from './iscsi.js';
import { iso9506Mms } from './iso9506-mms.js';
import { jrmi } from './jrmi.js';
import { jsonRpc } from './json-rpc.js';
import { kerberos } from './kerberos.js';
import { kismet } from './kismet.js';
import { ldap } from './ldap.js';
import { ldp } from './ldp.js';
import { megaco } from './megaco.js';
import { modbus } from './modbus.js';
import { mpegTs } from './mpeg-ts.js';
import { mssqlTds } from './mssql-tds.js';
import { munin } from './munin.js';
import { mysql } from './mysql.js';
import { netbios } from './netbios.js';
import { netflow } from './netflow.js';
import { nfs } from './nfs.js';
import { openflow } from './openflow.js';
import { openvpn } from './openvpn.js';
import { oracle } from './oracle.js';
import { postgresql } from './postgresql.js';
import { radius } from './radius.js';
import { raknet } from './raknet.js';
import { ripeAtlas } from './ripe-atlas.js';
import { roughtime } from './roughtime.js';
import { rsync } from './rsync.js';
import { rtps } from './rtps.js';
import { rx } from './rx.js';
import { s7commPlus } from './s7comm-plus.js';
import { sdRtn } from './sd-rtn.js';
import { slp } from './slp.js';
import { soap } from './soap.js';
import { ssdp } from './ssdp.js';
import { syslog } from './syslog.js';
import { telnet } from './telnet.js';
import { classify, classifyRun, corpus, dpiCount, hexBytes, inspectAll, noiseClaims, type Packet, tcpdumpCorpus, textBytes } from './testkit-a.js';
import { tftp } from './tftp.js';
import { tinc } from './tinc.js';
import { uftp } from './uftp.js';
import { usenet } from './usenet.js';
import { vnc } from './vnc.js';
import { xdmcp } from './xdmcp.js';

const hex = (...parts: string[]): string => parts.join('');
const txt = (s: string): Uint8Array => textBytes(s);
const zeros = (n: number): string => '00'.repeat(n);
const u16hex = (v: number): string => v.toString(16).padStart(4, '0');
const asciiHex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

/** A collectd datagram: host part, then a time part. */
const collectdSample = (() => {
  const host = `${asciiHex('node.example')}00`;
  return hex('0000', u16hex(4 + host.length / 2), host, '0001000c', zeros(8));
})();

/** A FastCGI PARAMS record with one pair (HTTP_HOST = example.org). */
const fcgiParams = hex('01040001', u16hex(2 + 9 + 11), '0000', '090b', asciiHex('HTTP_HOST'), asciiHex('example.org'));

/** An MPEG-TS packet (sync, PID 0x11, payload only). */
const tsPacket = hex('47001110', 'ff'.repeat(184));

/** A Roughtime request: NONC and PAD tags, a 64-byte nonce, padding. */
const roughtimeRequest = hex('02000000', '40000000', asciiHex('NONC'), asciiHex('PAD'), 'ff', 'ab'.repeat(64), zeros(32));

/** An SD-RTN client hello naming e.agora.io. */
const sdRtnHello = hex('00', '5a384c00', '0021', '00', '00000000', '04', asciiHex('SNI'), '00', '0a00', asciiHex('e.agora.io'), asciiHex('PDMD'), '0000');

/** A MySQL 5.7 server greeting (protocol 10). */
const mysqlGreeting = (() => {
  const body = hex('0a', asciiHex('5.7.30'), '00', '0b000000', '3a23212e5b3f6c44', '00', 'ffff', '21', '0200', 'ffc1', '15', zeros(10), '4a7e37505c4d5d2a5a0f1c4600', asciiHex('mysql_native_password'), '00');
  const n = body.length / 2;
  return hex((n & 0xff).toString(16).padStart(2, '0'), ((n >> 8) & 0xff).toString(16).padStart(2, '0'), '00', '00', body);
})();

/** An Oracle TNS CONNECT (version 314) with its connect descriptor. */
const tnsConnect = (() => {
  const data = asciiHex('(DESCRIPTION=(CONNECT_DATA=(SID=ORCL))(ADDRESS=(PROTOCOL=TCP)(HOST=10.0.0.1)(PORT=1521)))');
  const total = 58 + data.length / 2;
  return hex(u16hex(total), '0000', '01', '00', '0000', '013a', '012c', zeros(46), data);
})();

/** An iSCSI login request with its initiator name. */
const iscsiLogin = (() => {
  const data = asciiHex('InitiatorName=iqn.1993-08.org.debian:01:abc\0SessionType=Normal\0');
  const len = data.length / 2;
  return hex('43870000', '00', len.toString(16).padStart(6, '0'), zeros(40), data, zeros((4 - (len % 4)) % 4));
})();

/** An H.225.0 SETUP: TPKT, Q.931 with a 2-byte call reference. */
const h225Setup = (() => {
  const q931 = hex('08', '02', '1234', '05', 'a1'.repeat(12));
  return hex('0300', u16hex(4 + q931.length / 2), q931);
})();

/**
 * One row per dissector: flow ports, a crafted (or captured) flow it must claim, whether dropping
 * the last byte of each payload must make it let go, the corpus capture(s) and how many flows
 * there it must claim, and the hosts it must report.
 */
interface Row {
  d: Dissector;
  /** The verdict expected when it is not the dissector's own name (MASTER.APP). */
  name?: string;
  flow: Partial<FlowInfo>;
  packets: Packet[];
  host?: string;
  exact: boolean;
  captures?: Record<string, number>;
  hosts?: string[];
}

const tcp = (clientPort: number, serverPort: number): Partial<FlowInfo> => ({ transport: 6, clientPort, serverPort });
const udp = (clientPort: number, serverPort: number): Partial<FlowInfo> => ({ transport: 17, clientPort, serverPort });

const ROWS: Row[] = [
  {
    d: netbios,
    flow: udp(137, 137),
    packets: [[0, '84e7011000010000000000002045464544454a465045454550454e4542454a454f43414341434143414341424d0000200001']],
    host: 'eci_domain',
    exact: true,
  },
  { d: kerberos, flow: udp(40000, 88), packets: [[0, '6a10300ea103020105a20302010aa4023000']], exact: true },
  { d: openvpn, flow: udp(60201, 1194), packets: [[0, '38334857703d96db390000000000'], [1, '40d31c3a6964602fa00100000000334857703d96db3900000000']], exact: true },
  { d: raknet, flow: udp(44501, 19132), packets: [[0, 'c0000100010000020000']], exact: true },
  { d: gtp, flow: udp(2123, 2123), packets: [[0, '4001000400123400']], exact: true, captures: { 'gtp_false_positive.pcapng': 1 } },
  { d: rsync, flow: tcp(40000, 873), packets: [[1, txt('@RSYNCD: 31.0\n')]], exact: false },
  { d: jrmi, flow: tcp(40000, 1099), packets: [[0, '4a524d4900024b']], exact: true },
  { d: git, flow: tcp(40000, 9418), packets: [[0, txt('0033git-upload-pack /project.git\0host=myserver.com\0')]], exact: true },
  { d: mysql, flow: tcp(40000, 3306), packets: [[1, mysqlGreeting]], exact: true },
  { d: mssqlTds, flow: tcp(40000, 1433), packets: [[0, hex('1201001a00000100', '00000b0006', '0100110001', 'ff', '0e000c000000', '02')]], exact: true },
  { d: oracle, flow: tcp(40000, 1521), packets: [[0, tnsConnect]], exact: true },
  { d: cassandra, flow: tcp(40000, 9042), packets: [[0, '040000000500000000']], exact: true },
  { d: iscsi, flow: tcp(40000, 3260), packets: [[0, iscsiLogin]], exact: false },
  { d: nfs, flow: udp(800, 2049), packets: [[0, hex('deadbeef', '00000000', '00000002', '000186a3', '00000003', zeros(20))]], exact: true },
  { d: h323, flow: tcp(40000, 1720), packets: [[0, h225Setup]], exact: true },
  { d: radius, flow: udp(40000, 1812), packets: [[0, hex('0100001b', 'ab'.repeat(16), '0107', asciiHex('alice'))]], exact: true },
  { d: slp, flow: udp(40000, 427), packets: [[0, hex('0201000023', '0000', '000000', '1234', '0002', asciiHex('en'), '0000', '0009', asciiHex('service:x'), '000000000000')]], exact: true },
  { d: ldap, flow: udp(40000, 389), packets: [[0, '300c020101600702010304008000']], exact: true },
  { d: dcerpc, flow: tcp(40000, 135), packets: [[0, hex('05000b0310000000', '4800', '0000', '01000000', zeros(56))]], exact: true },
  { d: cpha, flow: udp(8116, 8116), packets: [[0, hex('1a900c31278500010016793e0001fffee04a0100000200010000080a00020003')]], exact: false, captures: { 'cpha.pcap': 1 } },
  { d: modbus, name: 'Modbus.UMAS', flow: tcp(7718, 502), packets: [[0, '000000000004005a0002']], exact: true, captures: { 'umas.pcap': 1 } },
  { d: s7commPlus, flow: tcp(53162, 102), packets: [[1, '0300001f02f080720200103200000542000000023400000000000072020000']], exact: false, captures: { 's7comm-plus.pcap': 1, 'iso9506-1-mms.pcap': 0 } },
  { d: iso9506Mms, flow: tcp(1345, 102), packets: [[0, '0300002202f0800100010061153013020103a00ea20c800304a273a205a003870102']], exact: false, captures: { 'iso9506-1-mms.pcap': 1, 's7comm-plus.pcap': 0 } },
  { d: ciscoSkinny, flow: tcp(46461, 2000), packets: [[0, '08000000000000000200000000000000']], exact: true, captures: { 'sccp_hw_conf_register.pcapng': 1 } },
  {
    d: ssdp,
    flow: udp(50000, 1900),
    packets: [[0, txt('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n')]],
    host: '239.255.255.250:1900',
    exact: false,
    captures: { 'ssdp-m-search-ua.pcap': 1, 'anyconnect-vpn.pcap': 9 },
  },
  { d: rtps, flow: udp(28108, 7410), packets: [[0, '52545053020101014e44445350494e47']], exact: false, captures: { 'rtps.pcap': 1 } },
  { d: ripeAtlas, flow: udp(56857, 29195), packets: [[0, txt('MGLNDD_11.111.11.111_1114')]], exact: false, captures: { 'ripe_atlas.pcap': 7 } },
  { d: ceph, flow: tcp(35556, 6789), packets: [[1, txt('ceph v027')]], exact: true, captures: { 'ceph.pcap': 1 } },
  { d: vnc, flow: tcp(40000, 5900), packets: [[1, txt('RFB 003.008\n')]], exact: true },
  { d: munin, flow: tcp(45654, 4949), packets: [[1, txt('# munin node at kibana-node01\n')]], host: 'kibana-node01', exact: true, captures: { 'munin.pcap': 4 }, hosts: ['elastic-node02', 'gw-ct', 'kibana-node01', 'log-collector'] },
  { d: kismet, flow: tcp(34065, 2501), packets: [[1, txt('*KISMET: 0.0.0 1144004381 \x01Kismet\x01 20050815211952 0 \n')]], exact: false, captures: { 'kismet.pcap': 1 } },
  { d: checkmk, flow: tcp(58998, 6556), packets: [[1, txt('<<<check_mk>>>\n')]], exact: false, captures: { 'check_mk_new.pcap': 1 } },
  { d: bgp, flow: tcp(18324, 179), packets: [[0, hex('ff'.repeat(16), '0013', '04')]], exact: true, captures: { 'BGP_Cisco_hdlc_slarp.pcap': 1 } },
  { d: corba, flow: tcp(42717, 56899), packets: [[0, '47494f5001020000000000d8000000000300']], exact: false, captures: { 'corba.pcap': 2 } },
  { d: megaco, flow: udp(2944, 2944), packets: [[0, txt('!/1 <iMSS>\nT=5552827137{C=-{AV=DS/1/5{AT{M}}}}')]], exact: false, captures: { 'FAX-Call-t38-CA-TDM-SIP-FB-1.pcap': 1 } },
  { d: tinc, flow: tcp(59244, 55655), packets: [[0, txt('0 thinkz 17\n')], [1, txt('0 iniz 17\n')]], exact: true, captures: { 'tinc.pcap': 2 } },
  { d: dnp3, flow: tcp(2789, 20000), packets: [[1, '05640a44030004007caee6f78210004fbd']], exact: false, captures: { 'dnp3.pcap': 8 } },
  { d: iec62056, flow: tcp(60797, 4060), packets: [[0, '7ea0070321930f017e']], exact: true, captures: { 'dlms.pcap': 2 } },
  { d: ieeeC37118, flow: tcp(36835, 4712), packets: [[0, 'aa41001200f100000000000000000005d7d0']], exact: true, captures: { 'ieee_c37118.pcap': 2 } },
  { d: bacnet, flow: udp(53234, 47808), packets: [[0, '810a001101040005a90c0c023fffff194b']], exact: true, captures: { 'bacnet.pcap': 10 } },
  { d: ldp, flow: udp(646, 646), packets: [[0, '0001001e0a0000060000010000140000000004000004000f0000040100040a000006']], exact: true, captures: { 'ldp.pcap': 3 } },
  { d: roughtime, flow: udp(36225, 2002), packets: [[0, roughtimeRequest]], exact: false, captures: { 'roughtime.pcap': 4 } },
  { d: bfd, flow: udp(49152, 3784), packets: [[0, '20c003180000000100000001000f4240000f42400007a120']], exact: true, captures: { 'bfd.pcap': 4 } },
  {
    d: ethernetIp,
    flow: tcp(50275, 44818),
    packets: [[0, '70003a0000010210000000001a392f000000000000000000000000000a000200a100040009133500b1002600e46a0a02200224010200060012004c022072240000ce040001004c02207224002c3d04000100']],
    exact: true,
    captures: { 'ethernetIP.pcap': 4 },
  },
  { d: beckhoffAds, flow: tcp(49201, 48898), packets: [[0, '000020000000050d756001011027c0a801630101038004000400000000000000000005000000']], exact: true, captures: { 'beckhoff_ads.pcapng': 1 } },
  { d: drda, flow: tcp(4847, 50000), packets: [[0, hex('000ad0410001', '0004', '1041')]], exact: false, captures: { 'drda_db2.pcap': 1 } },
  { d: postgresql, flow: tcp(58574, 5432), packets: [[0, '0000000804d2162f']], exact: true, captures: { 'pgsql2.pcapng': 1 } },
  { d: fastcgi, flow: tcp(38254, 9000), packets: [[0, '01010001000800000001010000000000'], [0, fcgiParams]], host: 'example.org', exact: false, captures: { 'fastcgi.pcap': 1 }, hosts: ['api.openstreetmap.org'] },
  { d: afp, flow: tcp(64987, 548), packets: [[0, '000222c6000000000000000600000000110000020e1c'], [1, hex('010222c6', '00000000', '00000022', '00000000', zeros(34))]], exact: true, captures: { 'afp.pcap': 1 } },
  { d: fins, flow: udp(58722, 9600), packets: [[0, '8000020000000000007a010100cccccc0001']], exact: false, captures: { 'fins.pcap': 3 } },
  { d: hartIp, flow: udp(49905, 5094), packets: [[0, '010000000002000d0100007530']], exact: true, captures: { 'hart_ip.pcap': 3 } },
  { d: uftp, flow: udp(37173, 1044), packets: [[0, '400100000a00000196f4c304009d0000010600140000051457a65c1d00057a51e6040401e6050538']], exact: false, captures: { 'uftp_v4_v5.pcap': 3 } },
  { d: xdmcp, flow: udp(61426, 177), packets: [[0, '00010002000100']], exact: true, captures: { 'xdmcp.pcap': 1 } },
  { d: netflow, flow: udp(23384, 2055), packets: [[0, hex('00050001', zeros(20), zeros(48))]], exact: true, captures: { 'netflow-fritz.pcap': 1 } },
  { d: collectd, flow: udp(35988, 25826), packets: [[0, collectdSample]], host: 'node.example', exact: true, captures: { 'collectd.pcap': 5 }, hosts: ['devlap.fritz.box'] },
  { d: hpVirtgrp, flow: tcp(46570, 5223), packets: [[0, hex('160014', '00', 'ab'.repeat(16))], [1, hex('170014', '00', 'cd'.repeat(16))]], exact: true, captures: { 'hpvirtgrp.pcap': 9 } },
  { d: ajp, flow: tcp(38856, 8009), packets: [[0, '123400010a'], [1, '4142000109']], exact: true, captures: { 'ajp.pcap': 2 } },
  { d: atg, flow: tcp(3134, 10001), packets: [[0, '014932303130300d0a']], exact: true, captures: { 'atg.pcap': 2 } },
  { d: telnet, flow: tcp(1550, 23), packets: [[0, 'fffd03fffb18fffb1ffffb20fffb21fffb22fffb27fffd05fffb23']], exact: true, captures: { 'telnet.pcap': 1 } },
  { d: syslog, flow: udp(40000, 514), packets: [[0, txt("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed")]], exact: false, captures: { 'rsh-syslog-false-positive.pcap': 1 } },
  { d: irc, flow: tcp(45921, 8000), packets: [[0, txt('NICK molochtest\r\n')], [1, txt(':card.freenode.net NOTICE * :*** Looking up your hostname...\r\n')]], exact: true, captures: { 'irc.pcap': 1 } },
  { d: usenet, flow: tcp(55630, 119), packets: [[1, txt('200 Leafnode NNTP Daemon, version 1.11.7 running\r\n')]], exact: true, captures: { 'nntp.pcap': 1 } },
  { d: jsonRpc, flow: tcp(36646, 8080), packets: [[0, txt('{"jsonrpc": "2.0", "method": "echo", "params": ["Testing!"], "id": "1"}')]], exact: false, captures: { 'jsonrpc.pcap': 1, 'mining.pcapng': 0 } },
  { d: soap, flow: tcp(56028, 80), packets: [[0, txt('<?xml version="1.0" encoding="UTF-8"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>')]], exact: false, captures: { 'soap.pcap': 3 } },
  { d: tftp, flow: udp(50618, 69), packets: [[0, hex('0001', asciiHex('rfc1350.txt'), '00', asciiHex('octet'), '00')]], exact: true, captures: { 'tftp.pcap': 7 } },
  { d: iax, flow: udp(4569, 4566), packets: [[0, '8004000000000001000006010b020002010c343432303838323035313535020c34343737383232363739343904000a02656eff04000000020c0200001f040b0c55d6']], exact: true, captures: { 'iax.pcap': 1 } },
  { d: openflow, flow: tcp(49234, 6653), packets: [[0, '06000010000000010001000800000040'], [1, '06000010ffffffff0001000800000072']], exact: true, captures: { 'openflow.pcap': 1 } },
  { d: mpegTs, flow: udp(40737, 1234), packets: [[0, hex(tsPacket, tsPacket)]], exact: true, captures: { 'mpegts.pcap': 1 } },
  { d: sdRtn, flow: udp(35778, 8130), packets: [[0, sdRtnHello]], host: 'e.agora.io', exact: false, captures: { 'agora-sd-rtn.pcap': 26 } },
  {
    d: rx,
    flow: udp(41559, 7002),
    packets: [
      [0, '570fb5605c3fc9880000000100000001000000010105000000000049000001f8'],
      [1, '570fb5605c3fc98800000001000000010000000101040000000000490000000100002711'],
    ],
    exact: false,
    captures: { 'rx.pcap': 5 },
  },
];

test('group A: every dissector has a row, names match the protocol file', () => {
  const covered = new Set(ROWS.map((r) => r.d.name));
  for (const d of GROUP_A) assert.ok(covered.has(d.name), `${d.name} has no test row`);
  const file = readFileSync('data/protocols/group-a.txt', 'utf8');
  for (const d of GROUP_A) assert.match(file, new RegExp(`^\\[${d.name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\]$`, 'm'), `${d.name} in group-a.txt`);
});

test('group A: each claims its crafted flow, with its host', () => {
  for (const r of ROWS) {
    const out = inspectAll(r.d, r.flow, r.packets);
    assert.equal(out.name, r.name ?? r.d.name, `${r.d.name} claims its sample`);
    if (r.host !== undefined) assert.equal(out.host, r.host, `${r.d.name} host`);
  }
});

test('group A: guard bytes around a payload do not change the answer', () => {
  for (const r of ROWS) {
    for (const guard of [0x00, 0xff, 0x41]) {
      assert.equal(inspectAll(r.d, r.flow, r.packets, guard).name, r.name ?? r.d.name, `${r.d.name} with guard ${guard}`);
    }
  }
});

test('group A: truncated and empty payloads are not claimed', () => {
  for (const r of ROWS) {
    const bytes = r.packets.map(([dir, data]) => [dir, typeof data === 'string' ? hexBytes(data) : data] as const);
    for (let i = 0; i < bytes.length; i++) {
      const [dir, data] = bytes[i]!;
      // Every shorter prefix of the deciding payloads, and nothing at all.
      const cuts = r.exact ? [data.length - 1, Math.floor(data.length / 2), 1, 0] : [Math.min(3, data.length - 1), 1, 0];
      for (const n of cuts) {
        const pk: Packet[] = bytes.map(([d2, b2], j) => [d2, j === i ? data.subarray(0, n) : b2]);
        assert.notEqual(inspectAll(r.d, r.flow, pk, 0x20, true).name, r.name ?? r.d.name, `${r.d.name}: payload ${i} cut to ${n} bytes`);
      }
      assert.equal(dir === 0 || dir === 1, true);
    }
  }
});

test('group A: mutated samples (bytes changed, cut, extended) never make a dissector read outside its payload', () => {
  const rnd = seededRandom(99);
  const pick = (n: number) => Math.floor(rnd() * n);
  for (const r of ROWS) {
    const base = r.packets.map(([dir, data]) => [dir, typeof data === 'string' ? hexBytes(data) : data] as const);
    for (let k = 0; k < 150; k++) {
      const pk: Packet[] = base.map(([dir, data]) => {
        let m: Uint8Array = data.slice();
        const op = pick(4);
        if (op === 0 && m.length > 0) m = m.subarray(0, pick(m.length));
        else if (op === 1) {
          const x = new Uint8Array(m.length + 1 + pick(40));
          x.set(m);
          for (let i = m.length; i < x.length; i++) x[i] = pick(256);
          m = x;
        }
        for (let f = pick(4); f > 0 && m.length > 0; f--) m[pick(m.length)] = pick(256);
        return [dir, m];
      });
      assert.doesNotThrow(() => inspectAll(r.d, r.flow, pk, 0x20, true), `${r.d.name} mutation ${k}`);
    }
  }
});

test('group A: random payloads on the protocol ports are not claimed', () => {
  for (const r of ROWS) assert.equal(noiseClaims(r.d, r.flow, 11, 600, 400), 0, `${r.d.name} claimed noise`);
});

test('group A: each finds its flows in the corpus captures (and hosts)', async () => {
  for (const r of ROWS) {
    for (const [file, n] of Object.entries(r.captures ?? {})) {
      const counts = await dpiCount(corpus(file), [r.d]);
      assert.equal(counts[r.name ?? r.d.name] ?? 0, n, `${r.d.name} in ${file}`);
    }
    if (r.hosts !== undefined) {
      const file = Object.keys(r.captures!)[0]!;
      const hosts = (await classify(corpus(file), [r.d])).filter((f) => f.confidence === 'dpi' && f.protocol === r.d.name).map((f) => f.host);
      assert.deepEqual([...new Set(hosts)].sort(), r.hosts, `${r.d.name} hosts in ${file}`);
    }
  }
});

/** A flow key independent of direction. */
function pairKey(proto: string, a: string, b: string): string {
  return `${proto} ${a < b ? `${a} ${b}` : `${b} ${a}`}`;
}

test('group A: over the whole nDPI corpus, no flow is claimed that nDPI names otherwise', async () => {
  const names = new Set(GROUP_A.map((d) => d.name.toLowerCase()));
  const wrong: string[] = [];
  const dir = '../shared/corpus/ndpi/expected/';
  for (const f of readdirSync(dir)) {
    const capture = f.replace(/\.json$/, '');
    const expected = new Map<string, string>();
    const doc = JSON.parse(readFileSync(dir + f, 'utf8')) as {
      flows: { protocol: string; client: { ip: string; port: number }; server: { ip: string; port: number }; app?: { master?: string } }[];
    };
    for (const e of doc.flows) expected.set(pairKey(e.protocol, `${e.client.ip}:${e.client.port}`, `${e.server.ip}:${e.server.port}`), e.app?.master ?? 'Unknown');
    let flows: Awaited<ReturnType<typeof classify>>;
    try {
      flows = await classify(corpus(capture), GROUP_A);
    } catch {
      continue; // a capture the reader refuses is the reader's test
    }
    for (const g of flows) {
      if (g.confidence !== 'dpi' || !names.has(g.protocol.toLowerCase())) continue;
      const m = /^(\w+) (\S+) > (\S+)$/.exec(g.flow)!;
      const e = expected.get(pairKey(m[1]!, m[2]!, m[3]!));
      // Flows nDPI does not list at all are not judged; HTTP flows are claimed by HTTP first.
      if (e === undefined || e === 'HTTP') continue;
      if (e.toLowerCase() !== g.protocol.toLowerCase()) wrong.push(`${capture}: ${g.flow} ${g.protocol} (nDPI: ${e})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('group A: the tcpdump corpus (malformed captures) classifies without a throw', async () => {
  const files = readdirSync('../shared/corpus/tcpdump').filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f));
  assert.ok(files.length > 100);
  let errors = 0;
  for (const f of files) {
    // The reader may refuse a file (its own tests cover that); a dissector must never throw.
    const run = await classifyRun(tcpdumpCorpus(f), GROUP_A).catch(() => ({ errors: 0 }));
    errors += run.errors;
  }
  assert.equal(errors, 0);
});
