/**
 * Writes samples/sample.pcap: a small, deterministic capture with a realistic mix of traffic
 * for demos and end-to-end tests. Run: `node --import tsx scripts/make-sample.ts [out.pcap]`.
 *
 * Contents (starting 2024-01-01T00:00:00Z, a few seconds long):
 * - DNS A query/response over UDP 53 (real DNS encoding)
 * - HTTP GET / 200 OK on port 80: handshake, request, response, FIN close
 * - an SSH banner exchange on port 22: data both ways, FIN close
 * - a TCP connection reset by the server (RST) after the client's first data
 * - ICMP echo request/reply (two pings)
 * - IPv6 TCP: HTTP on port 8080, handshake, data, FIN close
 * - a VLAN-tagged (VID 100) NTP request/response
 * - syslog over UDP inside a GRE tunnel (IPv4 in GRE)
 * - a UDP datagram fragmented into three IPv4 fragments
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  concat,
  EtherType,
  ethernet,
  fragmentIpv4,
  gre,
  icmpEcho,
  IpProto,
  ipTcp,
  ipUdp,
  ipv4,
  ipv4Addr,
  mssOption,
  TcpFlag,
  text,
} from '../src/testing/packet-builder.js';
import { type PacketRecord, pcapFile } from '../src/testing/pcap-builder.js';

const HOST_MAC = '02:00:00:00:00:0a';
const GW_MAC = '02:00:00:00:00:01';
const START_US = Date.UTC(2024, 0, 1) * 1000;

const packets: PacketRecord[] = [];
let nowUs = START_US;

/** Appends a frame `dtUs` after the previous one. */
function emit(frame: Uint8Array, dtUs: number): void {
  nowUs += dtUs;
  packets.push({ data: frame, tsUs: nowUs });
}

/** Ethernet framing by direction: the host talks to its gateway. */
function eth(ip: Uint8Array, fromHost: boolean, vlans?: number[]): Uint8Array {
  return ethernet({
    src: fromHost ? HOST_MAC : GW_MAC,
    dst: fromHost ? GW_MAC : HOST_MAC,
    etherType: ip[0]! >> 4 === 6 ? EtherType.IPv6 : EtherType.IPv4,
    vlans,
    payload: ip,
  });
}

/** A TCP connection that keeps its sequence numbers. */
class Tcp {
  private cseq: number;
  private sseq: number;
  private ipId = 1000;
  constructor(
    readonly client: string,
    readonly server: string,
    readonly cport: number,
    readonly sport: number,
    isn: number,
  ) {
    this.cseq = isn;
    this.sseq = (isn * 7 + 12345) >>> 0;
  }

  private seg(fromClient: boolean, flags: number, payload = new Uint8Array(0), options?: Uint8Array): Uint8Array {
    const [src, dst, sp, dp] = fromClient
      ? [this.client, this.server, this.cport, this.sport]
      : [this.server, this.client, this.sport, this.cport];
    const seq = fromClient ? this.cseq : this.sseq;
    const ack = flags & TcpFlag.ACK ? (fromClient ? this.sseq : this.cseq) : 0;
    const pkt = ipTcp({
      src,
      dst,
      sport: sp,
      dport: dp,
      seq,
      ack,
      flags,
      window: 64240,
      options,
      payload,
      ip: { id: this.ipId++, df: true },
    });
    const advance = payload.length + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0);
    if (fromClient) this.cseq = (this.cseq + advance) >>> 0;
    else this.sseq = (this.sseq + advance) >>> 0;
    return eth(pkt, fromClient);
  }

  handshake(rttUs: number): void {
    emit(this.seg(true, TcpFlag.SYN, undefined, mssOption(1460)), 1000);
    emit(this.seg(false, TcpFlag.SYN | TcpFlag.ACK, undefined, mssOption(1460)), rttUs);
    emit(this.seg(true, TcpFlag.ACK), 150);
  }

  data(fromClient: boolean, payload: Uint8Array, dtUs: number): void {
    emit(this.seg(fromClient, TcpFlag.PSH | TcpFlag.ACK, payload), dtUs);
  }

  ack(fromClient: boolean, dtUs: number): void {
    emit(this.seg(fromClient, TcpFlag.ACK), dtUs);
  }

  /** FIN from one side, FIN from the other, last ACK. */
  close(clientFirst: boolean, rttUs: number): void {
    emit(this.seg(clientFirst, TcpFlag.FIN | TcpFlag.ACK), 2000);
    emit(this.seg(!clientFirst, TcpFlag.FIN | TcpFlag.ACK), rttUs);
    emit(this.seg(clientFirst, TcpFlag.ACK), 120);
  }

  reset(fromClient: boolean, dtUs: number): void {
    emit(this.seg(fromClient, TcpFlag.RST | TcpFlag.ACK), dtUs);
  }
}

