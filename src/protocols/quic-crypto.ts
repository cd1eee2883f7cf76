/**
 * QUIC Initial packet protection (RFC 9001 §5, RFC 9369 §3.3), the client side of it: the
 * Initial secrets from the Destination Connection ID and the version's salt, AES-128-GCM
 * payload protection and AES-128-ECB header protection. Everything an observer needs to read
 * a client's Initial packets; nothing of the later (handshake, 1-RTT) keys, which no observer
 * can have.
 *
 * Versions (see {@link quicVersionInfo}): QUIC v1 (RFC 9000), v2 (RFC 9369), IETF drafts 22 to
 * 34, Facebook's mvfst drafts, and Google's gQUIC versions that borrowed this protection
 * (Q050, T050, T051). All use SHA-256 and AES-128-GCM for Initial packets.
 *
 * Crypto failures (a wrong key, a forged or corrupted packet) are results, not exceptions:
 * {@link aeadOpen} returns undefined.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { type HmacKey, hmacInto, hmacKey } from './sha256.js';

/** How a version's Initial packets carry the handshake. */
export const QuicFlavor = {
  /** IETF QUIC (v1, v2, drafts, mvfst): IETF frames, a TLS 1.3 ClientHello in CRYPTO frames. */
  Ietf: 0,
  /** gQUIC with TLS (T050, T051): IETF-style Initial packets and frames, TLS ClientHello. */
  GquicTls: 1,
  /** gQUIC with its own crypto handshake (Q050): protected Initial packets holding a CHLO message. */
  GquicCrypto: 2,
  /** gQUIC in the clear (Q043 … Q049 long headers, and the older public header): a CHLO message. */
  GquicPlain: 3,
} as const;
export type QuicFlavor = (typeof QuicFlavor)[keyof typeof QuicFlavor];

