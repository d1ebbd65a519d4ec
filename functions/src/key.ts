// Canonical IP addresses and the document key `ip:port:SERVICE` (docs/contract.md §2).

const hexGroupPattern = /^[0-9A-Fa-f]{1,4}$/;

const dot = 0x2e;
const digitZero = 0x30;

/** The four octets of a dotted quad without leading zeros, or undefined. */
function parseIpv4(text: string): number[] | undefined {
  // A character loop rather than a regular expression: every message's ip passes through here.
  const octets: number[] = [];
  let octet = 0;
  let digits = 0;
  for (let index = 0; index <= text.length; index++) {
    const code = index < text.length ? text.charCodeAt(index) : dot; // the end closes the last octet
    if (code === dot) {
      if (digits === 0 || octet > 255 || octets.length === 4) return undefined;
      octets.push(octet);
      octet = 0;
      digits = 0;
    } else if (code >= digitZero && code <= digitZero + 9) {
      if (digits === 1 && octet === 0) return undefined; // a leading zero
      octet = octet * 10 + (code - digitZero);
      digits++;
    } else {
      return undefined;
    }
  }
  return octets.length === 4 ? octets : undefined;
}

/** Hex groups of one side of `::`; a dotted IPv4 tail counts as two groups. */
function parseGroups(text: string, tailAllowed: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [index, part] of parts.entries()) {
    if (tailAllowed && index === parts.length - 1 && part.includes(".")) {
      const octets = parseIpv4(part);
      if (!octets) return undefined;
      groups.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    } else if (hexGroupPattern.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** The eight 16-bit groups of an IPv6 address in any valid text form (no zone), or undefined. */
function parseIpv6(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  if (halves.length === 1) {
    const groups = parseGroups(text, true);
    return groups?.length === 8 ? groups : undefined;
  }
  const head = parseGroups(halves[0]!, false);
  const tail = parseGroups(halves[1]!, true);
  // `::` stands for at least one zero group.
  if (!head || !tail || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 text: lowercase, no leading zeros, the first longest run (>= 2) of zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) [bestStart, bestLength] = [start, length];
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}

/** The canonical form of an IP address (IPv4-mapped IPv6 becomes IPv4), or undefined when invalid. */
export function canonicalIp(ip: string): string | undefined {
  if (parseIpv4(ip)) return ip;
  const groups = parseIpv6(ip);
  if (!groups) return undefined;
  const isMapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isMapped) {
    const [high, low] = [groups[6]!, groups[7]!];
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return formatIpv6(groups);
}

/** The document id of a scan: `1.1.1.7:443:HTTP`, `[2001:db8::1]:22:SSH`; canonicalises ip and service. */
export function documentKey(scan: { ip: string; port: number; service: string }): string {
  const ip = canonicalIp(scan.ip);
  if (ip === undefined) throw new RangeError(`not an IP address: ${JSON.stringify(scan.ip)}`);
  const host = ip.includes(":") ? `[${ip}]` : ip;
  return `${host}:${scan.port}:${scan.service.toUpperCase()}`;
}
