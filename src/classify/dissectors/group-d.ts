/**
 * Dissectors, group D: databases, messaging, IoT and monitoring (see index.ts for where the
 * group sits in the order). Within the group, exact binary headers come before the looser
 * text signatures: Thrift's strict header before memcached's binary magic (both start 0x80),
 * and the protocols that need a length field to agree before RESP, memcached and NATS text.
 * The port-bound ones (SOME/IP, CoAP, PTP, HSRP, LISP, CAPWAP) come late: their `accepts`
 * keeps them off every other flow; Z39.50 and Ookla, which off their ports wait for the
 * server's answer, come last.
 */
import type { Dissector } from '../dissector.js';
import { capwap } from './capwap.js';
import { coap } from './coap.js';
import { diameter } from './diameter.js';
import { elasticsearch } from './elasticsearch.js';
import { hsrp } from './hsrp.js';
import { iec60870 } from './iec60870.js';
import { kafka } from './kafka.js';
import { lisp } from './lisp.js';
import { memcached } from './memcached.js';
import { mongodb } from './mongodb.js';
import { mqtt } from './mqtt.js';
import { nats } from './nats.js';
import { ookla } from './ookla.js';
import { ptpv2 } from './ptpv2.js';
import { resp } from './resp.js';
import { sflow } from './sflow.js';
import { someip } from './someip.js';
import { thrift } from './thrift.js';
import { z3950 } from './z3950.js';
import { zabbix } from './zabbix.js';

/** Group D, in the order tried. */
export const GROUP_D: readonly Dissector[] = [
  mqtt,
  kafka,
  mongodb,
  zabbix,
  diameter,
  elasticsearch,
  thrift,
  memcached,
  resp,
  nats,
  iec60870,
  someip,
  sflow,
  coap,
  ptpv2,
  hsrp,
  lisp,
  capwap,
  z3950,
  ookla,
] as Dissector[];