/** What one QUIC version number means for reading a client's Initial packets. */
export interface QuicVersionInfo {
  /** Name as ndpiReader prints it: `V-1`, `V-2`, `Draft-29`, `MVFST-27`, `Q050`, `T051` … */
  readonly name: string;
  readonly flavor: QuicFlavor;
  /** Initial salt (20 bytes); absent for versions sent in the clear. */
  readonly salt?: Uint8Array;
  /** HKDF label prefix of the packet keys: `quic` (v1 and earlier) or `quicv2` (RFC 9369). */
  readonly labels: 'quic' | 'quicv2';
  /** Long header packet type (the two bits after the fixed bit) of Initial packets: 0, or 1 in v2. */
  readonly initialType: number;
  /** Long header packet type of Retry packets: 3, or 0 in v2. */
  readonly retryType: number;
}

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** Initial salts (RFC 9001 §5.2, RFC 9369 §3.3.1, the drafts, Chromium's gQUIC). */
export const QUIC_SALTS = {
  v1: hex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'),
  v2: hex('0dede3def700a6db819381be6e269dcbf9bd2ed9'),
  /** draft-ietf-quic-tls-29 to -32. */
  draft29: hex('afbfec289993d24c9e9786f19c6111e04390a899'),
  /** draft-ietf-quic-tls-23 to -28. */
  draft23: hex('c3eef712c72ebb5a11a7d2432bb46365bef9f502'),
  /** draft-ietf-quic-tls-22. */
  draft22: hex('7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a'),
  q050: hex('504574efd066fe2f9d945cfcdbd3a7f0d3b56b45'),
  t050: hex('7ff579e5acd072915580304c43a2367c60488310'),
  t051: hex('7a4edef4e7ccee5fa4506c19124fc8ccda6e033d'),
} as const;

/** QUIC version numbers with names. */
export const QuicVersion = {
  V1: 0x00000001,
  V2: 0x6b3343cf,
  Q050: 0x51303530,
  T050: 0x54303530,
  T051: 0x54303531,
  MvfstD22: 0xfaceb001,
  MvfstD27: 0xfaceb002,
  MvfstExp: 0xfaceb00e,
} as const;

/** Every version this module reads, by number: built once, looked up per packet. */
const VERSIONS = new Map<number, QuicVersionInfo>();
{
  const add = (v: number, name: string, flavor: QuicFlavor, salt: Uint8Array | undefined, v2 = false): void => {
    const info: QuicVersionInfo = v2
      ? { name, flavor, salt, labels: 'quicv2', initialType: 1, retryType: 0 }
      : salt === undefined
        ? { name, flavor, labels: 'quic', initialType: 0, retryType: 3 }
        : { name, flavor, salt, labels: 'quic', initialType: 0, retryType: 3 };
    VERSIONS.set(v >>> 0, Object.freeze(info));
  };
  add(QuicVersion.V1, 'V-1', QuicFlavor.Ietf, QUIC_SALTS.v1);
  add(QuicVersion.V2, 'V-2', QuicFlavor.Ietf, QUIC_SALTS.v2, true);
  for (let d = 22; d <= 34; d++) {
    const salt = d >= 33 ? QUIC_SALTS.v1 : d >= 29 ? QUIC_SALTS.draft29 : d >= 23 ? QUIC_SALTS.draft23 : QUIC_SALTS.draft22;
    add(0xff000000 + d, `Draft-${d}`, QuicFlavor.Ietf, salt);
  }
  add(QuicVersion.MvfstD22, 'MVFST-22', QuicFlavor.Ietf, QUIC_SALTS.draft22);
  add(QuicVersion.MvfstD27, 'MVFST-27', QuicFlavor.Ietf, QUIC_SALTS.draft23);
  add(QuicVersion.MvfstExp, 'MVFST-EXP', QuicFlavor.Ietf, QUIC_SALTS.draft23);
  add(QuicVersion.Q050, 'Q050', QuicFlavor.GquicCrypto, QUIC_SALTS.q050);
  add(QuicVersion.T050, 'T050', QuicFlavor.GquicTls, QUIC_SALTS.t050);
  add(QuicVersion.T051, 'T051', QuicFlavor.GquicTls, QUIC_SALTS.t051);
  // Q001 … Q049: a CHLO message in the clear.
  for (let n = 1; n < 50; n++) {
    const name = `Q${String(n).padStart(3, '0')}`;
    add((name.charCodeAt(0) << 24) | (name.charCodeAt(1) << 16) | (name.charCodeAt(2) << 8) | name.charCodeAt(3), name, QuicFlavor.GquicPlain, undefined);
  }
}

/**
 * The reading of version `v`, or undefined for a version this module cannot read (unknown,
 * drafts before 22, reserved `?a?a?a?a` versions that force version negotiation, and 0,
 * Version Negotiation). The objects are shared and frozen.
 */
export function quicVersionInfo(v: number): QuicVersionInfo | undefined {
  return VERSIONS.get(v >>> 0);
}

/** The number of a gQUIC version `Q0nn` (`Q`, then three ASCII digits), else -1. */
export function gquicNumber(v: number): number {
  if (v >>> 24 !== 0x51) return -1;
  const a = ((v >>> 16) & 0xff) - 0x30;
  const b = ((v >>> 8) & 0xff) - 0x30;
  const c = (v & 0xff) - 0x30;
  if (a < 0 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  return a * 100 + b * 10 + c;
}

// ---- HKDF (RFC 5869) with TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1), SHA-256 -------------------

/** Salts made ready as HMAC keys, by identity (the versions' salts are a handful of constants). */
const saltKeys = new Map<Uint8Array, HmacKey>();

/** HKDF-Extract(salt, ikm) with SHA-256: 32 bytes. */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  let key = saltKeys.get(salt);
  if (key === undefined) {
    key = hmacKey(salt);
    if (saltKeys.size < 64) saltKeys.set(salt, key);
  }
  const out = Buffer.alloc(32);
  hmacInto(key, ikm, 0, ikm.length, out, 0);
  return out;
}

/** HkdfLabel (RFC 8446 §7.1) of the labels used with an empty context, by length and label. */
const labelInfos = new Map<string, Uint8Array>();

function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const memo = context.length === 0 ? `${length} ${label}` : undefined;
  const known = memo === undefined ? undefined : labelInfos.get(memo);
  if (known !== undefined) return known;
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = full.length;
  info.set(full, 3);
  info[3 + full.length] = context.length;
  info.set(context, 4 + full.length);
  if (memo !== undefined && labelInfos.size < 256) labelInfos.set(memo, info);
  return info;
}

/** HKDF-Expand-Label with a key already made ready (see {@link hkdfExpandLabel}). */
function expandLabel(key: HmacKey, label: string, context: Uint8Array, length: number): Buffer {
  const info = hkdfLabel(label, context, length);
  // T(i) = HMAC(secret, T(i-1) | info | i), T(0) empty.
  const msg = new Uint8Array(32 + info.length + 1);
  const out = Buffer.alloc(length);
  let prev = 0;
  for (let i = 1, done = 0; done < length; i++) {
    msg.set(info, prev);
    msg[prev + info.length] = i;
    hmacInto(key, msg, 0, prev + info.length + 1, msg, 0);
    prev = 32;
    const n = Math.min(32, length - done);
    out.set(msg.subarray(0, n), done);
    done += n;
  }
  return out;
}

