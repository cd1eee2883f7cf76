/** The names filter expressions may use for protocols and ports (libpcap looks them up in the system's databases). */

/** Names `proto \name` accepts (getprotobyname on a Debian /etc/protocols). */
export const IP_PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['ip', 0], ['hopopt', 0], ['icmp', 1], ['igmp', 2], ['ggp', 3], ['ipencap', 4], ['st', 5], ['tcp', 6], ['egp', 8],
  ['igp', 9], ['pup', 12], ['udp', 17], ['hmp', 20], ['xns-idp', 22], ['rdp', 27], ['iso-tp4', 29], ['dccp', 33],
  ['xtp', 36], ['ddp', 37], ['idpr-cmtp', 38], ['ipv6', 41], ['ipv6-route', 43], ['ipv6-frag', 44], ['idrp', 45],
  ['rsvp', 46], ['gre', 47], ['esp', 50], ['ah', 51], ['skip', 57], ['ipv6-icmp', 58], ['ipv6-nonxt', 59],
  ['ipv6-opts', 60], ['rspf', 73], ['vmtp', 81], ['eigrp', 88], ['ospf', 89], ['ax.25', 93], ['ipip', 94],
  ['etherip', 97], ['encap', 98], ['pim', 103], ['ipcomp', 108], ['vrrp', 112], ['l2tp', 115], ['isis', 124],
  ['sctp', 132], ['fc', 133], ['mobility-header', 135], ['udplite', 136], ['mpls-in-ip', 137], ['manet', 138],
  ['hip', 139], ['shim6', 140], ['wesp', 141], ['rohc', 142], ['ethernet', 143],
]);

/** Names `ether proto \name` accepts: libpcap's EtherType table, then its LLC SAP table. */
export const ETHER_PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['aarp', 0x80f3], ['arp', 0x0806], ['atalk', 0x809b], ['decnet', 0x6003], ['ip', 0x0800], ['ip6', 0x86dd],
  ['lat', 0x6004], ['loopback', 0x9000], ['mopdl', 0x6001], ['moprc', 0x6002], ['rarp', 0x8035], ['sca', 0x6007],
  ['iso', 0xfe], ['stp', 0x42], ['ipx', 0xe0], ['netbeui', 0xf0],
]);

/**
 * Service names for `port name`: port and transport (0: TCP and UDP, else 6 or 17). libpcap
 * asks getservbyname(), so tcpdump's answer depends on the host's /etc/services; these are
 * Debian's (netbase), where for instance `http` is TCP only and `domain` both.
 */
export const SERVICES: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['echo', [7, 0]], ['discard', [9, 0]], ['daytime', [13, 0]], ['ftp-data', [20, 6]], ['ftp', [21, 6]], ['ssh', [22, 6]],
  ['telnet', [23, 6]], ['smtp', [25, 6]], ['time', [37, 0]], ['whois', [43, 6]], ['domain', [53, 0]], ['bootps', [67, 17]],
  ['bootpc', [68, 17]], ['tftp', [69, 17]], ['gopher', [70, 6]], ['finger', [79, 6]], ['http', [80, 6]], ['www', [80, 6]],
  ['kerberos', [88, 0]], ['pop3', [110, 6]], ['sunrpc', [111, 0]], ['auth', [113, 6]], ['nntp', [119, 6]], ['ntp', [123, 17]],
  ['netbios-ns', [137, 17]], ['netbios-dgm', [138, 17]], ['netbios-ssn', [139, 6]], ['imap', [143, 6]], ['imap2', [143, 6]],
  ['snmp', [161, 0]], ['snmp-trap', [162, 0]], ['bgp', [179, 6]], ['ldap', [389, 0]], ['https', [443, 0]],
  ['microsoft-ds', [445, 6]], ['isakmp', [500, 17]], ['syslog', [514, 17]], ['submission', [587, 6]], ['ldaps', [636, 0]],
  ['imaps', [993, 6]], ['pop3s', [995, 6]], ['openvpn', [1194, 0]], ['radius', [1812, 0]], ['nfs', [2049, 0]],
  ['mysql', [3306, 6]], ['sip', [5060, 0]], ['postgresql', [5432, 6]], ['http-alt', [8080, 6]],
]);
