// infra/monitoring.tf against the function's real log lines: ingestScan runs under functions-framework's own server
// against the embedded Firestore emulator, its stdout and stderr are captured, each line becomes the LogEntry Cloud
// Logging makes of it on Cloud Run, and every log-based metric's filter and extractors are evaluated on them
// (test/monitoring-filter.ts). The alerts and the dashboard must name those metrics and the labels they extract.
import { readFileSync } from "node:fs";
import { parse } from "@cdktf/hcl2json";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  deliver,
  projectId,
  scanJson,
  startFirestore,
  startFunction,
  uniqueCollections,
  type FirestoreTarget,
  type FunctionServer,
  type PubsubMessageFields,
} from "@scan-ingest/functions/testing";
import {
  compileExtractor,
  compileFilter,
  UnsupportedFilterError,
  type LogEntry,
} from "./monitoring-filter.ts";

type Block = Record<string, unknown>;
type Parsed = {
  resource: Record<string, Record<string, Block[]>>;
  variable: Record<string, Block[]>;
  locals: Block[];
};

const SERVICE = "ingest-scan"; // the Cloud Run service a 2nd-gen function runs as, named after it
const source = readFileSync(new URL("../infra/monitoring.tf", import.meta.url), "utf8");
let tf: Parsed;

/** The Terraform references monitoring.tf's strings use, resolved; any other is an error naming it. */
function resolve(text: string): string {
  return text.replace(/\$\{([^}]+)\}/g, (_whole, reference: string) => {
    const local = /^local\.(\w+)$/.exec(reference);
    if (local) {
      const value = tf.locals.find((block) => local[1]! in block)?.[local[1]!];
      if (typeof value !== "string") throw new Error(`monitoring.tf: no string local ${reference}`);
      return resolve(value);
    }
    if (reference === "google_cloudfunctions2_function.ingest_scan.name") return SERVICE;
    const metric = /^google_logging_metric\.(\w+)\.name$/.exec(reference);
    if (metric) return String(first(tf.resource.google_logging_metric?.[metric[1]!]).name);
    throw new Error(`monitoring.tf: the test cannot resolve \${${reference}}`);
  });
}

const first = (blocks: Block[] | undefined): Block => {
  if (blocks?.[0] === undefined) throw new Error("monitoring.tf: missing block");
  return blocks[0];
};

/** One log-based metric of monitoring.tf, compiled. */
interface Metric {
  name: string;
  selects: (entry: LogEntry) => boolean;
  value?: (entry: LogEntry) => unknown;
  labels: Record<string, (entry: LogEntry) => unknown>;
}

const metrics = (): Record<string, Metric> =>
  Object.fromEntries(
    Object.entries(tf.resource.google_logging_metric ?? {}).map(([id, blocks]) => {
      const block = first(blocks);
      const extractors = (block.label_extractors ?? {}) as Record<string, string>;
      const metric: Metric = {
        name: String(block.name),
        selects: compileFilter(resolve(String(block.filter))),
        labels: Object.fromEntries(Object.entries(extractors).map(([k, v]) => [k, compileExtractor(v)])),
        ...(block.value_extractor !== undefined && {
          value: compileExtractor(String(block.value_extractor)),
        }),
      };
      return [id, metric];
    }),
  );

/**
 * The LogEntry Cloud Logging makes of one line a Cloud Run container writes: a JSON object becomes jsonPayload,
 * its `severity` lifted into LogEntry.severity and `message` kept in jsonPayload
 * (https://cloud.google.com/logging/docs/structured-logging, special JSON fields); anything else is textPayload.
 */
