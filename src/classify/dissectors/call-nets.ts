/**
 * Networks of the real-time call services, for dissectors that name the application of a media
 * or NAT-traversal flow (STUN towards Telegram's relays is `STUN.TelegramVoip`, towards
 * Facebook's `STUN.WhatsAppCall` …). These are the services' published ranges, narrowed to what
 * their call relays use; they are not general host rules (a TLS flow to the same address is
 * named by its server name, not by this table).
 */

/** nDPI's names of the call applications. */
export type CallApp = 'TelegramVoip' | 'WhatsAppCall' | 'Skype_TeamsCall' | 'Zoom' | 'GoogleCall';

const NETS: ReadonlyArray<readonly [CallApp, string]> = [
  ['TelegramVoip', '91.105.192.0/23 91.108.4.0/22 91.108.8.0/21 91.108.16.0/21 91.108.56.0/22 95.161.64.0/20 149.154.160.0/20 185.76.151.0/24'],
  [
    'WhatsAppCall',
    '31.13.24.0/21 31.13.64.0/18 45.64.40.0/22 57.144.0.0/14 66.220.144.0/20 69.63.176.0/20 69.171.224.0/19 74.119.76.0/22 102.132.96.0/20 103.4.96.0/22 129.134.0.0/16 157.240.0.0/16 163.70.128.0/17 173.252.64.0/18 179.60.192.0/22 185.60.216.0/22 185.89.216.0/22 204.15.20.0/22',
  ],
  ['Skype_TeamsCall', '13.107.64.0/18 52.112.0.0/14 52.120.0.0/14'],
  [
    'Zoom',
    '3.7.35.0/25 3.21.137.128/25 3.22.11.0/24 3.23.93.0/24 3.25.41.128/25 3.25.42.0/25 3.25.49.0/24 3.80.20.128/25 3.96.19.0/24 3.101.32.128/25 3.101.52.0/25 3.104.34.128/25 3.120.121.0/25 3.127.194.128/25 3.208.72.0/25 3.211.241.0/25 3.235.69.0/25 3.235.71.128/25 3.235.72.128/25 3.235.73.0/25 3.235.82.0/23 3.235.96.0/23 4.34.125.128/25 4.35.64.128/25 8.5.128.0/23 13.52.6.128/25 13.52.146.0/25 18.157.88.0/24 18.205.93.128/25 18.254.23.128/25 18.254.61.0/25 50.239.202.0/23 50.239.204.0/24 52.61.100.128/25 52.202.62.192/26 52.215.168.0/25 64.125.62.0/24 64.211.144.0/24 64.224.32.0/19 65.39.152.0/24 69.174.57.0/24 69.174.108.0/22 99.79.20.0/25 101.36.167.0/24 101.36.170.0/23 103.122.166.0/23 109.94.160.0/22 109.244.18.0/25 109.244.19.0/24 111.33.115.0/25 111.33.181.0/25 115.110.154.192/26 115.114.56.192/26 115.114.115.0/26 115.114.131.0/26 120.29.148.0/24 134.224.0.0/16 140.238.128.0/24 144.195.0.0/16 147.124.96.0/19 149.137.0.0/17 156.45.0.0/17 159.124.0.0/16 160.1.56.128/25 161.199.136.0/22 162.12.232.0/22 162.255.36.0/22 165.254.88.0/23 166.108.64.0/18 168.138.16.0/24 168.138.48.0/24 168.138.56.0/24 168.138.72.0/24 168.138.244.0/24 170.114.0.0/16 173.231.80.0/20 192.204.12.0/22 193.122.16.0/20 193.122.32.0/20 193.122.208.0/20 193.122.224.0/20 193.122.240.0/20 193.123.0.0/19 193.123.40.0/21 193.123.128.0/19 193.123.168.0/21 193.123.192.0/19 198.251.128.0/17 202.177.207.128/27 204.80.104.0/21 204.141.28.0/22 206.247.0.0/16 207.226.132.0/24 209.9.211.0/24 209.9.215.0/24 213.19.144.0/24 213.19.153.0/24 213.244.140.0/24 221.122.63.0/24 221.122.64.0/24 221.122.88.64/27 221.122.88.128/25 221.122.89.128/25 221.123.139.192/27',
  ],
  [
    'GoogleCall',
    '64.233.160.0/19 66.102.0.0/20 66.249.64.0/19 74.125.0.0/16 108.177.0.0/17 142.250.0.0/15 172.217.0.0/16 172.253.0.0/16 173.194.0.0/16 209.85.128.0/17 216.58.192.0/19 216.239.32.0/19',
  ],
];

/** One compiled network: base address, mask, application. */
interface Net {
  base: number;
  mask: number;
  app: CallApp;
}

function compile(): Net[] {
  const out: Net[] = [];
  for (const [app, list] of NETS) {
    for (const cidr of list.split(' ')) {
      const [addr, len] = cidr.split('/');
      const p = addr!.split('.').map(Number);
      const bits = Number(len);
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      const base = (((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0) & mask;
      out.push({ base: base >>> 0, mask, app });
    }
  }
  return out;
}

const COMPILED = compile();

/** The call application whose relays use this IPv4 address (big-endian word), if any. */
export function callAppOfIPv4(addr: number): CallApp | undefined {
  for (let i = 0; i < COMPILED.length; i++) {
    const n = COMPILED[i]!;
    if (((addr & n.mask) >>> 0) === n.base) return n.app;
  }
  return undefined;
}

/** The call application of a flow's server, else its client (IPv4 only: the ranges are IPv4). */
export function callAppOfFlow(ipVersion: 4 | 6, server: Uint32Array, client: Uint32Array): CallApp | undefined {
  if (ipVersion !== 4) return undefined;
  return callAppOfIPv4(server[0]!) ?? callAppOfIPv4(client[0]!);
}
