// The ingest path: envelope -> scan -> store, with one log line per message.
import type { Config } from "./config.ts";
import { withDeadline } from "./deadline.ts";
import { rejectDocumentId, toRejectDocument, toServiceDocument } from "./documents.ts";
import { readEnvelope, type DeliveredEvent, type Instant } from "./envelope.ts";
import { documentKey } from "./key.ts";
import type { Logger, MessageLog } from "./log.ts";
import type { Outcome } from "./outcomes.ts";
import type { Reason } from "./reasons.ts";
import { decodeScan } from "./scan.ts";
import { StoreError, type Store } from "./store.ts";

export interface IngestDependencies {
  config: Config;
  /** Called on the first message, so the Firestore client is created once, when needed. */
  store: () => Store;
  log: Logger;
  /** Milliseconds since the epoch; tests pin it. */
  now?: () => number;
  /** Overrides config.storeDeadlineMs (STORE_DEADLINE_MS). */
  storeDeadlineMs?: number;
}

const severities: Record<Outcome, MessageLog["severity"]> = {
  stored: "INFO",
  stale: "INFO",
  duplicate: "INFO",
  rejected: "WARNING",
  failed: "ERROR",
};

interface Rejected {
  reason: Reason;
  detail: string;
  messageId: string;
  publishTime: Instant | undefined;
}

/** The CloudEvent function: resolves when the message is stored or rejected, throws when Pub/Sub must redeliver. */
export function createIngestScan(dependencies: IngestDependencies): (event: DeliveredEvent) => Promise<void> {
  const { config, log } = dependencies;
  const now = dependencies.now ?? Date.now;
  const deadlineMs = dependencies.storeDeadlineMs ?? config.storeDeadlineMs;

  return async function ingestScan(event) {
    const started = performance.now();
    const envelope = readEnvelope(event);
    const published = envelope.ok ? envelope.message.publishTime : envelope.broken.publishTime;
    const line = (outcome: Outcome, message: string, fields: Partial<MessageLog>) =>
      log({
        severity: severities[outcome],
        message,
        outcome,
        ...fields,
        latencyMs: elapsed(started),
        ...(published && { lagMs: lagMs(published, now()) }),
      });

    const reject = async (rejected: Rejected, data: Uint8Array, attributes: Record<string, string>) => {
      const document = toRejectDocument(rejected, data, attributes, config.maxRejectBytes);
      const id = rejectDocumentId(rejected.messageId);
      await storeDeadline(dependencies.store().writeReject(id, document), deadlineMs, `writing reject ${id}`);
      const { messageId, reason, detail } = rejected;
      line("rejected", `rejected ${reason}: ${detail}`, { messageId, reason });
    };

    const messageId = envelope.ok ? envelope.message.messageId : envelope.broken.messageId;
    let key: string | undefined;
    try {
      if (!envelope.ok) {
        const { broken } = envelope;
        return await reject({ ...broken, reason: "invalid_envelope" }, broken.data, {});
      }
      const { message } = envelope;
      const limits = {
        nowSeconds: Math.floor(now() / 1000),
        maxClockSkewSeconds: config.maxClockSkewSeconds,
        serviceTtlDays: config.serviceTtlDays,
      };
      const decoded = decodeScan(message.data, limits);
      if (!decoded.ok) {
        const { reason, detail } = decoded;
        return await reject({ reason, detail, ...message }, message.data, message.attributes);
      }
      key = documentKey(decoded.scan);
      const document = toServiceDocument(decoded.scan, message, config.maxResponseBytes);
      const applied = dependencies.store().applyIfNewer(key, document);
      const outcome = await storeDeadline(applied, deadlineMs, `the transaction on ${key}`);
      line(outcome, `${outcome} ${key}`, { key, messageId });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const failure = error instanceof StoreError ? error.failure : undefined;
      if (failure?.permanent) {
        // Still thrown, not acknowledged: the message waits in the dead-letter topic until this is fixed.
        line(
          "failed",
          `permanent failure (${failure.code}), no redelivery will succeed: ${failure.fix}. ` +
            `Pub/Sub redelivers it until the dead-letter topic keeps it. ${text}`,
          { key, messageId, failure: "permanent", fix: failure.fix, error: text },
        );
      } else {
        line("failed", `not acknowledged, Pub/Sub will redeliver: ${text}`, {
          key,
          messageId,
          failure: "transient",
          error: text,
        });
      }
      throw error;
    }
  };
}

/**
 * A transient StoreError when the store takes longer than `ms`. The abandoned call may still commit; that is
 * safe, because the redelivered message then finds a duplicate or an existing reject.
 */
function storeDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  const late = () => new Error(`no answer within ${ms} ms`);
  return withDeadline(work, ms, () => new StoreError(what, late(), { permanent: false, code: undefined }));
}

/** Milliseconds from publishTime to `nowMs`, whole; negative only when the clocks disagree. */
function lagMs(publishTime: Instant, nowMs: number): number {
  return Math.round(nowMs - (publishTime.seconds * 1000 + publishTime.nanoseconds / 1e6));
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