function cloudRunEntry(line: string, stream: "stdout" | "stderr", service = SERVICE): LogEntry {
  const entry: LogEntry = {
    logName: `projects/${projectId}/logs/run.googleapis.com%2F${stream}`,
    resource: {
      type: "cloud_run_revision",
      labels: { service_name: service, revision_name: `${service}-00001-abc`, location: "us-central1" },
    },
    severity: "DEFAULT",
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { ...entry, textPayload: line };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    return { ...entry, textPayload: line };
  const { severity, ...payload } = parsed as Record<string, unknown>;
  return { ...entry, ...(typeof severity === "string" && { severity }), jsonPayload: payload };
}

// ---- the function's real lines --------------------------------------------------------------------------------

const collections = uniqueCollections("monitoring");
const nowSeconds = Math.floor(Date.now() / 1000);
let firestore: FirestoreTarget;
let server: FunctionServer;
const captured: { line: string; stream: "stdout" | "stderr" }[] = [];

/** Each message delivered in turn, with the outcome its line must show. */
const publishedAgo = (ms: number) => new Date(Date.now() - ms).toISOString();
const scenario: { message: PubsubMessageFields; outcome: string; reason?: string; fail?: boolean }[] = [
  {
    message: {
      messageId: "m1",
      data: scanJson({ timestamp: nowSeconds, response: "new" }),
      publishTime: publishedAgo(2500),
    },
    outcome: "stored",
  },
  {
    message: { messageId: "m2", data: scanJson({ timestamp: nowSeconds - 60, response: "old" }) },
    outcome: "stale",
  },
  {
    message: { messageId: "m1", data: scanJson({ timestamp: nowSeconds, response: "new" }) },
    outcome: "duplicate",
  },
  {
    message: {
      messageId: "m3",
      data: scanJson({ port: 22, service: "SSH", timestamp: nowSeconds, response: "SSH-2.0" }),
      publishTime: publishedAgo(500),
    },
    outcome: "stored",
  },
  {
    message: { messageId: "m4", data: scanJson({ port: 70000, timestamp: nowSeconds, response: "x" }) },
    outcome: "rejected",
    reason: "invalid_port",
  },
  { message: { messageId: "m5", data: "{oops" }, outcome: "rejected", reason: "invalid_json" },
  {
    message: { messageId: "m6", data: scanJson({ ip: "1.1.1.07", timestamp: nowSeconds, response: "x" }) },
    outcome: "rejected",
    reason: "invalid_ip",
  },
  {
    message: { messageId: "m7", data: scanJson({ port: 8080, timestamp: nowSeconds, response: "down" }) },
    outcome: "failed",
    fail: true,
  },
];

beforeAll(async () => {
  tf = (await parse("monitoring.tf", source)) as Parsed;
  firestore = await startFirestore({ embedded: true });
  server = await startFunction(
    {
      FIRESTORE_EMULATOR_HOST: firestore.host,
      GOOGLE_CLOUD_PROJECT: projectId,
      SERVICES_COLLECTION: collections.services,
      REJECTS_COLLECTION: collections.rejects,
    },
    // Short, so the failed delivery gives up in a second rather than the production 50 s.
    { storeDeadlineMs: 1000 },
  );
  const streams = { stdout: process.stdout, stderr: process.stderr } as const;
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const stream of ["stdout", "stderr"] as const) {
    const original = originals[stream];
    streams[stream].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      for (const line of String(chunk)
        .split("\n")
        .filter((text) => text.trim() !== ""))
        captured.push({ line, stream });
      return (original as (...args: unknown[]) => boolean).call(streams[stream], chunk, ...rest);
    }) as typeof process.stdout.write;
  }
  try {
    for (const step of scenario) {
      firestore.embedded!.faults.unavailableRate = step.fail ? 1 : 0;
      const response = await deliver(server.url, "structured", step.message);
      expect(response.ok, `${step.message.messageId}: HTTP ${response.status}`).toBe(!step.fail);
    }
  } finally {
    firestore.embedded!.faults.unavailableRate = 0;
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
  }
});

afterAll(async () => {
  await server?.close();
  await firestore?.stop();
});

/** The function's own lines (one JSON object with an outcome per message), as LogEntries. */
const functionEntries = () =>
  captured
    .map(({ line, stream }) => cloudRunEntry(line, stream))
    .filter((entry) => (entry.jsonPayload as Block | undefined)?.outcome !== undefined);

/** Entries no metric may count: the same lines from another service, a request log, a startup error, text. */
const foreignEntries = (): LogEntry[] => [
  ...captured.map(({ line, stream }) => cloudRunEntry(line, stream, "other-service")),
  ...captured
    .map(({ line, stream }) => cloudRunEntry(line, stream))
    .filter((entry) => (entry.jsonPayload as Block | undefined)?.outcome === undefined),
  cloudRunEntry(
    JSON.stringify({ severity: "ERROR", message: "ingestScan cannot start: MAX_REJECT_BYTES must be ..." }),
    "stderr",
  ),
  cloudRunEntry("Error: something the framework printed", "stderr"),
  {
    ...cloudRunEntry("", "stdout"),
    logName: `projects/${projectId}/logs/run.googleapis.com%2Frequests`,
    httpRequest: { requestMethod: "POST", status: 500 },
    textPayload: undefined,
  },
];

const payload = (entry: LogEntry) => entry.jsonPayload as Record<string, unknown>;

