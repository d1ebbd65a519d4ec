import { randomUUID } from "node:crypto";
import http from "node:http";
import { PubSub, v1 } from "@google-cloud/pubsub";
import { credentials } from "@grpc/grpc-js";
import { afterAll, beforeAll } from "vitest";
import { emulatorTarget } from "@scan-ingest/emulator-shared/target";
import { start, type PubSubEmulator } from "../src/index.ts";

/** The emulator under test: PUBSUB_EMULATOR_HOST when set (Google's emulator, say), else the embedded one. */
export interface Target {
  host: string;
  projectId: string;
  /**
   * "embedded": the harness started the embedded emulator (PUBSUB_EMULATOR_HOST unset); "google": an external
   * emulator, which is Google's. Tests branch on it only where the two differ by design, naming the difference.
   */
  kind: "embedded" | "google";
  /** Present only when the suite runs against the embedded emulator. */
  embedded: PubSubEmulator | undefined;
  pubsub: PubSub;
  /** The generated v1 client, for Pull and ModifyAckDeadline with exact ack ids. */
  subscriber: v1.SubscriberClient;
  /** The generated v1 publisher and schema clients, for the methods the handwritten client does not wrap. */
  publisher: v1.PublisherClient;
  schemas: v1.SchemaServiceClient;
  close(): Promise<void>;
}

/**
 * Connects to the target emulator in beforeAll and closes it in afterAll. The returned target is filled in
 * once connected: use it in tests and hooks.
 */
export function useTarget(): Target {
  const target: Partial<Target> = {};
  beforeAll(async () => {
    Object.assign(target, await connect());
  });
  afterAll(() => target.close?.());
  return target as Target;
}

/** Connects the public client and the v1 clients to the target emulator. */
async function connect(): Promise<Target> {
  const { host, embedded, stop } = await emulatorTarget("PUBSUB_EMULATOR_HOST", () => start());
  const [servicePath = "127.0.0.1", port = "8085"] = host.split(":");
  const projectId = process.env.PUBSUB_PROJECT_ID ?? "conformance";
  const pubsub = new PubSub({ projectId, apiEndpoint: host, emulatorMode: true });
  const options = { servicePath, port: Number(port), sslCreds: credentials.createInsecure(), projectId };
  const subscriber = new v1.SubscriberClient(options);
  const publisher = new v1.PublisherClient(options);
  const schemas = new v1.SchemaServiceClient(options);
  return {
    host,
    projectId,
    kind: embedded ? "embedded" : "google",
    embedded,
    pubsub,
    subscriber,
    publisher,
    schemas,
    async close() {
      await pubsub.close();
      await subscriber.close();
      await publisher.close();
      await schemas.close();
      await stop();
    },
  };
}

/** The gRPC status a rejected client call carried. */
export async function refusal(
  call: Promise<unknown>,
): Promise<{ code?: number; details?: string } | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return error as { code?: number; details?: string };
  }
}

/** A name no other test uses. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A push endpoint on loopback that answers each request with the next status from `answer`. */
export async function pushEndpoint(answer: (body: PushBody, index: number) => number): Promise<{
  url: string;
  received: { body: PushBody; at: number; contentType: string | undefined }[];
  next(count: number): Promise<void>;
  close(): Promise<void>;
}> {
  const received: { body: PushBody; at: number; contentType: string | undefined }[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = http.createServer((request, response) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.on("end", () => {
      const body = JSON.parse(text) as PushBody;
      received.push({ body, at: Date.now(), contentType: request.headers["content-type"] });
      response.statusCode = answer(body, received.length - 1);
      response.end();
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/push`,
    received,
    next: (count) =>
      received.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface PushBody {
  message: {
    data: string;
    attributes?: Record<string, string>;
    messageId: string;
    message_id: string;
    publishTime: string;
    publish_time: string;
  };
  subscription: string;
  deliveryAttempt?: number;
}
