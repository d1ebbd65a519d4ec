// The read API's responses as zod schemas: the OpenAPI document describes them (openapi.ts) and the console's
// page infers its types from them. No Node imports, so the page's type check can read this file.
import * as z from "zod";
import { reasons } from "../reasons.ts";

/** An RFC 3339 date-time with an offset, as the API reads and writes times. */
export const rfc3339 = z.iso.datetime({ offset: true });
const timestamp = rfc3339.meta({ description: "RFC 3339, UTC" });
const base64 = z.base64().meta({ description: "standard base64" });
const shard = z.int().min(0).optional().meta({
  description: "which range of the time-ordered indexes holds it, from the id (docs/contract.md §3)",
});

/** `services/{key}` as JSON. */
export const serviceSchema = z
  .object({
    key: z.string().meta({ example: "1.1.1.7:443:HTTP" }),
    ip: z.string(),
    port: z.int().min(0).max(65535),
    service: z.string(),
    response: z.string(),
    responseBytes: base64.optional(),
    responseSize: z.int().min(0),
    responseSha256: z.string().regex(/^[0-9a-f]{64}$/),
    responseTruncated: z.boolean(),
    shard,
    scannedAt: timestamp,
    dataVersion: z.union([z.literal(1), z.literal(2)]),
    messageId: z.string(),
    publishTime: timestamp.optional(),
    updatedAt: timestamp.optional(),
  })
  .meta({
    id: "Service",
    description: "The newest observation of one ip:port:service",
    example: {
      key: "1.1.1.7:443:HTTP",
      ip: "1.1.1.7",
      port: 443,
      service: "HTTP",
      response: "hello world",
      responseSize: 11,
      responseSha256: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
      responseTruncated: false,
      shard: 17,
      scannedAt: "2024-11-22T08:00:00Z",
      dataVersion: 2,
      messageId: "13082775893720431",
      publishTime: "2024-11-22T08:00:01.204Z",
      updatedAt: "2024-11-22T08:00:01.371Z",
    },
  });

/** One distinct response of a service and when it was observed (docs/contract.md §3, history). */
export const historyEntrySchema = z
  .object({
    responseSha256: z.string().regex(/^[0-9a-f]{64}$/),
    firstSeen: timestamp.meta({ description: "the oldest scan time this response was observed at" }),
    lastSeen: timestamp.meta({ description: "the newest scan time this response was observed at" }),
    current: z.boolean().meta({ description: "whether it is the service's stored (newest) response" }),
    response: z.string(),
    responseBytes: base64.optional(),
    responseSize: z.int().min(0),
    responseTruncated: z.boolean(),
  })
  .meta({ id: "HistoryEntry", description: "One distinct response of a service" });

/** `rejects/{id}` as JSON. */
export const rejectSchema = z
  .object({
    id: z.string(),
    reason: z.enum(reasons),
    detail: z.string(),
    data: z.string().optional(),
    dataBytes: base64.optional(),
    dataTruncated: z.literal(true).optional(),
    dataSize: z.int().min(0),
    dataSha256: z.string().regex(/^[0-9a-f]{64}$/),
    attributes: z.record(z.string(), z.string()),
    shard,
    messageId: z.string(),
    publishTime: timestamp.optional(),
    rejectedAt: timestamp.optional(),
  })
  .meta({ id: "Reject", description: "A message that can never be stored" });

const nextPageToken = z.string().optional().meta({ description: "absent on the last page" });

/** One page of services. */
export const servicePageSchema = z
  .object({ items: z.array(serviceSchema), nextPageToken })
  .meta({ id: "ServicePage" });

/** One page of a service's history. */
export const historyPageSchema = z
  .object({ items: z.array(historyEntrySchema), nextPageToken })
  .meta({ id: "HistoryPage" });

/** One page of rejects. */
export const rejectPageSchema = z
  .object({ items: z.array(rejectSchema), nextPageToken })
  .meta({ id: "RejectPage" });

/** Document counts, from Firestore count aggregations. */
export const statsSchema = z
  .object({
    services: z.int().min(0),
    rejects: z.int().min(0),
    rejectsByReason: z.object(Object.fromEntries(reasons.map((reason) => [reason, z.int().min(0)]))),
  })
  .meta({ id: "Stats" });

/** RFC 9457 problem details. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    parameter: z.string().optional().meta({ description: "the request parameter at fault" }),
  })
  .meta({
    id: "Problem",
    example: {
      type: "about:blank",
      title: "Bad Request",
      status: 400,
      detail: "limit must be an integer from 1 to 1000",
      parameter: "limit",
    },
  });