describe("the function's log lines", () => {
  test("are one JSON line per delivery on stdout, with the outcome each delivery had", () => {
    const entries = functionEntries();
    expect(entries.map((entry) => payload(entry).outcome)).toEqual(scenario.map((step) => step.outcome));
    expect(
      captured.filter(({ line }) => line.includes('"outcome"')).every(({ stream }) => stream === "stdout"),
    ).toBe(true);
    expect(entries.map((entry) => entry.severity)).toEqual(
      scenario.map((step) => ({ rejected: "WARNING", failed: "ERROR" })[step.outcome] ?? "INFO"),
    );
  });

  test("carry lagMs, publish to outcome, at least as old as the message was when delivered", () => {
    const entries = functionEntries();
    expect(payload(entries[0]!).lagMs).toBeGreaterThanOrEqual(2500);
    expect(payload(entries[3]!).lagMs).toBeGreaterThanOrEqual(500);
    for (const entry of entries) expect(payload(entry).lagMs).toEqual(expect.any(Number));
  });
});

describe("log-based metrics (infra/monitoring.tf)", () => {
  test("declare in their descriptor exactly the labels they extract", () => {
    for (const [id, blocks] of Object.entries(tf.resource.google_logging_metric!)) {
      const block = first(blocks);
      const descriptor = first(block.metric_descriptor as Block[]);
      const declared = ((descriptor.labels ?? []) as Block[]).map((label) => label.key).sort();
      expect(declared, id).toEqual(Object.keys((block.label_extractors ?? {}) as Block).sort());
      expect(descriptor.value_type === "DISTRIBUTION", id).toBe(block.value_extractor !== undefined);
    }
  });

  test("messages counts every delivery's line, labelled with its outcome, and nothing else", () => {
    const { messages } = metrics();
    const selected = functionEntries().filter(messages!.selects);
    expect(selected.map((entry) => messages!.labels.outcome!(entry))).toEqual(
      scenario.map((step) => step.outcome),
    );
    expect(foreignEntries().filter(messages!.selects)).toEqual([]);
  });

  test("rejects counts only rejected lines, labelled with the contract's reason code", () => {
    const { rejects } = metrics();
    const selected = functionEntries().filter(rejects!.selects);
    expect(selected.map((entry) => rejects!.labels.reason!(entry))).toEqual([
      "invalid_port",
      "invalid_json",
      "invalid_ip",
    ]);
    expect(foreignEntries().filter(rejects!.selects)).toEqual([]);
  });

  test("ingest_lag takes lagMs from stored lines only: stale, duplicate, rejected and failed lines carry it too", () => {
    const { ingest_lag: lag } = metrics();
    const entries = functionEntries();
    const selected = entries.filter(lag!.selects);
    expect(selected.map((entry) => payload(entry).messageId)).toEqual(["m1", "m3"]);
    expect(selected.map((entry) => lag!.value!(entry))).toEqual(
      selected.map((entry) => payload(entry).lagMs),
    );
    expect(entries.filter((entry) => !lag!.selects(entry)).every((entry) => "lagMs" in payload(entry))).toBe(
      true,
    );
    expect(foreignEntries().filter(lag!.selects)).toEqual([]);
  });

  test("latency takes latencyMs from every line, labelled with its outcome", () => {
    const { latency } = metrics();
    const entries = functionEntries();
    expect(entries.filter(latency!.selects)).toHaveLength(scenario.length);
    for (const entry of entries) {
      expect(latency!.value!(entry)).toBe(payload(entry).latencyMs);
      expect(latency!.labels.outcome!(entry)).toBe(payload(entry).outcome);
    }
    expect(foreignEntries().filter(latency!.selects)).toEqual([]);
  });
});

