import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amongUs } from './among-us.js';
import { avast } from './avast.js';
import { avastSecureDns } from './avast-securedns.js';
import { citrix } from './citrix.js';
import { activision } from './activision.js';
import { codMobile } from './cod-mobile.js';
import { epicGames } from './epicgames.js';
import { gaijin } from './gaijin.js';
import { GROUP_C } from './group-c.js';
import { halfLife2 } from './halflife2.js';
import { mapleStory } from './maplestory.js';
import { neteaseGames } from './netease-games.js';
import { pptp } from './pptp.js';
import { riotGames } from './riotgames.js';
import { starcraft } from './starcraft.js';
import { steam } from './steam.js';
import { steamDatagramRelay } from './steam-datagram-relay.js';
import { tailscale } from './tailscale.js';
import { teamViewer } from './teamviewer.js';
import { tencentGames } from './tencent-games.js';
import { cat, classifyCapture, dpiNames, hex, ndpiPcap, nameOf, randomClaims, tcpdumpPcap, text, truncatedNames } from './testkit-c.js';
import { ndpiCorpusClaims, throwsOnTcpdumpCorpus } from './testkit.js';
import { vmware } from './vmware.js';
import { whois } from './whois.js';
import { worldOfWarcraft } from './world-of-warcraft.js';

/** nDPI corpus captures and the names group C alone gives their flows (confidence dpi). */
const CORPUS: ReadonlyArray<[file: string, names: Record<string, number>]> = [
  ['avast_securedns.pcapng', { AVASTSecureDNS: 39 }],
  ['avast.pcap', { AVAST: 10 }],
  ['dnscrypt_skype_false_positive.pcapng', { DNScrypt: 1 }],
  ['source_engine.pcap', { Source_Engine: 17 }],
  ['steam.pcapng', { Steam: 1, SteamDatagramRelay: 1 }],
  ['ossfuzz_seed_fake_traces_1.pcapng', { Starcraft: 4, HalfLife2: 1 }],
  ['starcraft_battle.pcap', { Starcraft: 1 }],
  ['riotgames.pcap', { RiotGames: 5 }],
  ['whois.pcapng', { 'Whois-DAS': 1 }],
  ['rdp2.pcap', { RDP: 3 }],
  ['rdp3.pcap', { RDP: 1 }],
  ['rdp_over_tls.pcap', { 'TLS.RDP': 1 }],
  ['smb_deletefile.pcap', { 'NetBIOS.SMBv23': 1 }],
  ['smb_frags.pcap', { 'NetBIOS.SMBv1': 1 }],
  ['shadowsocks.pcap', { SOCKS: 1 }],
  ['tls_heur__shadowsocks-tcp.pcapng', { SOCKS: 1 }],
  ['citrix.pcap', { Citrix: 1 }],
  ['amqp.pcap', { AMQP: 3 }],
  ['wow.pcap', { WorldOfWarcraft: 3 }],
  ['activision.pcap', { Activision: 4 }],
  ['epicgames.pcapng', { EpicGames: 4 }],
  ['tencent_games.pcap', { TencentGames: 3 }],
  ['netease_games.pcapng', { NetEaseGames: 2 }],
  ['codm.pcap', { CoD_Mobile: 1 }],
  ['gaijin_warthunder.pcap', { GaijinEntertainment: 2 }],
  ['teamviewer.pcap', { TeamViewer: 2 }],
  ['among_us.pcap', { AmongUs: 1 }],
  ['tailscale.pcap', { Tailscale: 1 }],
  ['mullvad_wireguard.pcap', { WireGuard: 1 }],
  ['ipsec_isakmp_esp.pcap', { IPSec: 24 }],
  ['ossfuzz_seed_fake_traces_3.pcapng', { MapleStory: 1 }],
];

test('group C: corpus captures are named as nDPI names them', async () => {
  for (const [file, names] of CORPUS) {
    const got = await dpiNames(ndpiPcap(file), GROUP_C);
    for (const [name, n] of Object.entries(names)) assert.equal(got[name] ?? 0, n, `${file}: ${name}`);
  }
});

test('group C: tcpdump corpus captures', async () => {
  assert.equal((await dpiNames(tcpdumpPcap('pptp.pcap'), GROUP_C)).PPTP, 1);
  assert.equal((await dpiNames(tcpdumpPcap('whois.pcap'), GROUP_C))['Whois-DAS'], 1);
});

test('group C: the WHOIS query names the host', async () => {
  const flows = await classifyCapture(ndpiPcap('whois.pcapng'), GROUP_C);
  const f = flows.find((x) => x.protocol === 'Whois-DAS' && x.confidence === 'dpi');
  assert.equal(f?.host, 'example.com');
});

