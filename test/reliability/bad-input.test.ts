// Reliability 2: the bad-input corpus published with the real Pub/Sub client (10 MB entries one by
// one), interleaved with valid look-alikes, through one function server. Each broken message is acknowledged
// and kept in `rejects` with the contract's reason; each valid one is stored; the server never restarts.
// Runs unchanged against external emulators (FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST); the nack count
// needs the embedded Pub/Sub.
import { createHash } from "node:crypto";
import { isUtf8 } from "node:buffer";
import { afterAll, beforeAll, expect, test } from "vitest";
import { reasons } from "@scan-ingest/functions/reasons";
import { corpus, type CorpusEntry } from "./corpus.ts";
import { startRun, type Run } from "./harness.ts";
import { full } from "./scale.ts";

const MAX_REJECT_BYTES = 524288;
const MAX_RESPONSE_BYTES = 262144;
const entries = corpus(Math.floor(Date.now() / 1000));
const broken = entries.filter((entry) => "reason" in entry.expected);
let run: Run;
let pid: number | undefined;
const ids = new Map<CorpusEntry, string>();

beforeAll(async () => {
  run = await startRun("bad-input", { instances: 1 });
  pid = run.pipeline.instances[0]!.pid;
  // Broken and valid entries alternate as far as they go; the large ones are published one at a time.
  const small = entries.filter((entry) => !entry.large);
  const order = [
    ...small.filter((_, index) => index % 2 === 0),
    ...small.filter((_, index) => index % 2 === 1),
  ];
  const published = await run.publish(order);
  order.forEach((entry, index) => ids.set(entry, published[index]!));
  for (const entry of entries.filter((large) => large.large)) {
    const [id] = await run.publish([entry]);
    ids.set(entry, id!);
  }
  await run.pipeline.waitForDrain({ timeoutMs: full ? 300_000 : 120_000, expectedOutcomes: entries.length });
}, 240_000);

afterAll(async () => {
  await run?.stop();
});

test(`the corpus has ${broken.length} broken messages covering every reason a message can carry, and valid look-alikes`, () => {
  expect(broken.length).toBeGreaterThanOrEqual(50);
  const covered = new Set(broken.map((entry) => ("reason" in entry.expected ? entry.expected.reason : "")));
  // invalid_envelope cannot travel through Pub/Sub: its own test below posts it to the server. expired needs
  // SERVICE_TTL_DAYS, which this run leaves unset: functions/test/expiry.test.ts sends one through the function.
  const elsewhere = new Set(["invalid_envelope", "expired"]);
  expect([...covered].sort()).toEqual(reasons.filter((reason) => !elsewhere.has(reason)).sort());
  expect(entries.filter((entry) => entry.large).length).toBeGreaterThanOrEqual(3);
});

test("every broken message is acknowledged and kept in rejects with the contract's reason, data, size and digest", async () => {
  const rejects = await run.read(run.rejects);
  const problems: string[] = [];
  for (const entry of broken) {
    const id = ids.get(entry)!;
    const stored = rejects.get(id);
    const reason = "reason" in entry.expected ? entry.expected.reason : "";
    if (stored === undefined) {
      problems.push(`${entry.name}: no rejects/${id} (expected ${reason})`);
      continue;
    }
    const kept = entry.data.subarray(0, MAX_REJECT_BYTES);
    const actual = {
      reason: stored.reason,
      dataSize: stored.dataSize,
      dataSha256: stored.dataSha256,
      attributes: stored.attributes,
      truncated: stored.dataTruncated === true,
      keptBytes: stored.dataBytes
        ? Buffer.from(stored.dataBytes).length
        : Buffer.byteLength(stored.data ?? ""),
      asText: stored.data !== undefined,
    };
    const wanted = {
      reason,
      dataSize: entry.data.length,
      dataSha256: createHash("sha256").update(entry.data).digest("hex"),
      attributes: entry.attributes ?? {},
      truncated: entry.data.length > MAX_REJECT_BYTES,
      keptBytes: kept.length,
      asText: isUtf8(entry.data),
    };
    if (JSON.stringify(actual) !== JSON.stringify(wanted))
      problems.push(
        `${entry.name}: ${JSON.stringify(actual)}, expected ${JSON.stringify(wanted)} (${stored.detail})`,
      );
  }
  expect(problems).toEqual([]);
});

test("every valid look-alike interleaved with them is stored under its key, the 10 MB one truncated", async () => {
  const services = await run.read(run.services);
  const rejects = await run.read(run.rejects);
  const problems: string[] = [];
  for (const entry of entries) {
    if (!("valid" in entry.expected)) continue;
    const id = ids.get(entry)!;
    const stored = services.get(entry.expected.valid);
    if (stored?.messageId !== id)
      problems.push(
        `${entry.name}: services/${entry.expected.valid} holds ${stored?.messageId ?? "nothing"}, not ${id}`,
      );
    if (rejects.has(id))
      problems.push(`${entry.name}: rejected as ${rejects.get(id)?.reason}: ${rejects.get(id)?.detail}`);
    if (entry.large && stored) {
      expect(stored.responseTruncated).toBe(true);
      expect(Buffer.byteLength(stored.response)).toBe(MAX_RESPONSE_BYTES);
    }
  }
  expect(problems).toEqual([]);
});

test("no delivery failed or was nacked, and the function server kept its process throughout", () => {
  const failed = run.outcomes.filter((event) => event.outcome === "failed");
  expect(failed.map((event) => `${event.messageId}: ${event.reason ?? ""}`)).toEqual([]);
  if (run.pipeline.pubsub) expect(run.pipeline.pubsub.counters.nacked).toBe(0);
  const acknowledged = new Set(run.outcomes.map((event) => event.messageId));
  expect(entries.filter((entry) => !acknowledged.has(ids.get(entry)))).toEqual([]);
  expect(pid).toBeDefined();
  expect(run.pipeline.instances[0]!.pid).toBe(pid);
  expect(run.output.filter((line) => line.includes("exited"))).toEqual([]);
});

test("a delivery that carries no Pub/Sub message (posted to the server: Pub/Sub cannot send one) is kept as invalid_envelope", async () => {
  const instance = run.pipeline.instances[0]!;
  const id = `no-message-${process.pid}-${Date.now()}`;
  const response = await fetch(`http://127.0.0.1:${instance.port}/`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": id,
      "ce-source": `//pubsub.googleapis.com/projects/${run.pipeline.projectId}/topics/${run.pipeline.topic}`,
      "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
    },
    body: JSON.stringify({ subscription: "projects/p/subscriptions/s" }),
  });
  expect(response.status).toBeLessThan(300);
  const rejects = await run.read(run.rejects);
  expect(rejects.get(id)).toMatchObject({ reason: "invalid_envelope", messageId: id });
  expect(instance.pid).toBe(pid);
});
