/**
 * What a capture source hands to the engine, once per frame. The arguments are positional and
 * the bytes are a view into the reader's buffer: nothing is allocated per frame, and `data` is
 * only valid during the call (copy what you keep).
 */
export interface FrameSink {
  /**
   * @param data - buffer holding the frame; the frame is `data[offset, offset + caplen)`
   * @param caplen - captured bytes
   * @param wireLen - original length on the wire (libpcap's `len`)
   * @param tsUs - timestamp, microseconds since the epoch (packet time is the clock)
   * @param linkType - LINKTYPE_* value of the interface the frame came from
   */
  frame(data: Uint8Array, offset: number, caplen: number, wireLen: number, tsUs: number, linkType: number): void;
}

/** Something a capture reader noticed about the file (not the packets): the CLI prints these. */
export interface CaptureWarning {
  /** Stable, snake_case: `truncated_record`, `corrupt_block`, `truncated_gzip` … */
  kind: string;
  /** Byte offset in the (decompressed) capture stream where the problem starts. */
  offset: number;
  message: string;
}

/** LINKTYPE_* numbers (tcpdump.org/linktypes.html) that Sonda decodes. */
export const LinkType = {
  Null: 0,
  Ethernet: 1,
  Ppp: 9,
  RawOpenBsd: 14,
  Raw: 12,
  PppHdlc: 50,
  PppEther: 51,
  AtmRfc1483: 100,
  RawIp: 101,
  CiscoHdlc: 104,
  Ieee80211: 105,
  Radiotap: 127,
  Loop: 108,
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276,
} as const;
