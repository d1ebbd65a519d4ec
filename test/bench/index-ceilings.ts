// Each index's sustained write ceiling (docs/capacity.md): from an index configuration (firestore.indexes.json)
// and a stated traffic skew, the share of writes its hottest range of sequential entries takes. Pure: the
// capacity model (capacity-model.ts) sets it beside the other limits.
import { DEFAULT_COLLECTIONS } from "@scan-ingest/functions/config";
import {
  HISTORY_COLLECTION,
  type HistorySlotDocument,
  type RejectDocument,
  type ServiceDocument,
} from "@scan-ingest/functions/documents";
import { SHARDS } from "@scan-ingest/functions/shard";

/**
 * Writes/s one range of sequentially increasing index entries takes —
 * https://cloud.google.com/firestore/docs/best-practices, https://cloud.google.com/firestore/docs/solutions/shard-timestamp.
 */
export const SEQUENTIAL_RANGE_WRITES_PER_SEC = 500;

/** A scanner's traffic, as stated (not measured): the skew every index's hottest range is computed from. */
export interface Traffic {
  /** Share of scans on each of the commonest ports. */
  ports: Readonly<Record<number, number>>;
  /** Share of scans of each of the commonest services. */
  services: Readonly<Record<string, number>>;
  /** Share of messages that are rejected instead of stored. */
  rejectShare: number;
  /** Share of rejects that carry the commonest reason. */
  topReasonShare: number;
  /** Most stored scans a second for one host. */
  hostScansPerSec: number;
}

/** zmap/masscan-like traffic: most scans on two ports and one service, addresses in a random permutation. */
export const SCANNER_TRAFFIC: Traffic = {
  ports: { 80: 0.35, 443: 0.25 },
  services: { HTTP: 0.6 },
  rejectShare: 0.01,
  // Worst case: a broken scanner whose every reject has the same reason.
  topReasonShare: 1,
  // A permuted scan reaches one host a few times a second at most, and only its open services are stored.
  hostScansPerSec: 10,
};

/** How a field's values fall among the writes, which decides where in an index those writes land. */
export type Values =
  /** Increases with time: every write lands at the end of its range. */
  | { kind: "sequential" }
  /** Spread over the key space; one value gets at most `perValuePerSec` writes/s when that is bounded. */
  | { kind: "spread"; perValuePerSec?: number }
  /** functions/src/shard.ts: SHARDS equally common values, independent of every other field. */
  | { kind: "shard" }
  /** Few values: the commonest takes `topShare` of the writes. */
  | { kind: "skewed"; topShare: number };

/** A collection the ingest path writes: its share of the messages, its document ids and its fields. */
export interface Collection {
  name: string;
  shareOfScans: number;
  documentIds: Values;
  fields: Readonly<Record<string, Values>>;
}

const sequential: Values = { kind: "sequential" };
/** A field whose values the model does not know: counted as one value (the worst case). */
const oneValue: Values = { kind: "skewed", topShare: 1 };

/**
 * The written collections and every field their documents carry. The records are typed by the documents'
 * own types (functions/src/documents.ts) plus what the store adds, so a new field fails the type check here
 * until the model says how its values fall.
 */
