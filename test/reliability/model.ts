// The model: what `services` and `rejects` must hold after every message was delivered any number of times
// in any order. Written from docs/contract.md §2 and §3, independently of functions/src.
import { createHash } from "node:crypto";
import type { GeneratedScan } from "@scan-ingest/scanner";
import type { Reason } from "@scan-ingest/functions/reasons";

/** One published message as the model sees it: valid (`scan`) or broken (`reason`). */
export interface PublishedMessage {
  messageId: string;
  scan?: GeneratedScan;
  reason?: Reason;
}

/** The deterministic fields of `services/{key}` (docs/contract.md §3) and who may have written them. */
export interface ExpectedService {
  key: string;
  ip: string;
  port: number;
  service: string;
  response: string;
  responseSize: number;
  responseSha256: string;
  scannedAt: number;
  /** Every message carrying the winning (timestamp, sha), with its data version: the first to arrive wins. */
  winners: Map<string, 1 | 2>;
  /** Distinct (timestamp, sha) pairs offered for this key: each may cost one write and one history slot. */
  versions: number;
  /** The history (§3): per distinct response, the oldest and newest scan time and the response's text. */
  history: Map<string, { firstSeen: number; lastSeen: number; response: string }>;
}

export interface ExpectedState {
  services: Map<string, ExpectedService>;
  /** rejects/{messageId} → reason. */
  rejects: Map<string, Reason>;
  /**
   * Twice the sum of `versions`: each write of `services/{key}` raises its version or widens its history with a
   * (timestamp, sha) not seen before, and brings at most one slot write with it.
   */
  maxServiceWrites: number;
}

/** `{ip}:{port}:{SERVICE}`; the workload draws IPv4 only, already canonical. */
export function keyOf(scan: GeneratedScan): string {
  return `${scan.ip}:${scan.port}:${scan.service.toUpperCase()}`;
}

export function responseBytes(scan: GeneratedScan): Buffer {
  return scan.data_version === 1
    ? Buffer.from(scan.data.response_bytes_utf8, "base64")
    : Buffer.from(scan.data.response_str, "utf8");
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Compares (timestamp, sha) left to right: negative when a is older. */
function compare(a: { scannedAt: number; responseSha256: string }, b: typeof a): number {
  if (a.scannedAt !== b.scannedAt) return a.scannedAt - b.scannedAt;
  return a.responseSha256 === b.responseSha256 ? 0 : a.responseSha256 < b.responseSha256 ? -1 : 1;
}

/** The state the contract promises for these messages, whatever the delivery order and count. */
export function expectedState(messages: Iterable<PublishedMessage>): ExpectedState {
  const services = new Map<string, ExpectedService>();
  const versions = new Map<string, Set<string>>();
  const rejects = new Map<string, Reason>();
  for (const { messageId, scan, reason } of messages) {
    if (scan === undefined) {
      if (reason === undefined) throw new Error(`message ${messageId} is neither valid nor broken`);
      rejects.set(messageId, reason);
      continue;
    }
    const bytes = responseBytes(scan);
    const offered = {
      key: keyOf(scan),
      ip: scan.ip,
      port: scan.port,
      service: scan.service.toUpperCase(),
      response: bytes.toString("utf8"),
      responseSize: bytes.length,
      responseSha256: sha256(bytes),
      scannedAt: scan.timestamp,
      winners: new Map([[messageId, scan.data_version]]),
      versions: 0,
      history: new Map<string, { firstSeen: number; lastSeen: number; response: string }>(),
    };
    const seen = versions.get(offered.key) ?? new Set<string>();
    seen.add(`${offered.scannedAt}/${offered.responseSha256}`);
    versions.set(offered.key, seen);
    const stored = services.get(offered.key);
    const history = stored?.history ?? offered.history;
    const entry = history.get(offered.responseSha256);
    history.set(offered.responseSha256, {
      firstSeen: Math.min(entry?.firstSeen ?? offered.scannedAt, offered.scannedAt),
      lastSeen: Math.max(entry?.lastSeen ?? offered.scannedAt, offered.scannedAt),
      response: offered.response,
    });
    const order = stored === undefined ? 1 : compare(offered, stored);
    if (order > 0) services.set(offered.key, { ...offered, history });
    else if (order === 0) stored!.winners.set(messageId, scan.data_version);
  }
  let maxServiceWrites = 0;
  for (const [key, service] of services) {
    service.versions = versions.get(key)!.size;
    maxServiceWrites += 2 * service.versions;
  }
  return { services, rejects, maxServiceWrites };
}
