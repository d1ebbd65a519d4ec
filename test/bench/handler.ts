// handler.ratio: ingestScan through functions-framework's HTTP server against the embedded Firestore,
// against the same get+set transactions issued straight through the SDK, both at concurrency 32.
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import type { LoadMessage, LoadRequest, LoadResult } from "./load-worker.ts";
import { alternate, median, progress, startFramework } from "./measure.ts";

export interface HandlerFigures {
  ratio: number;
  handlerPerSec: number;
  sdkPerSec: number;
  concurrency: number;
}

/** Messages with keys no other round uses, so every one is a fresh get+set. */
export function freshMessages(round: string, count: number): LoadMessage[] {
  const timestamp = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, index) => ({
    messageId: `${round}-${index}`,
    data: JSON.stringify({
      ip: `10.${index >> 16}.${(index >> 8) & 255}.${index & 255}`,
      port: 443,
      service: `BENCH-${round}`,
      timestamp,
      data_version: 2,
      data: { response_str: `service response: ${index % 100}` },
    }),
  }));
}

/** A load-worker child; `run` sends it one request and resolves with its result. */
function startWorker(): { run(request: LoadRequest): Promise<LoadResult>; stop(): Promise<void> } {
  const child: ChildProcess = fork(new URL("./load-worker.ts", import.meta.url).pathname, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // No metadata server here: spares the auth library its probe and warning.
    env: { ...process.env, METADATA_SERVER_DETECTION: "none" },
  });
  return {
    async run(request) {
      child.send(request);
      const [reply] = (await once(child, "message")) as [LoadResult | { error: string }];
      if ("error" in reply) throw new Error(`load worker failed: ${reply.error}`);
      if (reply.failures > 0) throw new Error(`${reply.failures} ${request.mode} deliveries failed`);
      return reply;
    },
    async stop() {
      const exited = once(child, "exit");
      child.disconnect();
      await exited;
    },
  };
}

export async function benchHandler(options: {
  dist: string;
  messages: number;
  rounds: number;
  concurrency: number;
}): Promise<HandlerFigures> {
  const { concurrency } = options;
  const firestore = await startFirestore({ port: 0 });
  const server = await startFramework({
    source: options.dist,
    env: {
      FIRESTORE_EMULATOR_HOST: firestore.host,
      GOOGLE_CLOUD_PROJECT: "demo-scan",
      SERVICES_COLLECTION: "bench-handler",
    },
  });
  const worker = startWorker();
  try {
    const run = async (mode: "http" | "sdk", round: string, count: number) => {
      const messages = freshMessages(round, count);
      const common = { concurrency, messages };
      const request: LoadRequest =
        mode === "http"
          ? { mode, url: server.url, ...common }
          : { mode, firestoreHost: firestore.host, collection: "bench-sdk", ...common };
      const { elapsedMs } = await worker.run(request);
      return (count / elapsedMs) * 1000;
    };
    progress(`handler: warming up both paths`);
    await run("http", "warm", concurrency * 4);
    await run("sdk", "warm", concurrency * 4);
    progress(
      `handler: ${options.messages} messages per round at concurrency ${concurrency}, ${options.rounds} rounds`,
    );
    let round = 0;
    const rates = await alternate(options.rounds, {
      handler: () => run("http", `r${round++}`, options.messages),
      sdk: () => run("sdk", `r${round++}`, options.messages),
    });
    const handlerPerSec = median(rates.handler);
    const sdkPerSec = median(rates.sdk);
    return { ratio: handlerPerSec / sdkPerSec, handlerPerSec, sdkPerSec, concurrency };
  } finally {
    await worker.stop();
    await server.stop();
    await firestore.stop();
  }
}