export function collectionsUnder(traffic: Traffic): Collection[] {
  const services: Record<keyof ServiceDocument | "shard" | "history" | "expireAt" | "updatedAt", Values> = {
    ip: { kind: "spread", perValuePerSec: traffic.hostScansPerSec },
    port: { kind: "skewed", topShare: Math.max(...Object.values(traffic.ports)) },
    service: { kind: "skewed", topShare: Math.max(...Object.values(traffic.services)) },
    response: oneValue,
    responseBytes: oneValue,
    responseSize: oneValue,
    // Many hosts answer the same banner, so the same hash: not counted as random.
    responseSha256: oneValue,
    responseTruncated: oneValue,
    scannedAt: sequential,
    dataVersion: oneValue,
    messageId: sequential,
    publishTime: sequential,
    shard: { kind: "shard" },
    // A map of scan times per response: indexed, its entries would be as sequential as scannedAt.
    history: sequential,
    // SERVICE_TTL_DAYS: scannedAt plus a constant.
    expireAt: sequential,
    updatedAt: sequential,
  };
  const slots: Record<keyof HistorySlotDocument | "expireAt", Values> = {
    responseSha256: oneValue,
    response: oneValue,
    responseBytes: oneValue,
    responseSize: oneValue,
    responseTruncated: oneValue,
    expireAt: sequential,
  };
  const rejects: Record<keyof RejectDocument | "shard" | "rejectedAt", Values> = {
    reason: { kind: "skewed", topShare: traffic.topReasonShare },
    detail: oneValue,
    data: oneValue,
    dataBytes: oneValue,
    dataTruncated: oneValue,
    dataSize: oneValue,
    dataSha256: oneValue,
    attributes: oneValue,
    messageId: sequential,
    publishTime: sequential,
    shard: { kind: "shard" },
    rejectedAt: sequential,
  };
  return [
    // The key `{ip}:{port}:{service}` starts with the address, which a permuted scan visits at random.
    {
      name: DEFAULT_COLLECTIONS.services,
      shareOfScans: 1 - traffic.rejectShare,
      documentIds: { kind: "spread" },
      fields: services,
    },
    // `services/{key}/history/{slot}`: at worst every stored scan moves a response to a slot (a response
    // that changes on every scan); the path starts with the service's key.
    {
      name: HISTORY_COLLECTION,
      shareOfScans: 1 - traffic.rejectShare,
      documentIds: { kind: "spread" },
      fields: slots,
    },
    // `rejects/{messageId}`: Pub/Sub's message ids, taken as increasing.
    {
      name: DEFAULT_COLLECTIONS.rejects,
      shareOfScans: traffic.rejectShare,
      documentIds: sequential,
      fields: rejects,
    },
  ];
}

/** firestore.indexes.json, the parts that decide which index entries a write makes. */
export interface IndexConfiguration {
  indexes: Array<{
    collectionGroup: string;
    queryScope?: string;
    fields: Array<{ fieldPath: string; order?: string; arrayConfig?: string }>;
  }>;
  fieldOverrides?: Array<{
    collectionGroup: string;
    fieldPath: string;
    indexes?: Array<{ order?: string; arrayConfig?: string; queryScope?: string }>;
  }>;
}

/** One index a write to the collection updates: a composite, a single-field index, or the documents by id. */
export interface Index {
  collection: string;
  name: string;
  fields: readonly string[];
}

const documentId = "__name__";
const describeField = (field: { fieldPath: string; order?: string; arrayConfig?: string }) =>
  `${field.fieldPath} ${field.arrayConfig === undefined ? (field.order === "DESCENDING" ? "desc" : "asc") : "array-contains"}`;

/**
 * Every index of every written collection: the composites of the file, the automatic single-field indexes
 * (ascending and descending on every field no override exempts —
 * https://cloud.google.com/firestore/docs/concepts/index-overview), the overrides' own, and the documents by id.
 */
export function indexesOf(configuration: IndexConfiguration, collections: readonly Collection[]): Index[] {
  const known = (collection: string, field: string) => {
    const fields = collections.find((candidate) => candidate.name === collection)?.fields;
    if (fields === undefined)
      throw new Error(`firestore.indexes.json indexes "${collection}", which no write reaches`);
    const top = field.split(".")[0]!;
    if (field !== documentId && !(top in fields))
      throw new Error(`firestore.indexes.json names ${collection}.${field}, a field no document has`);
  };
  const composites = configuration.indexes.map((index): Index => {
    for (const field of index.fields) known(index.collectionGroup, field.fieldPath);
    const scope = index.queryScope === "COLLECTION_GROUP" ? " collection group" : "";
    return {
      collection: index.collectionGroup,
      name: `${index.collectionGroup} (${index.fields.map(describeField).join(", ")})${scope}`,
      fields: index.fields.map((field) => field.fieldPath),
    };
  });
  const overrides = configuration.fieldOverrides ?? [];
  for (const override of overrides) known(override.collectionGroup, override.fieldPath);
  const singleFields = collections.flatMap((collection) =>
    Object.keys(collection.fields).flatMap((field): Index[] => {
      const override = overrides.find(
        (candidate) => candidate.collectionGroup === collection.name && candidate.fieldPath === field,
      );
      const entries = override?.indexes ?? [
        { fieldPath: field, order: "ASCENDING" },
        { fieldPath: field, order: "DESCENDING" },
      ];
      return entries.map((entry) => ({
        collection: collection.name,
        name: `${collection.name} ${describeField({ ...entry, fieldPath: field })} (single-field)`,
        fields: [field],
      }));
    }),
  );
  const byId = collections.map((collection) => ({
    collection: collection.name,
    name: `${collection.name} document ids`,
    fields: [documentId],
  }));
  return [...composites, ...singleFields, ...byId];
}

