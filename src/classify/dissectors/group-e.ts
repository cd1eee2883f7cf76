/**
 * Dissectors, group E: chat, P2P, VoIP signalling, remote access, VPNs, finance and health
 * protocols (see index.ts for where the group sits in the order). Within the group, signatures
 * that validate several fields come first; the weak ones — Xbox's fixed shapes, Thunder's
 * version word — come last, so they only see what nothing else took.
 */
import type { Dissector } from '../dissector.js';
import { dicom } from './dicom.js';
import { dofus } from './dofus.js';
import { fix } from './fix.js';
import { gnutella } from './gnutella.js';
import { hl7 } from './hl7.js';
import { jabber } from './jabber.js';
import { mgcp } from './mgcp.js';
import { nintendo } from './nintendo.js';
import { noMachine } from './nomachine.js';
import { radmin } from './radmin.js';
import { rsh } from './rsh.js';
import { smpp } from './smpp.js';
import { softEther } from './softether.js';
import { teamSpeak } from './teamspeak.js';
import { teredo } from './teredo.js';
import { thunder } from './thunder.js';
import { ultraSurf } from './ultrasurf.js';
import { xbox } from './xbox.js';

/** Group E, in the order tried. */
export const GROUP_E: readonly Dissector[] = [
  jabber,
  smpp,
  mgcp,
  fix,
  hl7,
  dicom,
  gnutella,
  teamSpeak,
  teredo,
  radmin,
  noMachine,
  ultraSurf,
  rsh,
  dofus,
  nintendo,
  softEther,
  xbox,
  thunder,
] as Dissector[];
