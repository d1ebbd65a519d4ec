// The one function-server launcher, on a plain HTTP function: ready by its port in any NODE_ENV, only the end
// of its output kept, a start that cannot succeed says why, and a crashed server restarts on its port.
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@scan-ingest/emulator-shared/ports";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startFunctionServer, type FunctionServerOptions } from "../src/function-server.ts";
import { PipelineStartError } from "../src/start-error.ts";

let source: string;
const env = { PATH: process.env.PATH ?? "" };

beforeAll(async () => {
  source = await mkdtemp(join(tmpdir(), "function-server-"));
  // ?lines=N prints N lines of 100 characters to stderr before answering.
  await writeFile(
    join(source, "index.js"),
    `exports.hello = (request, response) => {
      const lines = Number(request.query.lines ?? 0);
      for (let line = 0; line < lines; line++) console.error(\`line \${line} \${"x".repeat(90)}\`);
      response.send("hello");
    };\n`,
  );
});
afterAll(() => rm(source, { recursive: true, force: true }));

const hello = (options: Partial<FunctionServerOptions> = {}) =>
  startFunctionServer({ source, target: "hello", signatureType: "http", env, ...options });

test("is ready under NODE_ENV=production, where functions-framework prints no banner", async () => {
  await using server = await hello({ env: { ...env, NODE_ENV: "production" } });
  const response = await fetch(server.url);
  expect(await response.text()).toBe("hello");
  expect(server.recentOutput()).not.toContain("Serving function");
});

test("keeps only the end of what the server prints, and hands every line on", async () => {
  const lines: string[] = [];
  await using server = await hello({ onLine: (text, stream) => stream === "stderr" && lines.push(text) });
  await (await fetch(`${server.url}/?lines=1000`)).text();
  while (lines.length < 1000) await new Promise((resolve) => setTimeout(resolve, 10));
  const output = server.recentOutput();
  expect(output.length).toBeLessThanOrEqual(8_192);
  expect(output.trimEnd().endsWith(`line 999 ${"x".repeat(90)}`)).toBe(true);
  expect(lines[0]).toBe(`line 0 ${"x".repeat(90)}`);
});

test("a server that exits before listening says so with its last output", async () => {
  const starting = hello({ target: "missing", name: "the test server" });
  await expect(starting).rejects.toThrow(PipelineStartError);
  await expect(starting).rejects.toThrow(
    /^the test server \(port \d+\) exited before listening \(code 1\):\n.*missing/s,
  );
});

test("refuses a port that is in use, naming it", async () => {
  const port = await freePort();
  const blocker = createServer().listen(port);
  await once(blocker, "listening");
  try {
    const starting = hello({ port });
    await expect(starting).rejects.toMatchObject({ part: "function", port });
    await expect(starting).rejects.toThrow(`function server cannot listen on port ${port}: it is in use`);
  } finally {
    blocker.close();
  }
});

test("a crashed server is reported, and restarts on the same port", async () => {
  const exits: string[] = [];
  await using server = await hello({ onExit: (how) => exits.push(how) });
  const { port, pid } = server;
  process.kill(pid!, "SIGKILL");
  while (server.pid !== undefined) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(exits).toEqual(["SIGKILL"]);
  await server.restart();
  expect(server.port).toBe(port);
  expect(server.pid).not.toBe(pid);
  expect(await (await fetch(server.url)).text()).toBe("hello");
  await server.kill();
  expect(server.pid).toBeUndefined();
  expect(exits).toEqual(["SIGKILL"]);
});