/** An index's sustained write ceiling, in scans/s of the stated traffic. */
export interface IndexCeiling extends Index {
  /** Scans/s at which its hottest range takes SEQUENTIAL_RANGE_WRITES_PER_SEC; Infinity when none can. */
  scansPerSec: number;
  /** Its hottest range, in words. */
  hottestRange: string;
  /** How many shards the hottest range is one of: SHARDS when `shard` leads to it, else 1. */
  shards: number;
}

const percent = (share: number) => `${Number((share * 100).toPrecision(3))} %`;

/**
 * Walks the index's fields, then the document id every index ends with: equality-like fields narrow the share
 * of writes the hottest range gets (the commonest value's; ÷ SHARDS for `shard`), a spread field scatters
 * them, and the first sequential field puts them all at the end of that range.
 */
export function ceilingOf(index: Index, collection: Collection): IndexCeiling {
  let topShare = 1;
  let shards = 1;
  let perRangeCap = Infinity;
  const prefix: string[] = [];
  for (const field of [...index.fields, documentId]) {
    const values = field === documentId ? collection.documentIds : collection.fields[field.split(".")[0]!]!;
    const name = field === documentId ? "document id" : field;
    if (values.kind === "shard") {
      shards = SHARDS;
      prefix.push(`one of ${SHARDS} shards`);
    } else if (values.kind === "skewed") {
      topShare = Math.min(topShare, values.topShare);
      prefix.push(`the commonest ${name} (${percent(values.topShare)})`);
    } else if (values.kind === "spread") {
      if (values.perValuePerSec === undefined)
        return { ...index, scansPerSec: Infinity, hottestRange: `none: ${name} spreads the writes`, shards };
      perRangeCap = Math.min(perRangeCap, values.perValuePerSec);
      prefix.push(`one ${name} (at most ${values.perValuePerSec}/s)`);
    } else {
      const after = prefix.length === 0 ? "" : ` under ${prefix.join(", ")}`;
      if (perRangeCap < SEQUENTIAL_RANGE_WRITES_PER_SEC)
        return {
          ...index,
          scansPerSec: Infinity,
          hottestRange: `none: the newest ${name}${after} gets at most ${perRangeCap} writes/s`,
          shards,
        };
      const share = (collection.shareOfScans * topShare) / shards;
      return {
        ...index,
        scansPerSec: SEQUENTIAL_RANGE_WRITES_PER_SEC / share,
        hottestRange: `the newest ${name}${after}: ${percent(share)} of scans`,
        shards,
      };
    }
  }
  throw new Error(`${index.name}: the document id is neither spread nor sequential`);
}

/** Every index's ceiling under the traffic, lowest first. */
export function indexCeilings(
  configuration: IndexConfiguration,
  traffic: Traffic = SCANNER_TRAFFIC,
): IndexCeiling[] {
  const collections = collectionsUnder(traffic);
  return indexesOf(configuration, collections)
    .map((index) =>
      ceilingOf(
        index,
        collections.find((collection) => collection.name === index.collection)!,
      ),
    )
    .sort((a, b) => a.scansPerSec - b.scansPerSec);
}

/** The indexes whose ceiling is below `scansPerSec`: hot, they would cap the design before its other limits. */
export function hotIndexes(ceilings: readonly IndexCeiling[], scansPerSec: number): IndexCeiling[] {
  return ceilings.filter((ceiling) => ceiling.scansPerSec < scansPerSec);
}
