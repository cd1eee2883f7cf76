/** Dissectors, group B (see index.ts for the order they are tried in). */
import type { Dissector } from '../dissector.js';
import { alicloud } from './alicloud.js';
import { bitcoin } from './bitcoin.js';
import { bittorrent } from './bittorrent.js';
import { bjnp } from './bjnp.js';
import { canOverUdp } from './can.js';
import { discord } from './discord.js';
import { dropbox } from './dropbox.js';
import { dtls } from './dtls.js';
import { edonkey } from './edonkey.js';
import { ethereum } from './ethereum.js';
import { kcp } from './kcp.js';
import { mining } from './mining.js';
import { natPmp } from './nat-pmp.js';
import { nestLogSink } from './nest-log-sink.js';
import { oicq } from './oicq.js';
import { protobuf } from './protobuf.js';
import { rtmp } from './rtmp.js';
import { rtp } from './rtp.js';
import { rtsp } from './rtsp.js';
import { spotify } from './spotify.js';
import { stun } from './stun.js';
import { tivoconnect } from './tivoconnect.js';
import { tplinkShp } from './tplink-shp.js';
import { ubntac2 } from './ubntac2.js';
import { viber } from './viber.js';
import { websocket } from './websocket.js';
import { whatsapp } from './whatsapp.js';
import { wsd } from './wsd.js';
import { xiaomi } from './xiaomi.js';
import { zoom } from './zoom.js';

/**
 * Group B's dissectors, in the order they are tried: exact formats first, STUN before the call
 * protocols it introduces (Zoom, Discord), the shape-over-several-packets and loose ones (RTP,
 * Protobuf) last so they never take a flow a stricter one would name.
 */
export const GROUP_B: readonly Dissector[] = [
  stun,
  dtls,
  rtsp,
  rtmp,
  bitcoin,
  ethereum,
  bittorrent,
  tplinkShp,
  bjnp,
  ubntac2,
  canOverUdp,
  natPmp,
  wsd,
  dropbox,
  spotify,
  tivoconnect,
  nestLogSink,
  xiaomi,
  alicloud,
  whatsapp,
  mining,
  edonkey,
  oicq,
  viber,
  zoom,
  discord,
  kcp,
  websocket,
  rtp,
  protobuf,
].map((d) => d as Dissector);
