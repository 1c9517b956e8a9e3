// Which IP addresses a webhook may reach (docs/api.md §Webhooks, "Safety"): public unicast only,
// never loopback, private, link-local (the cloud metadata endpoints live there), shared,
// documentation, multicast or reserved ranges, in IPv4 or IPv6 (IPv4 embedded in IPv6 included).

export type AddressKind = 'public' | 'loopback' | 'not-public';

/** [first octets..., prefix bits] of IPv4 ranges that are not public. */
const IPV4_NOT_PUBLIC: Array<[number, number, number, number, number]> = [
  [0, 0, 0, 0, 8], // "this network"
  [10, 0, 0, 0, 8], // private
  [100, 64, 0, 0, 10], // carrier-grade NAT
  [169, 254, 0, 0, 16], // link-local, 169.254.169.254 metadata
  [172, 16, 0, 0, 12], // private
  [192, 0, 0, 0, 24], // IETF protocol assignments
  [192, 0, 2, 0, 24], // documentation
  [192, 88, 99, 0, 24], // 6to4 relay anycast
  [192, 168, 0, 0, 16], // private
  [198, 18, 0, 0, 15], // benchmarking
  [198, 51, 100, 0, 24], // documentation
  [203, 0, 113, 0, 24], // documentation
  [224, 0, 0, 0, 4], // multicast
  [240, 0, 0, 0, 4], // reserved, broadcast
];

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function classifyIpv4(n: number): AddressKind {
  if (n >>> 24 === 127) return 'loopback';
  for (const [a, b, c, d, bits] of IPV4_NOT_PUBLIC) {
    const base = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === (base & mask) >>> 0) return 'not-public';
  }
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function parseIpv6(text: string): number[] | undefined {
  let s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  // An embedded dotted quad (::ffff:10.0.0.1) becomes two groups.
  const quad = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (quad) {
    const v4 = parseIpv4(quad[1]);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, -quad[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return all.map((g) => Number.parseInt(g, 16));
}

function classifyIpv6(g: number[]): AddressKind {
  const v4At = (i: number) => classifyIpv4(((g[i] << 16) | g[i + 1]) >>> 0);
  if (g.slice(0, 7).every((x) => x === 0)) return g[7] === 1 ? 'loopback' : 'not-public'; // ::1, ::
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return v4At(6); // IPv4-mapped
  if (g.slice(0, 6).every((x) => x === 0)) return v4At(6); // IPv4-compatible (deprecated)
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4At(6); // NAT64
  if (g[0] === 0x2002) return v4At(1); // 6to4
  if ((g[0] & 0xfe00) === 0xfc00) return 'not-public'; // unique local (fd00:ec2::254 metadata)
  if ((g[0] & 0xffc0) === 0xfe80) return 'not-public'; // link-local
  if ((g[0] & 0xffc0) === 0xfec0) return 'not-public'; // site-local (deprecated)
  if ((g[0] & 0xff00) === 0xff00) return 'not-public'; // multicast
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'not-public'; // documentation
  if (g[0] === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return 'not-public'; // discard
  if (g[0] === 0x2001 && g[1] < 0x200) return 'not-public'; // Teredo and IETF special purpose
  return 'public';
}

/** What kind of address `ip` is; undefined when it is not an IP address at all (a host name). */
export function classifyAddress(ip: string): AddressKind | undefined {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) return classifyIpv4(v4);
  const v6 = ip.includes(':') ? parseIpv6(ip) : undefined;
  return v6 ? classifyIpv6(v6) : undefined;
}
