// ops.*: Firestore documents read and written per message, from the embedded emulator's counters, for
// fresh scans, stale ones (older than what is stored) and duplicates (the same scan again).
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import { DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import { deliverPush, inParallel, progress, startFramework } from "./measure.ts";

export interface PerMessage {
  reads: number;
  writes: number;
}

export interface OpsFigures {
  fresh: PerMessage;
  stale: PerMessage;
  duplicate: PerMessage;
  messages: number;
}

export async function benchOps(options: { dist: string; messages: number }): Promise<OpsFigures> {
  const firestore = await startFirestore({ port: 0 });
  const server = await startFramework({
    source: options.dist,
    env: { FIRESTORE_EMULATOR_HOST: firestore.host, GOOGLE_CLOUD_PROJECT: DEFAULT_PROJECT },
  });
  const now = Math.floor(Date.now() / 1000);
  const scan = (index: number, timestamp: number, response: string) =>
    JSON.stringify({
      ip: `10.1.${index >> 8}.${index & 255}`,
      port: 8080,
      service: "OPS",
      timestamp,
      data_version: 2,
      data: { response_str: response },
    });
  const indexes = Array.from({ length: options.messages }, (_, index) => index);
  const phase = async (name: string, data: (index: number) => string): Promise<PerMessage> => {
    firestore.counters.reset();
    await inParallel(indexes, 8, async (index) => {
      const status = await deliverPush(server.url, data(index), `ops-${name}-${index}`);
      if (status !== 204) throw new Error(`${name} message ${index} answered ${status}:\n${server.output()}`);
    });
    return {
      reads: firestore.counters.documentsRead / options.messages,
      writes: firestore.counters.documentsWritten / options.messages,
    };
  };
  try {
    progress(`ops: ${options.messages} fresh, stale and duplicate messages`);
    const fresh = await phase("fresh", (index) => scan(index, now, "current"));
    const stale = await phase("stale", (index) => scan(index, now - 60, "older"));
    const duplicate = await phase("duplicate", (index) => scan(index, now, "current"));
    return { fresh, stale, duplicate, messages: options.messages };
  } finally {
    await server.stop();
    await firestore.stop();
  }
}
