/**
 * Dissectors, group C: games, VPNs, remote access and a few services (see index.ts for where
 * the group sits in the order). Within the group, specific signatures come before looser ones
 * that could take the same packets: AVAST's DNSCrypt query before DNSCrypt, Source Engine
 * queries and Steam discovery before Half-Life 2's catch-all, Tailscale's disco before WireGuard.
 */
import type { Dissector } from '../dissector.js';
import { activision } from './activision.js';
import { amongUs } from './among-us.js';
import { amqp } from './amqp.js';
import { avast } from './avast.js';
import { avastSecureDns } from './avast-securedns.js';
import { citrix } from './citrix.js';
import { codMobile } from './cod-mobile.js';
import { dnscrypt } from './dnscrypt.js';
import { epicGames } from './epicgames.js';
import { gaijin } from './gaijin.js';
import { halfLife2 } from './halflife2.js';
import { ipsec } from './ipsec.js';
import { mapleStory } from './maplestory.js';
import { neteaseGames } from './netease-games.js';
import { pptp } from './pptp.js';
import { rdp } from './rdp.js';
import { riotGames } from './riotgames.js';
import { smb } from './smb.js';
import { snmp } from './snmp.js';
import { socks } from './socks.js';
import { sourceEngine } from './source-engine.js';
import { starcraft } from './starcraft.js';
import { steam } from './steam.js';
import { steamDatagramRelay } from './steam-datagram-relay.js';
import { tailscale } from './tailscale.js';
import { teamViewer } from './teamviewer.js';
import { tencentGames } from './tencent-games.js';
import { vmware } from './vmware.js';
import { whois } from './whois.js';
import { wireGuard } from './wireguard.js';
import { worldOfWarcraft } from './world-of-warcraft.js';

/** Group C's dissectors, in the order they are tried. */
export const GROUP_C: readonly Dissector[] = [
  avastSecureDns,
  dnscrypt,
  avast,
  sourceEngine,
  steam,
  halfLife2,
  steamDatagramRelay,
  starcraft,
  riotGames,
  whois,
  rdp,
  smb,
  socks,
  citrix,
  amqp,
  worldOfWarcraft,
  vmware,
  activision,
  epicGames,
  tencentGames,
  neteaseGames,
  codMobile,
  gaijin,
  teamViewer,
  amongUs,
  tailscale,
  wireGuard,
  ipsec,
  pptp,
  snmp,
  mapleStory,
] as Dissector[];
