import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { GeneratedScan } from "./generate.ts";

/** The `--record` file: one `{"messageId","scan"}` JSON line per message Pub/Sub accepted. */
export type RecordFile = {
  write(messageId: string, scan: GeneratedScan): void;
  close(): Promise<void>;
};

/** Opens (truncating) the record file; fails early when it cannot be written. */
export async function openRecord(path: string): Promise<RecordFile> {
  const stream = createWriteStream(path, { flags: "w" });
  await once(stream, "open");
  return {
    write(messageId, scan) {
      stream.write(`${JSON.stringify({ messageId, scan })}\n`);
    },
    async close() {
      stream.end();
      await once(stream, "close");
    },
  };
}
