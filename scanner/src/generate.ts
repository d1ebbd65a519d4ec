import type { Random } from "./random.ts";

/** A version-1 scan: the response as standard padded base64, as Go encodes a `[]byte`. */
export type ScanV1 = {
  ip: string;
  port: number;
  service: string;
  timestamp: number;
  data_version: 1;
  data: { response_bytes_utf8: string };
};

/** A version-2 scan: the response as a plain string. */
export type ScanV2 = {
  ip: string;
  port: number;
  service: string;
  timestamp: number;
  data_version: 2;
  data: { response_str: string };
};

/** One published message, field for field what the original Go scanner put on the wire (not yet decoded). */
export type GeneratedScan = ScanV1 | ScanV2;

/** Which keys the scanner draws from: the first `ips` addresses from 1.1.1.0, ports 0..ports-1, these services. */
export type Keyspace = {
  ips: number;
  ports: number;
  services: readonly string[];
};

/** 1.1.1.0 as a 32-bit number: the first address the scanner uses. */
export const FIRST_IP = 0x01010100;

/** The most addresses there are from 1.1.1.0 up to 255.255.255.255. */
export const MAX_IPS = 2 ** 32 - FIRST_IP;

/** The Go scanner's keyspace: 1.1.1.0..1.1.1.254, ports 0..65534, HTTP, SSH or DNS. */
export const GO_SCANNER_KEYSPACE: Keyspace = { ips: 255, ports: 65535, services: ["HTTP", "SSH", "DNS"] };

/** The dotted quad `index` addresses after 1.1.1.0. */
export function ipAt(index: number): string {
  const value = FIRST_IP + index;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** The current time in Unix seconds, as Go's `time.Now().Unix()`. */
export function unixSeconds(now: number = Date.now()): number {
  return Math.floor(now / 1000);
}

/** Draws one scan, in the Go scanner's order of draws: ip, port, service, response, data version. */
export function generateScan(random: Random, keyspace: Keyspace, timestamp: number): GeneratedScan {
  const ip = ipAt(random.int(keyspace.ips));
  const port = random.int(keyspace.ports);
  const service = keyspace.services[random.int(keyspace.services.length)] ?? "HTTP";
  const response = `service response: ${random.int(100)}`;
  // Stryker disable next-line EqualityOperator: which half of the draw means version 1 is arbitrary; both stay as likely
  if (random.int(2) === 0) {
    const data = { response_bytes_utf8: Buffer.from(response).toString("base64") };
    return { ip, port, service, timestamp, data_version: 1, data };
  }
  return { ip, port, service, timestamp, data_version: 2, data: { response_str: response } };
}

/** The response text a scan carries, whichever data version it uses. */
export function responseOf(scan: GeneratedScan): string {
  return scan.data_version === 1
    ? Buffer.from(scan.data.response_bytes_utf8, "base64").toString("utf8")
    : scan.data.response_str;
}