// ---- DNS, encoded by hand (RFC 1035) ----
function dnsName(name: string): Uint8Array {
  const parts = name.split('.').map((l) => concat(Uint8Array.of(l.length), text(l)));
  return concat(...parts, Uint8Array.of(0));
}

function dnsMessage(id: number, response: boolean, name: string, answer?: string): Uint8Array {
  const h = new Uint8Array(12);
  h[0] = id >> 8;
  h[1] = id & 0xff;
  h[2] = response ? 0x81 : 0x01; // QR | RD
  h[3] = response ? 0x80 : 0x00; // RA, NOERROR
  h[5] = 1; // QDCOUNT
  h[7] = answer ? 1 : 0; // ANCOUNT
  const question = concat(dnsName(name), Uint8Array.of(0, 1, 0, 1)); // A, IN
  if (!answer) return concat(h, question);
  // Name as a pointer to the question (offset 12), A, IN, TTL 300, RDLENGTH 4.
  const rr = concat(Uint8Array.of(0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4), ipv4Addr(answer));
  return concat(h, question, rr);
}

// ---- NTP v4 client/server packets (RFC 5905), 48 bytes ----
function ntp(mode: 3 | 4, txSeconds: number): Uint8Array {
  const p = new Uint8Array(48);
  p[0] = (0 << 6) | (4 << 3) | mode; // LI 0, VN 4, mode
  if (mode === 4) {
    p[1] = 1; // stratum 1: a primary server, whose reference id is ASCII
    p[2] = 6; // poll
    p[3] = 0xe9; // precision -23
    p.set(text('GPS\0'), 12);
  }
  // Transmit timestamp (seconds part; the fraction stays 0), NTP epoch 1900.
  const ntpSeconds = txSeconds + 2_208_988_800;
  p[40] = ntpSeconds >>> 24;
  p[41] = (ntpSeconds >>> 16) & 0xff;
  p[42] = (ntpSeconds >>> 8) & 0xff;
  p[43] = ntpSeconds & 0xff;
  if (mode === 4) p.set(p.subarray(40, 44), 32); // receive timestamp = transmit
  return p;
}

const HOST = '192.168.1.10';
const RESOLVER = '192.168.1.1';
const WEB = '93.184.216.34';

// 1. DNS lookup of example.com
emit(
  eth(
    ipUdp({
      src: HOST,
      dst: RESOLVER,
      sport: 53001,
      dport: 53,
      payload: dnsMessage(0x1a2b, false, 'example.com'),
      ip: { id: 1 },
    }),
    true,
  ),
  0,
);
emit(
  eth(
    ipUdp({
      src: RESOLVER,
      dst: HOST,
      sport: 53,
      dport: 53001,
      payload: dnsMessage(0x1a2b, true, 'example.com', WEB),
      ip: { id: 2 },
    }),
    false,
  ),
  18_000,
);

// 2. HTTP GET
const http = new Tcp(HOST, WEB, 49152, 80, 0x3e1f0001);
http.handshake(24_000);
http.data(true, text('GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n'), 200);
http.ack(false, 24_000);
const body =
  '<!doctype html>\n<html><head><title>Example Domain</title></head><body><h1>Example Domain</h1></body></html>\n';
http.data(
  false,
  text(
    `HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: ${body.length}\r\nServer: ECS (dce/26C6)\r\n\r\n${body}`,
  ),
  1_500,
);
http.ack(true, 300);
http.close(true, 24_000);