test('group C: no flow of the nDPI corpus is claimed for a protocol nDPI does not see in it', async () => {
  const ours = new Set(GROUP_C.map((d) => d.name));
  const foreign: string[] = [];
  for (const { file, flow: f, expected: exp } of await ndpiCorpusClaims(GROUP_C)) {
    // Names by IP protocol number (SCTP, ICMP …) are the classifier's, not ours.
    const mine = ours.has(f.protocol) || f.protocol.includes('.') || ['Tailscale', 'TLS.RDP'].includes(f.protocol);
    if (!mine || exp === undefined) continue;
    const agrees = exp === f.protocol || exp.split('.')[0] === f.protocol || exp.endsWith(`.${f.protocol}`) || f.protocol.endsWith(`.${exp.split('.').pop()}`);
    if (!agrees) foreign.push(`${file}: ${f.flow} ${f.protocol} (nDPI: ${exp})`);
  }
  assert.deepEqual(foreign, []);
});

test('group C: no dissector throws on the tcpdump corpus (malformed captures)', async () => {
  assert.deepEqual(await throwsOnTcpdumpCorpus(GROUP_C), []);
});

test('group C: random payloads are not claimed', () => {
  const flows = [{}, { serverPort: 3389 }, { serverPort: 1119 }, { serverPort: 43 }, { serverPort: 22023 }, { serverPort: 4500 }, { serverPort: 5938 }, { serverPort: 20011 }];
  for (const d of GROUP_C) {
    for (const f of flows) {
      for (const transport of d.transport === 'both' ? [6, 17] : [d.transport === 'tcp' ? 6 : 17]) {
        assert.equal(randomClaims(d, { ...f, transport }, { n: 400 }), 0, `${d.name} on ${JSON.stringify(f)}/${transport}`);
      }
    }
  }
});

test('AVASTSecureDNS: the provider TXT query in any letter case, not another name or type', () => {
  const q = (name: string, type = '0010') => hex(`48c4 0100 0001 0000 0000 0000 ${name} 00 ${type} 0001`);
  const avastName = '01 32 09 536543555265646e53 05 6156617354 03 436f4d';
  assert.equal(nameOf(avastSecureDns, { serverPort: 443 }, [[0, q(avastName)]]), 'AVASTSecureDNS');
  assert.equal(nameOf(avastSecureDns, {}, [[0, q('01 32 09 7365637572656e7373 05 6176617374 03 636f6d')]]), undefined);
  assert.equal(nameOf(avastSecureDns, {}, [[0, q(avastName, '0001')]]), undefined);
  assert.deepEqual(truncatedNames(avastSecureDns, {}, [], q(avastName)), new Set([undefined]));
});

test('AVAST: NOSA messages with a plausible length and version', () => {
  const msg = hex('4e4f5341 0010 0102 00000000 e8e67a0c');
  assert.equal(nameOf(avast, {}, [[0, msg]]), 'AVAST');
  assert.equal(nameOf(avast, {}, [[0, hex('4e4f5341 0004 0102 00000000')]]), undefined);
  assert.equal(nameOf(avast, {}, [[0, hex('4e4f5341 0010 0202 00000000')]]), undefined);
  assert.equal(nameOf(avast, {}, [[0, text('GET / HTTP/1.1\r\n\r\n')]]), undefined);
});

test('HalfLife2 and Steam: connectionless packets of the right shape only', () => {
  const challenge = cat(hex('ffffffff 71 01020304'), text('0000000000\0'));
  assert.equal(nameOf(halfLife2, {}, [[0, challenge]]), 'HalfLife2');
  assert.equal(nameOf(halfLife2, {}, [[0, challenge.subarray(0, 19)]]), undefined);
  assert.equal(nameOf(halfLife2, {}, [[0, cat(hex('fffffffe'), challenge.subarray(4))]]), undefined);
  const discovery = hex('ffffffff 214c5fa0 02000000 0801 02000000 0802');
  assert.equal(nameOf(steam, {}, [[0, discovery]]), 'Steam');
  assert.equal(nameOf(steam, {}, [[0, cat(discovery, hex('00'))]]), undefined);
  assert.equal(nameOf(steam, {}, [[0, hex('ffffffff 214c5fa0 ff000000 0801 02000000 0802')]]), undefined);
});

