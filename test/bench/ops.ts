// ops.*: Firestore documents read and written per message, from the embedded emulator's counters, for each
// case of the budget in docs/contract.md §3 (history): a fresh key; a newer scan of the stored response; an
// older scan that widens the stored response's history; the same older scan again (stale, inside its range);
// a duplicate; an older scan of a new response (added to the history, its text in a slot); a newer scan of a
// new response (the stored one's text moves to a slot).
import { start as startFirestore } from "@scan-ingest/emulator-firestore";
import { DEFAULT_PROJECT } from "@scan-ingest/pipeline/defaults";
import { deliverPush, inParallel, progress, startFramework } from "./measure.ts";

export interface PerMessage {
  reads: number;
  writes: number;
}

/** Each case, in the order the bench offers them to every key. */
export const OPS_CASES = [
  "fresh",
  "newer",
  "widening",
  "stale",
  "duplicate",
  "olderNew",
  "newerNew",
] as const;

/** The documents each case may write (docs/contract.md §3): the goal of `ops.<case>.writes`. */
export const OPS_WRITES: Record<(typeof OPS_CASES)[number], number> = {
  fresh: 1,
  newer: 1,
  widening: 1,
  stale: 0,
  duplicate: 0,
  olderNew: 2,
  newerNew: 2,
};

export type OpsFigures = Record<(typeof OPS_CASES)[number], PerMessage> & { messages: number };

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
    progress(`ops: ${options.messages} messages of each case: ${OPS_CASES.join(", ")}`);
    const figures: Partial<OpsFigures> = { messages: options.messages };
    const cases: Record<(typeof OPS_CASES)[number], (index: number) => string> = {
      fresh: (index) => scan(index, now - 10, "current"),
      newer: (index) => scan(index, now, "current"),
      widening: (index) => scan(index, now - 20, "current"),
      stale: (index) => scan(index, now - 20, "current"),
      duplicate: (index) => scan(index, now, "current"),
      olderNew: (index) => scan(index, now - 30, "older"),
      newerNew: (index) => scan(index, now + 10, "newer"),
    };
    for (const name of OPS_CASES) figures[name] = await phase(name, cases[name]);
    return figures as OpsFigures;
  } finally {
    await server.stop();
    await firestore.stop();
  }
}
