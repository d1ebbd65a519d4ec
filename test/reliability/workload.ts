// The model-checked workload: the scanner's own generator, seeded, on a small keyspace with four timestamps,
// so keys collide and timestamps tie; some scans published twice (the same observation, also in the other
// data version) and a few broken ones with the reason the contract gives them.
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { createRandom, generateScan, type Keyspace, type GeneratedScan } from "@scan-ingest/scanner";
import type { Reason } from "@scan-ingest/functions/reasons";

export interface WorkloadMessage {
  /** Position in publish order. */
  index: number;
  data: Buffer;
  /** The scan, when the contract says the message is valid. */
  scan?: GeneratedScan;
  /** The reason the contract gives, when it is not. */
  reason?: Reason;
  /** What kind of message this is, for the figures. */
  kind: "fresh" | "republished" | "other-version" | "broken";
}

export interface WorkloadSettings {
  seed: string;
  messages: number;
  ips: number;
  ports: number;
}

/** The first of the four scan times (2024-11-22T08:00:00Z); every scan is stamped within 3 s of it. */
export const FIRST_TIMESTAMP = 1732262400;
const TIMESTAMPS = 4;
/** "http" and "HTTP" are one key (docs/contract.md §2). */
const SERVICES = ["HTTP", "http", "SSH", "DNS"];

/** A valid scan broken one field at a time, each with the reason the contract's table gives. */
const breakages: ReadonlyArray<{ reason: Reason; apply: (scan: Record<string, unknown>) => unknown }> = [
  { reason: "invalid_json", apply: (scan) => `${JSON.stringify(scan)},` },
  { reason: "invalid_ip", apply: (scan) => ({ ...scan, ip: `0${String(scan.ip)}` }) },
  { reason: "invalid_port", apply: (scan) => ({ ...scan, port: 65536 }) },
  { reason: "invalid_service", apply: (scan) => ({ ...scan, service: "NO SPACE" }) },
  { reason: "invalid_timestamp", apply: (scan) => ({ ...scan, timestamp: 0 }) },
  { reason: "unsupported_data_version", apply: (scan) => ({ ...scan, data_version: 3 }) },
  { reason: "invalid_data", apply: (scan) => ({ ...scan, data_version: 1, data: { response_str: "x" } }) },
];

/** The same observation (time and response bytes) in the other data version. */
function otherVersion(scan: GeneratedScan): GeneratedScan {
  const { ip, port, service, timestamp } = scan;
  if (scan.data_version === 1) {
    const text = Buffer.from(scan.data.response_bytes_utf8, "base64").toString("utf8");
    return { ip, port, service, timestamp, data_version: 2, data: { response_str: text } };
  }
  const bytes = Buffer.from(scan.data.response_str, "utf8").toString("base64");
  return { ip, port, service, timestamp, data_version: 1, data: { response_bytes_utf8: bytes } };
}

const encode = (value: unknown): Buffer =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8");

/** The same seed gives the same messages, byte for byte. */
export function createWorkload(settings: WorkloadSettings): WorkloadMessage[] {
  const random = createRandom(settings.seed);
  const keyspace: Keyspace = { ips: settings.ips, ports: settings.ports, services: SERVICES };
  const messages: WorkloadMessage[] = [];
  const valid: GeneratedScan[] = [];
  for (let index = 0; index < settings.messages; index++) {
    const roll = random.int(100);
    if (roll < 7 && valid.length > 0) {
      const earlier = valid[random.int(valid.length)]!;
      const scan = roll < 4 ? earlier : otherVersion(earlier);
      messages.push({ index, data: encode(scan), scan, kind: roll < 4 ? "republished" : "other-version" });
      continue;
    }
    const scan = generateScan(random, keyspace, FIRST_TIMESTAMP + random.int(TIMESTAMPS));
    if (roll >= 97) {
      const breakage = breakages[random.int(breakages.length)]!;
      const data = encode(breakage.apply(scan));
      messages.push({ index, data, reason: breakage.reason, kind: "broken" });
      continue;
    }
    valid.push(scan);
    messages.push({ index, data: encode(scan), scan, kind: "fresh" });
  }
  return messages;
}

/**
 * Writes the run as the scanner's --record does, one `{"messageId","scan"}` line per message (broken ones
 * carry `data` in base64 and their `reason` instead), so a failing run can be read and replayed.
 */
export async function recordWorkload(
  path: string,
  published: ReadonlyArray<{ messageId: string; message: WorkloadMessage }>,
): Promise<void> {
  const stream = createWriteStream(path, { flags: "w" });
  for (const { messageId, message } of published) {
    const line = message.scan
      ? { messageId, scan: message.scan }
      : { messageId, data: message.data.toString("base64"), reason: message.reason };
    if (!stream.write(`${JSON.stringify(line)}\n`)) await once(stream, "drain");
  }
  stream.end();
  await once(stream, "close");
}