test('SteamDatagramRelay, Tailscale, Citrix: their magic, long enough', () => {
  const ping = cat(hex('0181'), text('sdping'), new Uint8Array(92));
  assert.equal(nameOf(steamDatagramRelay, {}, [[0, ping]]), 'SteamDatagramRelay');
  assert.equal(nameOf(steamDatagramRelay, {}, [[0, ping.subarray(0, 20)]]), undefined);
  const disco = cat(hex('5453f09f92ac'), new Uint8Array(86));
  assert.equal(nameOf(tailscale, {}, [[1, disco]]), 'Tailscale');
  assert.equal(nameOf(tailscale, {}, [[1, disco.subarray(0, 60)]]), undefined);
  assert.equal(nameOf(citrix, {}, [[1, hex('7f7f49434100')]]), 'Citrix');
  assert.equal(nameOf(citrix, {}, [[0, cat(hex('1a'), text('CGP/01'), hex('0001'))]]), 'Citrix');
  assert.equal(nameOf(citrix, {}, [[1, hex('7f7f494341')]]), undefined);
});

test('Starcraft: the Battle.net 2.0 preamble on 1119 only, from the client', () => {
  const pre = hex('4a00000a66020aed2d66 adc8e80a');
  assert.equal(nameOf(starcraft, { serverPort: 1119 }, [[0, pre]]), 'Starcraft');
  assert.equal(nameOf(starcraft, { serverPort: 1120 }, [[0, pre]]), undefined);
  assert.equal(nameOf(starcraft, { serverPort: 1119 }, [[0, pre.subarray(0, 9)]]), undefined);
  assert.equal(nameOf(starcraft, { serverPort: 1119 }, [[0, hex('00')], [0, pre]]), undefined);
});

test('RiotGames: the ping marker at the end, sizes in range', () => {
  const ping = hex('7374f60c72324204ab597f811fcc00876bbc000016e37c4014000000aaaaaaaabbbbbbbb');
  assert.equal(nameOf(riotGames, {}, [[0, ping]]), 'RiotGames');
  assert.equal(nameOf(riotGames, {}, [[0, hex('aaaaaaaabbbbbbbb')]]), undefined);
  assert.equal(nameOf(riotGames, {}, [[0, cat(ping, hex('00'))]]), undefined);
});

test('Whois-DAS: one CRLF-ended printable line to port 43', () => {
  assert.equal(nameOf(whois, { serverPort: 43 }, [[0, text('example.com\r\n')]]), 'Whois-DAS');
  assert.equal(nameOf(whois, { serverPort: 80 }, [[0, text('example.com\r\n')]]), undefined);
  assert.equal(nameOf(whois, { serverPort: 43 }, [[0, text('example.com')]]), undefined);
  assert.equal(nameOf(whois, { serverPort: 43 }, [[0, text('a\r\nb\r\n')]]), undefined);
  assert.equal(nameOf(whois, { serverPort: 43 }, [[0, hex('01020d0a')]]), undefined);
});

test('WorldOfWarcraft: the world banner and the logon challenge', () => {
  const banner = cat(hex('3000'), text('WORLD OF WARCRAFT CONNECTION - SERVER TO CLIENT\0'));
  assert.equal(nameOf(worldOfWarcraft, {}, [[1, banner]]), 'WorldOfWarcraft');
  assert.equal(nameOf(worldOfWarcraft, {}, [[1, banner.subarray(0, 20)]]), undefined);
  const logon = cat(hex('0008 0600'), text('WoW\0'), hex('0000'));
  assert.equal(nameOf(worldOfWarcraft, {}, [[0, logon]]), 'WorldOfWarcraft');
  assert.equal(nameOf(worldOfWarcraft, {}, [[0, cat(hex('0008 0700'), text('WoW\0'), hex('0000'))]]), undefined);
});

test('VMware: the authentication daemon greeting from the server', () => {
  const greeting = text('220 VMware Authentication Daemon Version 1.10: SSL Required\r\n');
  assert.equal(nameOf(vmware, { serverPort: 902 }, [[1, greeting]]), 'VMware');
  assert.equal(nameOf(vmware, { serverPort: 902 }, [[0, greeting]]), undefined);
  assert.equal(nameOf(vmware, { serverPort: 21 }, [[1, text('220 ProFTPD Server ready\r\n')]]), undefined);
});

test('CoD_Mobile: a ping probe and its exact echo', () => {
  const probe = cat(hex('bbb653ea96fdbb03'), text('ping'));
  assert.equal(nameOf(codMobile, {}, [[0, probe], [1, probe]]), 'CoD_Mobile');
  assert.equal(nameOf(codMobile, {}, [[0, probe], [1, cat(hex('bbb653ea96fdbb04'), text('ping'))]]), undefined);
  assert.equal(nameOf(codMobile, {}, [[1, probe]]), undefined);
});

