/**
 * Which addresses an outbound fetch on a caller's behalf (image URLs) may
 * reach: only globally routable unicast, judged by ipaddr.js's range tables
 * (maintained upstream from the IANA special-purpose registries) instead of
 * a hand-written list. Everything else is refused: loopback, private, CGNAT,
 * link-local (incl. the 169.254.169.254 / fd00:ec2::254 metadata services),
 * documentation, benchmarking, reserved, multicast, Teredo, 6to4, NAT64,
 * site-local, IPv4-mapped and -translated IPv6, and IPv6 outside 2000::/3.
 *
 * @module
 */
import ipaddr from "ipaddr.js";

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

/** True when `ip` is a globally routable unicast address. Anything unparsable is false. */
export function isGloballyRoutable(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, "").split("%")[0] ?? "";
  if (!ipaddr.isValid(bare)) return false;
  // Only canonical forms: ipaddr.js also accepts "0x7f.1" or "127.1", which a URL parser
  // would never hand over but a resolver might.
  if (!ipaddr.IPv4.isValidFourPartDecimal(bare) && !ipaddr.IPv6.isValid(bare)) return false;
  const addr = ipaddr.parse(bare);
  if (addr.range() !== "unicast") return false;
  return addr.kind() === "ipv4" || addr.match(GLOBAL_UNICAST_V6);
}
