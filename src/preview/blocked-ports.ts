/**
 * Ports browsers refuse to load (Chromium's ERR_UNSAFE_PORT, Firefox's "This address is
 * restricted"): a preview published on one of them looks up but can never be opened, so the
 * pool leaves them out. The list is the union of three sources:
 *
 * - the WHATWG Fetch standard's "bad port" list (https://fetch.spec.whatwg.org/#port-blocking),
 *   which both browsers say they follow; 4190 and 6679 joined it in 2024 (whatwg/fetch#1663);
 * - Firefox's `gBadPortList` in netwerk/base/nsIOService.cpp ("to be kept in sync with bad
 *   ports as defined in the WHATWG Fetch standard"); the pref `network.security.ports.banned`
 *   adds to it and is empty by default;
 * - Chromium's `kRestrictedPorts` in net/base/port_util.cc (also Fetch's list, plus port 0).
 *   Chromium can restrict more ports by field trial (`kRestrictAbusePorts`), which no source
 *   lists; none is known inside 5000–8999.
 *
 * Inside berth's default range 5000–8999 this leaves out 5060, 5061, 6000, 6566, 6665–6669, 6679
 * and 6697.
 */
export const BROWSER_BLOCKED_PORTS: ReadonlySet<number> = new Set([
  0, // Chromium only: "not in Fetch Spec"
  1, // tcpmux
  7, // echo
  9, // discard
  11, // systat
  13, // daytime
  15, // netstat
  17, // qotd
  19, // chargen
  20, // ftp-data
  21, // ftp
  22, // ssh
  23, // telnet
  25, // smtp
  37, // time
  42, // name
  43, // nicname
  53, // domain
  69, // tftp
  77, // priv-rjs
  79, // finger
  87, // ttylink
  95, // supdup
  101, // hostname
  102, // iso-tsap
  103, // gppitnp
  104, // acr-nema
  109, // pop2
  110, // pop3
  111, // sunrpc
  113, // auth
  115, // sftp
  117, // uucp-path
  119, // nntp
  123, // ntp
  135, // epmap
  137, // netbios-ns
  139, // netbios-ssn
  143, // imap2
  161, // snmp
  179, // bgp
  389, // ldap
  427, // slp / afp
  465, // smtps
  512, // exec
  513, // login
  514, // shell
  515, // printer
  526, // tempo
  530, // courier
  531, // chat
  532, // netnews
  540, // uucp
  548, // afp
  554, // rtsp
  556, // remotefs
  563, // nntps
  587, // submission
  601, // syslog-conn
  636, // ldaps
  989, // ftps-data
  990, // ftps
  993, // imaps
  995, // pop3s
  1719, // h323gatestat
  1720, // h323hostcall
  1723, // pptp
  2049, // nfs
  3659, // apple-sasl
  4045, // lockd
  4190, // sieve
  5060, // sip
  5061, // sips
  6000, // x11
  6566, // sane-port
  6665, // irc
  6666, // irc
  6667, // irc
  6668, // irc
  6669, // irc
  6679, // osaut (irc+tls alternate)
  6697, // irc+tls
  10080, // amanda
]);

/**
 * Ports macOS itself listens on (the AirPlay Receiver of Control Center takes 5000 and 7000 since
 * macOS 12), so a preview there would collide with the system, not with a browser.
 */
export const MACOS_RESERVED_PORTS: ReadonlySet<number> = new Set([5000, 7000]);

/** Whether the pool must never hand out `port` on this platform. */
export function isPortExcluded(port: number, platform: NodeJS.Platform = process.platform): boolean {
  return BROWSER_BLOCKED_PORTS.has(port) || (platform === 'darwin' && MACOS_RESERVED_PORTS.has(port));
}
