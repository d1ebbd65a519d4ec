// The one free-port and wait-for-port module every launcher, command, test and benchmark uses.
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { afterEach, expect, test } from "vitest";
import {
  freePort,
  isPortFree,
  parseHostPort,
  probePort,
  waitForPort,
} from "@scan-ingest/emulator-shared/ports";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function listen(port: number): Promise<Server> {
  const server = createServer();
  servers.push(server);
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return server;
}

test("a free port is one a server can listen on, below the kernel's ephemeral range", async () => {
  const port = await freePort();
  expect(port).toBeGreaterThanOrEqual(10_000);
  expect(await isPortFree(port)).toBe(true);
  await listen(port);
  expect(await isPortFree(port)).toBe(false);
  expect(await isPortFree(port, "127.0.0.1")).toBe(false);
});

test("probing says why nothing answers, and nothing once something listens", async () => {
  const port = await freePort();
  expect(await probePort("127.0.0.1", port)).toBe("ECONNREFUSED");
  await listen(port);
  expect(await probePort("127.0.0.1", port)).toBeUndefined();
});

test("waiting for a port resolves true once a server listens on it", async () => {
  const port = await freePort();
  const waiting = waitForPort("127.0.0.1", port, 10_000, { everyMs: 5 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await listen(port);
  expect(await waiting).toBe(true);
});

test("waiting for a port resolves false at the deadline, and at once when its signal aborts", async () => {
  const port = await freePort();
  const began = performance.now();
  expect(await waitForPort("127.0.0.1", port, 100, { everyMs: 10 })).toBe(false);
  expect(performance.now() - began).toBeGreaterThanOrEqual(100);
  // A deadline beyond the test's own timeout: only the abort can end this wait in time.
  const aborted = new AbortController();
  const waiting = waitForPort("127.0.0.1", port, 600_000, { everyMs: 10, signal: aborted.signal });
  aborted.abort();
  expect(await waiting).toBe(false);
});

test.each([
  ["127.0.0.1:8080", { host: "127.0.0.1", port: 8080 }],
  ["emulators:8085", { host: "emulators", port: 8085 }],
  ["[::1]:8090", { host: "::1", port: 8090 }],
  ["localhost", undefined],
  ["127.0.0.1:", undefined],
])("reads %s as host and port", (text, expected) => {
  expect(parseHostPort(text)).toEqual(expected);
});
