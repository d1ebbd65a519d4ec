import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { openRecord } from "../src/record.ts";

test("--record replaces the file: it holds only this run's messages, as the model of a run needs", async () => {
  const directory = await mkdtemp(join(tmpdir(), "scanner-record-"));
  try {
    const path = join(directory, "record.jsonl");
    await writeFile(path, '{"messageId":"from an earlier run"}\n');
    const scan = {
      ip: "1.1.1.7",
      port: 443,
      service: "HTTP",
      timestamp: 1732262400,
      data_version: 2,
      data: { response_str: "service response: 7" },
    } as const;
    const record = await openRecord(path);
    record.write("1", scan);
    await record.close();
    expect(await readFile(path, "utf8")).toBe(`${JSON.stringify({ messageId: "1", scan })}\n`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
