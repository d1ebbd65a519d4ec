// What ingestScan stores for each bench message that is new to its key: the floors (the SDK alone, the bare
// function) write exactly these fields, so they do the same work as the function they bound.
import { toServiceDocument } from "@scan-ingest/functions/documents";
import { planHistory } from "@scan-ingest/functions/history";
import { documentKey } from "@scan-ingest/functions/key";
import { decodeScan } from "@scan-ingest/functions/scan";
import { serviceFields } from "@scan-ingest/functions/store";
import { parseConfig } from "@scan-ingest/functions/config";
import type { LoadMessage } from "./load-worker.ts";

const config = parseConfig({});

/** Each message's key and the fields the ingest transaction writes for it (updatedAt a server timestamp). */
export function storedDocuments(messages: readonly LoadMessage[]) {
  const now = Math.floor(Date.now() / 1000);
  return messages.map(({ data, messageId }) => {
    const decoded = decodeScan(Buffer.from(data, "utf8"), {
      nowSeconds: now,
      maxClockSkewSeconds: config.maxClockSkewSeconds,
    });
    if (!decoded.ok) throw new Error(`bench message does not decode: ${decoded.detail}`);
    const document = toServiceDocument(
      decoded.scan,
      { messageId, publishTime: { seconds: now, nanoseconds: 0 } },
      config.maxResponseBytes,
    );
    const key = documentKey(decoded.scan);
    const incoming = { timestamp: document.scannedAt.seconds, responseSha256: document.responseSha256 };
    const { history } = planHistory(incoming, undefined, config.historyMaxEntries);
    return { key, fields: serviceFields(key, document, history!) };
  });
}

/**
 * The messages for the bare function: each one's data is the JSON of those fields but updatedAt, which the
 * function adds (its Timestamps arrive as maps of seconds and nanoseconds, a few bytes more).
 */
export function storedDocumentMessages(messages: readonly LoadMessage[]): LoadMessage[] {
  return storedDocuments(messages).map(({ fields: { updatedAt: _serverTimestamp, ...fields } }, index) => ({
    messageId: messages[index]!.messageId,
    data: JSON.stringify(fields),
  }));
}