test('NetEaseGames: the session header in both directions', () => {
  const a = cat(hex('0708080c 62638618'), new Uint8Array(20));
  assert.equal(nameOf(neteaseGames, {}, [[0, a], [1, a]]), 'NetEaseGames');
  assert.equal(nameOf(neteaseGames, {}, [[0, a], [0, a]]), undefined);
  assert.equal(nameOf(neteaseGames, {}, [[0, a], [1, cat(hex('0708080d'), new Uint8Array(20))]]), undefined);
  const connect = cat(hex('b3af8de8 ff00'), text('rW5\\\\nfcqjI/TZgcttUSziB+'));
  const answer = cat(hex('b3af8de8 ff00'), new Uint8Array(24));
  assert.equal(connect.length, 30);
  assert.equal(nameOf(neteaseGames, {}, [[0, connect], [1, answer]]), 'NetEaseGames');
  assert.equal(nameOf(neteaseGames, {}, [[0, connect], [1, cat(hex('b3af8de9 ff00'), new Uint8Array(24))]]), undefined);
  assert.equal(nameOf(neteaseGames, {}, [[0, cat(hex('b3af8de8 ff00'), text('rW5\\\\nfcqjI/TZgcttUSziB'), hex('00'))], [1, answer]]), undefined);
});

test('TeamViewer: client and server magic on TCP, the UDP magic twice', () => {
  const c = hex('17240a20 00000000 0000');
  const s = hex('11303600 18000000');
  assert.equal(nameOf(teamViewer, { transport: 6 }, [[0, c], [1, s]]), 'TeamViewer');
  assert.equal(nameOf(teamViewer, { transport: 6, serverPort: 5938 }, [[0, c]]), 'TeamViewer');
  assert.equal(nameOf(teamViewer, { transport: 6 }, [[0, c], [1, c]]), undefined);
  const u = hex('00000000000000000000 03 1724 4750 0005 0000');
  assert.equal(nameOf(teamViewer, { transport: 17 }, [[0, u], [1, u]]), 'TeamViewer');
  assert.equal(nameOf(teamViewer, { transport: 17 }, [[0, u]]), undefined);
});

test('AmongUs: the Hazel hello to 22023 with a printable name', () => {
  const hello = hex('08 0001 00 80d90203 06 414141414141');
  assert.equal(nameOf(amongUs, { serverPort: 22023 }, [[0, hello]]), 'AmongUs');
  assert.equal(nameOf(amongUs, { serverPort: 22024 }, [[0, hello]]), undefined);
  assert.equal(nameOf(amongUs, { serverPort: 22023 }, [[0, hello.subarray(0, 14)]]), undefined);
  assert.equal(nameOf(amongUs, { serverPort: 22023 }, [[0, hex('08 0001 00 80d90203 02 0001')]]), undefined);
});

test('MapleStory: its HTTP request, not any other', () => {
  assert.equal(nameOf(mapleStory, {}, [[0, text('GET /maplestory/ HTTP/1.1\r\nHost: example.com\r\n\r\n')]]), 'MapleStory');
  assert.equal(nameOf(mapleStory, {}, [[0, text('GET / HTTP/1.1\r\nUser-Agent: AspINet\r\n\r\n')]]), 'MapleStory');
  assert.equal(nameOf(mapleStory, {}, [[0, text('GET / HTTP/1.1\r\nUser-Agent: curl\r\n\r\n')]]), undefined);
});

test('Activision: the server echoes the connect or keep-alive', () => {
  const connect = hex('0d0200d3dded03961669981a27af4f381bc0a80015020c6c3deb1fa182');
  const echo = Uint8Array.from(connect);
  echo[0] = 0x0c;
  assert.equal(nameOf(activision, {}, [[0, connect], [1, echo]]), 'Activision');
  const changed = Uint8Array.from(echo);
  changed[20] ^= 1;
  assert.equal(nameOf(activision, {}, [[0, connect], [1, changed]]), undefined);
  assert.equal(nameOf(activision, {}, [[0, connect]]), undefined);
  const ka = hex('2837303e4800000000280000005a1000c600');
  const kaAnswer = hex('292800000037303e48000000000100000000000000000000000000');
  assert.equal(nameOf(activision, {}, [[0, ka], [1, kaAnswer]]), 'Activision');
  assert.equal(nameOf(activision, {}, [[0, ka], [1, hex('292900000037303e48000000000100000000000000000000000000')]]), undefined);
});