// 3. SSH banners, both ways
const ssh = new Tcp(HOST, '192.168.1.20', 49153, 22, 0x7000aa00);
ssh.handshake(400);
ssh.data(false, text('SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n'), 3_000);
ssh.ack(true, 100);
ssh.data(true, text('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'), 800);
ssh.ack(false, 300);
ssh.close(false, 400);

// 4. A connection the server resets after the first request
const rst = new Tcp(HOST, '203.0.113.7', 49154, 8443, 0x01020304);
rst.handshake(30_000);
rst.data(true, text('HELLO\r\n'), 500);
rst.reset(false, 30_000);

// 5. Two pings to 8.8.8.8
for (let seq = 1; seq <= 2; seq++) {
  const payload = Uint8Array.from({ length: 56 }, (_, i) => (i + 0x10) & 0xff);
  emit(
    eth(
      ipv4({
        src: HOST,
        dst: '8.8.8.8',
        proto: IpProto.ICMP,
        id: 0x4000 + seq,
        df: true,
        payload: icmpEcho({ id: 0x77, seq, payload }),
      }),
      true,
    ),
    seq === 1 ? 200_000 : 1_000_000,
  );
  emit(
    eth(
      ipv4({
        src: '8.8.8.8',
        dst: HOST,
        proto: IpProto.ICMP,
        id: 0x9000 + seq,
        ttl: 117,
        payload: icmpEcho({ reply: true, id: 0x77, seq, payload }),
      }),
      false,
    ),
    12_500,
  );
}

// 6. IPv6 TCP: HTTP on 8080
const v6 = new Tcp('2001:db8:1::10', '2001:db8:2::80', 50000, 8080, 0x0badc0de);
v6.handshake(15_000);
v6.data(true, text('GET /status HTTP/1.1\r\nHost: [2001:db8:2::80]:8080\r\n\r\n'), 300);
v6.data(false, text('HTTP/1.1 204 No Content\r\nServer: sonda-sample\r\n\r\n'), 15_000);
v6.ack(true, 200);
v6.close(true, 15_000);

// 7. NTP on VLAN 100
const ntpAt = Math.floor(nowUs / 1e6);
emit(
  eth(
    ipUdp({ src: '10.100.0.5', dst: '10.100.0.1', sport: 123, dport: 123, payload: ntp(3, ntpAt), ip: { id: 7 } }),
    true,
    [100],
  ),
  300_000,
);
emit(
  eth(
    ipUdp({ src: '10.100.0.1', dst: '10.100.0.5', sport: 123, dport: 123, payload: ntp(4, ntpAt), ip: { id: 8 } }),
    false,
    [100],
  ),
  900,
);

// 8. Syslog inside a GRE tunnel (outer 198.51.100.1 -> 198.51.100.2)
for (let i = 0; i < 2; i++) {
  const msg = text(`<134>Jan  1 00:00:0${3 + i} edge-rtr-1 bgpd[812]: neighbor 10.10.0.9 Up ${i}`);
  const inner = ipUdp({
    src: '10.10.0.1',
    dst: '10.10.0.2',
    sport: 514,
    dport: 514,
    payload: msg,
    ip: { id: 300 + i },
  });
  const outer = ipv4({
    src: '198.51.100.1',
    dst: '198.51.100.2',
    proto: IpProto.GRE,
    id: 500 + i,
    payload: gre({ protocol: EtherType.IPv4, payload: inner }),
  });
  emit(eth(outer, false), i === 0 ? 250_000 : 500_000);
}

// 9. A 3000-byte UDP datagram in three fragments
const bulk = text('sonda-sample-fragmented-datagram '.repeat(91).slice(0, 2992));
const datagram = ipUdp({
  src: HOST,
  dst: '192.168.1.20',
  sport: 40000,
  dport: 9999,
  payload: bulk,
  ip: { id: 0x5151 },
});
fragmentIpv4(datagram, 1480).forEach((f, i) => {
  emit(eth(f, true), i === 0 ? 400_000 : 60);
});

// Optional argument: another output path (the tests regenerate into a temporary file).
const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, '..', 'samples', 'sample.pcap');
mkdirSync(dirname(out), { recursive: true });
const file = pcapFile(packets);
writeFileSync(out, file);
console.log(`${out}: ${packets.length} packets, ${file.length} bytes, ${((nowUs - START_US) / 1e6).toFixed(3)} s`);