describe("alerts and dashboard (infra/monitoring.tf)", () => {
  /** The log-based metrics (their resource ids) a piece of monitoring.tf charts or alerts on. */
  const userMetrics = (text: string) =>
    [...text.matchAll(/logging\.googleapis\.com\/user\/\$\{google_logging_metric\.(\w+)\.name\}/g)].map(
      (match) => match[1]!,
    );
  const localOf = (name: string) => String(tf.locals.find((block) => name in block)?.[name]);
  const policies = () => tf.resource.google_monitoring_alert_policy!;
  const filterOf = (id: string) => {
    const condition = first(first(policies()[id]).conditions as Block[]);
    return String(first((condition.condition_threshold ?? condition.condition_absent) as Block[]).filter);
  };

  test("alert on failed deliveries, dead letters, the trigger's oldest unacked message, no stored scan and lag", () => {
    expect(Object.keys(policies()).sort()).toEqual(
      ["dead_letters", "failed_deliveries", "ingest_lag", "no_stored_scans", "trigger_backlog_age"].sort(),
    );
    expect(userMetrics(filterOf("failed_deliveries"))).toEqual(["messages"]);
    expect(filterOf("dead_letters")).toContain("pubsub.googleapis.com/subscription/num_undelivered_messages");
    expect(filterOf("dead_letters")).toContain("${local.dead_letter_subscription}");
    expect(localOf("dead_letter_subscription")).toContain('"${google_pubsub_subscription.dead_letter.name}"');
    expect(filterOf("trigger_backlog_age")).toContain("${local.trigger_subscription}");
    expect(localOf("trigger_subscription")).toContain("eventarc-${local.region}-");
    expect(filterOf("trigger_backlog_age")).toContain(
      "pubsub.googleapis.com/subscription/oldest_unacked_message_age",
    );
    expect(first(first(policies().no_stored_scans).conditions as Block[])).toHaveProperty("condition_absent");
    expect(userMetrics(filterOf("no_stored_scans"))).toEqual(["messages"]);
    expect(userMetrics(filterOf("ingest_lag"))).toEqual(["ingest_lag"]);
  });

  test("name only metrics that exist and outcome values the function really logs", () => {
    const all = metrics();
    const outcomes = new Set(functionEntries().map((entry) => all.messages!.labels.outcome!(entry)));
    const wanted: Record<string, string> = { failed_deliveries: "failed", no_stored_scans: "stored" };
    for (const id of Object.keys(policies())) {
      for (const metric of userMetrics(filterOf(id))) expect(Object.keys(all), id).toContain(metric);
      const values = [...filterOf(id).matchAll(/metric\.labels\.outcome="(\w+)"/g)].map((match) => match[1]);
      expect(values, id).toEqual(wanted[id] === undefined ? [] : [wanted[id]]);
      for (const value of values) expect(outcomes, `${id}: outcome ${value}`).toContain(value);
    }
  });

  test("the dashboard charts each metric, grouped only by labels the metric extracts", () => {
    const dashboard = String(first(tf.resource.google_monitoring_dashboard!.ingest).dashboard_json);
    const all = metrics();
    expect(new Set(userMetrics(dashboard))).toEqual(new Set(Object.keys(all)));
    const tiles = dashboard.split(/\n\s*\{\n\s*xPos/).slice(1);
    expect(tiles).toHaveLength(6);
    for (const tile of tiles) {
      const [id] = userMetrics(tile);
      for (const [, label] of tile.matchAll(/metric\.label\.(\w+)/g))
        expect(Object.keys(all[id!]?.labels ?? {}), `${id} grouped by ${label}`).toContain(label);
    }
  });
});

describe("the filter evaluator", () => {
  const entry = cloudRunEntry(JSON.stringify({ severity: "WARNING", outcome: "rejected", n: 3 }), "stdout");

  test("evaluates =, :*, severity>=, AND, OR and parentheses", () => {
    expect(compileFilter('jsonPayload.outcome="rejected" AND severity>=WARNING')(entry)).toBe(true);
    expect(compileFilter('severity>=ERROR OR jsonPayload.outcome="stored"')(entry)).toBe(false);
    expect(
      compileFilter('(jsonPayload.missing:* OR jsonPayload.n="3") AND resource.type="cloud_run_revision"')(
        entry,
      ),
    ).toBe(true);
    expect(compileFilter("jsonPayload.severity:*")(entry)).toBe(false);
  });

  test.each([
    ['NOT jsonPayload.outcome="stored"', /field path/],
    ['jsonPayload.a="x" AND jsonPayload.b="y" OR jsonPayload.c="z"', /AND and OR mixed/],
    ['jsonPayload.outcome:"stor"', /existence test/],
    ['jsonPayload.outcome!="stored"', /unsupported syntax/],
    ["jsonPayload.lagMs>=3", /severity>=LEVEL/],
    ['jsonPayload.outcome=~"st.*"', /unsupported syntax|expected a value/],
    ['jsonPayload.outcome="stored" extra', /unexpected "extra"/],
  ])("refuses %s instead of ignoring it", (filter, error) => {
    expect(() => compileFilter(filter)).toThrow(UnsupportedFilterError);
    expect(() => compileFilter(filter)).toThrow(error);
  });

  test('refuses extractors other than EXTRACT(path), e.g. REGEXP_EXTRACT(jsonPayload.message, "(\\\\d+)")', () => {
    expect(compileExtractor("EXTRACT(jsonPayload.n)")(entry)).toBe(3);
    expect(() => compileExtractor('REGEXP_EXTRACT(jsonPayload.message, "(\\d+)")')).toThrow(
      UnsupportedFilterError,
    );
  });
});
