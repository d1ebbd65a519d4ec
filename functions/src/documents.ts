// The documents we write (docs/contract.md §3 and §4), as plain values; the store adds server times.
import { cutAtCharacterBoundary, decodeLossy, isValidUtf8, sha256Hex } from "./bytes.ts";
import type { Instant, PubsubMessage } from "./envelope.ts";
import type { Reason } from "./reasons.ts";
import type { Scan } from "./scan.ts";

/** The subcollection of `services/{key}` whose slots keep the texts of earlier responses (§3, history). */
export const HISTORY_COLLECTION = "history";

/** `services/{key}` without `shard`, `history` and `updatedAt`, which the store adds. */
export interface ServiceDocument {
  ip: string;
  port: number;
  service: string;
  response: string;
  responseBytes?: Uint8Array;
  responseSize: number;
  responseSha256: string;
  responseTruncated: boolean;
  scannedAt: Instant;
  dataVersion: 1 | 2;
  messageId: string;
  publishTime?: Instant;
}

/** `services/{key}/history/{slot}`: the text of a response that is no longer the current one. */
export type HistorySlotDocument = Pick<
  ServiceDocument,
  "responseSha256" | "response" | "responseBytes" | "responseSize" | "responseTruncated"
>;

/** `rejects/{messageId}` without `shard` and `rejectedAt`, which the store adds. */
export interface RejectDocument {
  reason: Reason;
  detail: string;
  data?: string;
  dataBytes?: Uint8Array;
  dataTruncated?: true;
  dataSize: number;
  dataSha256: string;
  attributes: Record<string, string>;
  messageId: string;
  publishTime?: Instant;
}

/**
 * Text when the bytes are UTF-8, else the bytes and their lossy text; each at most `limit` bytes, cut at a
 * character boundary. The lossy text is cut too: every invalid byte becomes U+FFFD, three bytes of UTF-8, so
 * uncut it could triple and push the document past Firestore's 1 MiB.
 */
function keep(bytes: Uint8Array, limit: number): { text: string; bytes?: Uint8Array; truncated: boolean } {
  const kept = cutAtCharacterBoundary(bytes, limit);
  const truncated = kept.length < bytes.length;
  if (isValidUtf8(bytes)) return { text: decodeLossy(kept), truncated };
  const lossy = Buffer.from(decodeLossy(kept));
  return { text: decodeLossy(cutAtCharacterBoundary(lossy, limit)), bytes: Uint8Array.from(kept), truncated };
}

/** The service document a decoded scan produces. */
export function toServiceDocument(
  scan: Scan,
  message: Pick<PubsubMessage, "messageId" | "publishTime">,
  maxResponseBytes: number,
): ServiceDocument {
  const kept = keep(scan.response, maxResponseBytes);
  return {
    ip: scan.ip,
    port: scan.port,
    service: scan.service,
    response: kept.text,
    ...(kept.bytes && { responseBytes: kept.bytes }),
    responseSize: scan.response.length,
    responseSha256: sha256Hex(scan.response),
    responseTruncated: kept.truncated,
    scannedAt: { seconds: scan.timestamp, nanoseconds: 0 },
    dataVersion: scan.dataVersion,
    messageId: message.messageId,
    ...(message.publishTime && { publishTime: message.publishTime }),
  };
}

/** The reject document of a message that can never be stored. */
export function toRejectDocument(
  rejected: { reason: Reason; detail: string; messageId: string; publishTime: Instant | undefined },
  data: Uint8Array,
  attributes: Record<string, string>,
  maxRejectBytes: number,
): RejectDocument {
  const kept = keep(data, maxRejectBytes);
  return {
    reason: rejected.reason,
    detail: rejected.detail,
    ...(kept.bytes ? { dataBytes: kept.bytes } : { data: kept.text }),
    ...(kept.truncated && { dataTruncated: true as const }),
    dataSize: data.length,
    dataSha256: sha256Hex(data),
    attributes,
    messageId: rejected.messageId,
    ...(rejected.publishTime && { publishTime: rejected.publishTime }),
  };
}

const reservedId = /^__.*__$/;

/** A valid Firestore document id for a message id: the id itself, or its digest when Firestore would refuse it. */
export function rejectDocumentId(messageId: string): string {
  const usable =
    messageId !== "" &&
    messageId !== "." &&
    messageId !== ".." &&
    !messageId.includes("/") &&
    !reservedId.test(messageId) &&
    Buffer.byteLength(messageId) <= 1500;
  return usable ? messageId : `sha256-${sha256Hex(Buffer.from(messageId))}`;
}
