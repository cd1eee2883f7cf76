/** Dissectors, group A (see index.ts for the order they are tried in). */
import type { Dissector } from '../dissector.js';
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
import { tftp } from './tftp.js';
import { tinc } from './tinc.js';
import { uftp } from './uftp.js';
import { usenet } from './usenet.js';
import { vnc } from './vnc.js';
import { xdmcp } from './xdmcp.js';

/**
 * Group A's dissectors, in the order they are tried: those bound to a port or with a long exact
 * signature first, then exact-length binary headers, then the ones that need several packets.
 */
export const GROUP_A: readonly Dissector[] = [
  // Port-bound, or signatures no other protocol starts with.
  netbios,
  cpha,
  gtp,
  modbus,
  s7commPlus,
  iso9506Mms,
  ciscoSkinny,
  kerberos,
  ssdp,
  rtps,
  ripeAtlas,
  ceph,
  vnc,
  munin,
  kismet,
  checkmk,
  bgp,
  corba,
  megaco,
  tinc,
  rsync,
  jrmi,
  git,
  // Binary headers whose length fields must agree (and checksums where the protocol has them).
  dnp3,
  iec62056,
  ieeeC37118,
  bacnet,
  ldp,
  roughtime,
  bfd,
  ethernetIp,
  beckhoffAds,
  drda,
  postgresql,
  mysql,
  mssqlTds,
  oracle,
  cassandra,
  iscsi,
  nfs,
  h323,
  radius,
  slp,
  ldap,
  dcerpc,
  fastcgi,
  afp,
  fins,
  hartIp,
  uftp,
  xdmcp,
  netflow,
  collectd,
  hpVirtgrp,
  ajp,
  atg,
  // Text protocols and those decided over several packets.
  telnet,
  syslog,
  irc,
  usenet,
  jsonRpc,
  soap,
  tftp,
  raknet,
  openvpn,
  iax,
  openflow,
  mpegTs,
  sdRtn,
  rx,
];
