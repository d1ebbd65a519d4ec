// emulators.listeners.ratio: embedded Firestore commit throughput with 100 open Listen streams ÷ with none.
import { credentials, makeGenericClientConstructor, type ClientDuplexStream } from "@grpc/grpc-js";
import { start } from "@scan-ingest/emulator-firestore";
import { emulatorFirestore } from "@scan-ingest/pipeline/clients";
import { firestoreService } from "@scan-ingest/emulator-firestore/protos";
import { alternate, median, progress } from "./measure.ts";

export interface ListenerFigures {
  ratio: number;
  withPerSec: number;
  withoutPerSec: number;
  listeners: number;
}

const DATABASE = "projects/bench/databases/(default)";
const LISTENERS = 100;
const WORKERS = 8;

/** Commits per second of `commits` single-document sets by 8 workers, with `listeners` raw Listen streams open. */
async function commitsPerSecond(commits: number, listeners: number): Promise<number> {
  const emulator = await start();
  const db = emulatorFirestore({ host: emulator.host, projectId: "bench" });
  const Client = makeGenericClientConstructor(firestoreService, "Firestore");
  const raw = new Client(emulator.host, credentials.createInsecure()) as unknown as {
    Listen(): ClientDuplexStream<unknown, unknown>;
    close(): void;
  };
  let received = 0;
  // Each stream watches one of the 100 documents the commits write, so every commit reaches one listener:
  // the writes pay for finding their listener and sending it the change, as they would in an app.
  const streams = Array.from({ length: listeners }, (_, i) => {
    const stream = raw.Listen();
    stream.on("data", () => received++);
    stream.on("error", () => undefined);
    stream.write({
      database: DATABASE,
      addTarget: { targetId: 1, documents: { documents: [`${DATABASE}/documents/bench/d${i}`] } },
    });
    return stream;
  });
  await db.collection("bench").doc("warm").set({ n: 0 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < commits) {
        const i = next++;
        await db
          .collection("bench")
          .doc(`d${i % LISTENERS}`)
          .set({ n: i });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const stream of streams) stream.end();
  raw.close();
  await db.terminate();
  await emulator.stop();
  if (listeners > 0 && received === 0) throw new Error("the listeners received nothing");
  return commits / seconds;
}

/** Alternating rounds with and without 100 listeners; the ratio of the median throughputs. */
export async function benchListeners(options: { commits: number; rounds: number }): Promise<ListenerFigures> {
  progress(
    `emulators: ${options.rounds} rounds of ${options.commits} commits, with ${LISTENERS} listeners and none`,
  );
  const times = await alternate(options.rounds, {
    without: () => commitsPerSecond(options.commits, 0),
    with: () => commitsPerSecond(options.commits, LISTENERS),
  });
  const withPerSec = median(times.with);
  const withoutPerSec = median(times.without);
  return { ratio: withPerSec / withoutPerSec, withPerSec, withoutPerSec, listeners: LISTENERS };
}
