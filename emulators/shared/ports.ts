// Free ports and TCP probes: the one place the launchers, commands, tests and benchmarks ask for a port or
// wait for something to listen on one.
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A port nothing listens on now, for a process that needs a number (a CLI flag), not 0. */
export async function freePort(): Promise<number> {
  // Not listen(0): that port comes from the kernel's ephemeral range, where any other listen(0) or outgoing
  // connection may take it again between our check and the process's bind, or while a killed server is
  // being restarted on it (seen with several pipelines starting at once). A random port below that range
  // is only ever chosen by another caller of this function.
  const below = ephemeralRangeStart();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port found between 10000 and ${below}`);
}

/** True when a server can listen on `port` now: on `host`, or when absent on every address. */
export async function isPortFree(port: number, host?: string): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once("listening", () => resolve(true));
    server.once("error", () => resolve(false));
    server.listen(port, host);
  });
  if (free) await new Promise((resolve) => server.close(resolve));
  return free;
}

/** Undefined when host:port accepts a TCP connection within `timeoutMs`, else why not. */
export function probePort(host: string, port: number, timeoutMs = 1_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.once("connect", () => done(undefined));
    socket.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
  });
}

/**
 * True once host:port accepts TCP connections, trying every `everyMs` (default 25); false after `timeoutMs`
 * or once `signal` aborts (e.g. the process that should listen exited).
 */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  options: { everyMs?: number; signal?: AbortSignal } = {},
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  const { everyMs = 25, signal } = options;
  while (signal?.aborted !== true) {
    if ((await probePort(host, port)) === undefined) return true;
    if (performance.now() >= deadline) return false;
    await sleep(everyMs, undefined, { signal }).catch(() => undefined);
  }
  return false;
}

/** Host and port of "host:port" or "[ipv6]:port"; undefined when it is neither. */
export function parseHostPort(hostPort: string): { host: string; port: number } | undefined {
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(hostPort);
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}

function ephemeralRangeStart(): number {
  try {
    const first = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
    );
    return first > 11_000 ? first : 32_768;
  } catch {
    return 32_768; // Linux's default; elsewhere any range above 10000 serves
  }
}