/**
 * HKDF-Expand-Label(secret, label, context, length) with SHA-256 (`tls13 ` is prepended to
 * `label` here). `length` at most 255 × 32.
 */
export function hkdfExpandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  return expandLabel(hmacKey(secret), label, context, length);
}

/** The keys that protect one side's Initial packets. */
export interface InitialKeys {
  /** AES-128-GCM key (16 bytes). */
  readonly key: Buffer;
  /** AEAD IV (12 bytes), XORed with the packet number for each packet's nonce. */
  readonly iv: Buffer;
  /** Header protection key (16 bytes, AES-128-ECB). */
  readonly hp: Buffer;
}

const EMPTY = new Uint8Array(0);

/**
 * The client's Initial keys (RFC 9001 §5.2): `client_initial_secret` from the salt and the
 * Destination Connection ID of the client's first Initial packet, then key, IV and header
 * protection key with the version's labels.
 */
export function clientInitialKeys(salt: Uint8Array, dcid: Uint8Array, labels: 'quic' | 'quicv2' = 'quic'): InitialKeys {
  const initial = hkdfExtract(salt, dcid);
  return initialKeysFromSecret(hkdfExpandLabel(initial, 'client in', EMPTY, 32), labels);
}

/** The server's Initial keys (`server in`): for tests and tools; the parser reads clients only. */
export function serverInitialKeys(salt: Uint8Array, dcid: Uint8Array, labels: 'quic' | 'quicv2' = 'quic'): InitialKeys {
  const initial = hkdfExtract(salt, dcid);
  return initialKeysFromSecret(hkdfExpandLabel(initial, 'server in', EMPTY, 32), labels);
}

function initialKeysFromSecret(secret: Buffer, labels: 'quic' | 'quicv2'): InitialKeys {
  const key = hmacKey(secret);
  return {
    key: expandLabel(key, `${labels} key`, EMPTY, 16),
    iv: expandLabel(key, `${labels} iv`, EMPTY, 12),
    hp: expandLabel(key, `${labels} hp`, EMPTY, 16),
  };
}

/**
 * The header protection mask (RFC 9001 §5.4.3): AES-128-ECB of the 16-byte `sample` taken
 * from `b[off, off + 16)`; 16 bytes, of which the first 5 are used. The caller checks that
 * the sample is there.
 */
export function headerProtectionMask(hp: Uint8Array, b: Uint8Array, off: number): Buffer {
  const c = createCipheriv('aes-128-ecb', hp, null);
  c.setAutoPadding(false);
  return c.update(b.subarray(off, off + 16));
}

/** The AEAD nonce: the IV XOR the packet number, right-aligned (RFC 9001 §5.3). */
function nonce(iv: Uint8Array, pn: number): Buffer {
  const n = Buffer.from(iv);
  let v = pn;
  for (let i = n.length - 1; i >= n.length - 6 && v > 0; i--) {
    n[i]! ^= v % 256;
    v = Math.floor(v / 256);
  }
  return n;
}

/** Bytes of the AES-GCM authentication tag after each protected payload. */
export const AEAD_TAG = 16;

/**
 * Decrypts and authenticates one packet payload with AES-128-GCM: `ct` is the ciphertext
 * followed by its 16-byte tag, `aad` the unprotected header. Undefined when the tag does not
 * verify (wrong keys, a corrupted or forged packet) or `ct` is shorter than a tag.
 */
export function aeadOpen(keys: InitialKeys, pn: number, aad: Uint8Array, ct: Uint8Array): Buffer | undefined {
  if (ct.length < AEAD_TAG) return undefined;
  try {
    const d = createDecipheriv('aes-128-gcm', keys.key, nonce(keys.iv, pn));
    d.setAAD(aad);
    d.setAuthTag(ct.subarray(ct.length - AEAD_TAG));
    const head = d.update(ct.subarray(0, ct.length - AEAD_TAG));
    const tail = d.final(); // throws when the tag does not verify
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    return undefined;
  }
}

/** Encrypts a payload (ciphertext followed by the tag): the inverse of {@link aeadOpen}, for tests and tools. */
export function aeadSeal(keys: InitialKeys, pn: number, aad: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv('aes-128-gcm', keys.key, nonce(keys.iv, pn));
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([body, c.getAuthTag()]);
}