test('EpicGames: a zeroed handshake request and a challenge echoing its header', () => {
  const request = cat(hex('471a200008 9822657404'), new Uint8Array(29), hex('10a13b8878381ff67a1d17'));
  const challenge = cat(hex('471a200808 9822657404'), hex('0000406229fcaa0d0e84170067c3a4ae7427cc594cbcec2daa8a950b50486e75ce62f581f2d72aea17'));
  assert.equal(nameOf(epicGames, {}, [[0, request], [1, challenge]]), 'EpicGames');
  assert.equal(nameOf(epicGames, {}, [[0, request], [1, cat(hex('471a200808 9822657405'), challenge.subarray(10))]]), undefined);
  const notZero = Uint8Array.from(request);
  notZero[20] = 1;
  assert.equal(nameOf(epicGames, {}, [[0, notZero], [1, challenge]]), undefined);
  assert.equal(nameOf(epicGames, {}, [[0, request], [1, request]]), undefined);
});

test('TencentGames: each opening answered in kind', () => {
  const gw = cat(hex('3366000b000b 1001 00000000 01000000'), new Uint8Array(16));
  const gwAnswer = cat(hex('3366000b000b 1002 01000000 01000000'), new Uint8Array(16));
  assert.equal(nameOf(tencentGames, {}, [[0, gw], [1, gwAnswer]]), 'TencentGames');
  assert.equal(nameOf(tencentGames, {}, [[0, gw], [1, gw]]), undefined);
  const framed = cat(hex('4215f787 03e9 0000000a'), new Uint8Array(10));
  assert.equal(nameOf(tencentGames, {}, [[0, framed], [1, cat(hex('4215f787 03ea 00000000'), new Uint8Array(8))]]), 'TencentGames');
  assert.equal(nameOf(tencentGames, {}, [[0, cat(hex('4215f787 03e9 0000000b'), new Uint8Array(10))], [1, hex('4215f787 03ea 00000000')]]), undefined);
  const wrapped = cat(hex('4366 aa000000 9415'), new Uint8Array(12));
  assert.equal(nameOf(tencentGames, {}, [[0, wrapped], [1, cat(hex('aa000000 5d15'), new Uint8Array(10))]]), 'TencentGames');
  assert.equal(nameOf(tencentGames, {}, [[0, wrapped], [1, cat(hex('ab000000 5d15'), new Uint8Array(10))]]), undefined);
});

test('GaijinEntertainment: tagged telemetry, or ENet on its server ports', () => {
  const stat = text('app.start,env=production,circuit=production,application=client,project=warthunder:1|c');
  assert.equal(nameOf(gaijin, { serverPort: 20011 }, [[0, stat]]), 'GaijinEntertainment');
  assert.equal(nameOf(gaijin, { serverPort: 8125 }, [[0, text('app.start,env=production,application=client:1|c')]]), undefined);
  const connect = hex('8fff0001 82ff0001 0000ffff 000004b0 00010000 000000ff 00000000 00000000 00001388 00000002 00000002 96990a44 00260000');
  const verify = hex('80000093 83ff0001 00000000 000004b0 00010000 000000ff 00000000 00000000 00001388 00000002 00000002 96990a44');
  assert.equal(nameOf(gaijin, { serverPort: 20021 }, [[0, connect], [1, verify]]), 'GaijinEntertainment');
  assert.equal(nameOf(gaijin, { serverPort: 7777 }, [[0, connect], [1, verify]]), undefined);
  const badMtu = Uint8Array.from(connect);
  badMtu[14] = 0xff;
  assert.equal(nameOf(gaijin, { serverPort: 20021 }, [[0, badMtu], [1, verify]]), undefined);
  assert.equal(nameOf(gaijin, { serverPort: 20021 }, [[0, connect], [1, connect.subarray(0, 48)]]), undefined);
});

test('PPTP: a control message header with the magic cookie', () => {
  const sccrq = cat(hex('009c 0001 1a2b3c4d 0001 0000 0100 0000'), new Uint8Array(144));
  assert.equal(nameOf(pptp, { serverPort: 1723 }, [[0, sccrq]]), 'PPTP');
  assert.equal(nameOf(pptp, { serverPort: 1723 }, [[0, cat(hex('009c 0001 1a2b3c4e 0001 0000'), new Uint8Array(148))]]), undefined);
  assert.equal(nameOf(pptp, { serverPort: 1723 }, [[0, cat(hex('009c 0001 1a2b3c4d 0010 0000'), new Uint8Array(148))]]), undefined);
  assert.equal(nameOf(pptp, { serverPort: 1723 }, [[0, cat(hex('009c 0002 1a2b3c4d 0001 0000'), new Uint8Array(148))]]), undefined);
  assert.deepEqual(truncatedNames(pptp, {}, [], sccrq.subarray(0, 12)), new Set([undefined]));
});
