// What the user asked `scans` for, parsed and checked before anything touches Firestore.
import { parseArgs } from "node:util";
import { canonicalIp, documentKey } from "@scan-ingest/functions/key";
import { reasons, type Reason } from "@scan-ingest/functions/reasons";
import { servicePattern } from "@scan-ingest/functions/scan";
import { DEFAULT_PROJECT } from "@scan-ingest/emulator-shared/defaults";

/** One `scans` request: read one service, list services, or list rejects. */
export type ScansRequest =
  | { command: "get"; key: string; json: boolean }
  | {
      command: "list";
      ip?: string;
      port?: number;
      service?: string;
      since?: Date;
      limit: number;
      json: boolean;
    }
  | { command: "rejects"; reason?: Reason; limit: number; json: boolean }
  | { command: "history"; key: string; limit: number; json: boolean }
  | { command: "help" };

/** A request that cannot be served as written; the message names the argument. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 10_000;

export const USAGE = `Usage: npm run scans -- <command> [flags]

  get <ip> <port> <service> [--json]
      the stored scan of one service (ip in any valid spelling; service in any case)
  list [--ip X] [--port P] [--service S] [--since ISO-TIME] [--limit N] [--json]
      stored scans, newest scannedAt first (default limit ${DEFAULT_LIMIT})
  rejects [--reason R] [--limit N] [--json]
      rejected messages, newest first; R is one of ${reasons.join(", ")}
  history <ip> <port> <service> | <ip:port:service> [--limit N] [--json]
      every distinct response of one service with its first and last scan, newest first

A table by default; --json prints one JSON object per line. --api URL reads through the read API
(scansApi, e.g. http://127.0.0.1:8089 under npm start) instead of the Firestore SDK. Nothing found: exit status 1.
Reads the Firestore that FIRESTORE_EMULATOR_HOST names (project GOOGLE_CLOUD_PROJECT, else ${DEFAULT_PROJECT}),
or the real one through Application Default Credentials; collections from SERVICES_COLLECTION and
REJECTS_COLLECTION (services, rejects).
`;

/** Parses `scans` arguments; throws UsageError naming what is wrong. */
export function parseScansArgs(argv: readonly string[]): ScansRequest {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    return { command: "help" };
  }
  if (command === "get") return parseGet(rest);
  if (command === "list") return parseList(rest);
  if (command === "rejects") return parseRejects(rest);
  if (command === "history") return parseHistory(rest);
  throw new UsageError(`unknown command "${command}": expected get, list, rejects or history`);
}

/** The flags (all strings, plus --json) and positionals of one command. */
function parse(args: string[], strings: string[], positionals: boolean) {
  const options = Object.fromEntries(strings.map((name) => [name, { type: "string" as const }]));
  try {
    const parsed = parseArgs({
      args,
      options: { ...options, json: { type: "boolean" } },
      strict: true,
      allowPositionals: positionals,
    });
    return {
      values: parsed.values as Record<string, string | undefined> & { json?: boolean },
      positionals: parsed.positionals,
    };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseGet(args: string[]): ScansRequest {
  const { values, positionals } = parse(args, [], true);
  return { command: "get", key: serviceKey("get", positionals), json: values.json === true };
}

function parseHistory(args: string[]): ScansRequest {
  const { values, positionals } = parse(args, ["limit"], true);
  return {
    command: "history",
    key: serviceKey("history", positionals),
    limit: limitArgument(values.limit),
    json: values.json === true,
  };
}

/** `<ip> <port> <service>`, or the key `ip:port:service` (`[v6]:port:service` or bare v6) as one argument. */
function serviceKey(command: string, positionals: string[]): string {
  const parts =
    positionals.length === 1 ? /^\[?(.+?)\]?:([^:]*):([^:]*)$/.exec(positionals[0]!)?.slice(1) : positionals;
  if (parts?.length !== 3)
    throw new UsageError(
      `${command} needs <ip> <port> <service> or <ip:port:service>, got ${positionals.length} argument(s)`,
    );
  const [ip = "", port = "", service = ""] = parts;
  return documentKey({
    ip: ipArgument("<ip>", ip),
    port: portArgument("<port>", port),
    service: serviceArgument("<service>", service),
  });
}

function parseList(args: string[]): ScansRequest {
  const { values } = parse(args, ["ip", "port", "service", "since", "limit"], false);
  const request: ScansRequest = {
    command: "list",
    limit: limitArgument(values.limit),
    json: values.json === true,
  };
  if (values.ip !== undefined) request.ip = ipArgument("--ip", values.ip);
  if (values.port !== undefined) request.port = portArgument("--port", values.port);
  if (values.service !== undefined)
    request.service = serviceArgument("--service", values.service).toUpperCase();
  if (values.since !== undefined) request.since = sinceArgument(values.since);
  return request;
}

function parseRejects(args: string[]): ScansRequest {
  const { values } = parse(args, ["reason", "limit"], false);
  const request: ScansRequest = {
    command: "rejects",
    limit: limitArgument(values.limit),
    json: values.json === true,
  };
  if (values.reason !== undefined) {
    const reason = reasons.find((known) => known === values.reason);
    if (reason === undefined) {
      throw new UsageError(`--reason: "${values.reason}" is not a reason code; one of ${reasons.join(", ")}`);
    }
    request.reason = reason;
  }
  return request;
}

/** The canonical form the function stores, so any spelling of an address finds it. */
function ipArgument(name: string, text: string): string {
  const ip = canonicalIp(text);
  if (ip === undefined) throw new UsageError(`${name}: "${text}" is not an IPv4 or IPv6 address`);
  return ip;
}

function portArgument(name: string, text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`${name}: "${text}" is not a port (0..65535)`);
  return port;
}

function serviceArgument(name: string, text: string): string {
  if (!servicePattern.test(text)) throw new UsageError(`${name}: "${text}" is not a service name`);
  return text;
}

function limitArgument(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const limit = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new UsageError(`--limit: "${text}" is not a number from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

function sinceArgument(text: string): Date {
  // A date and time in ISO 8601 (2026-11-22, 2026-11-22T10:00:00Z, ...), as Date.parse reads it.
  const since = /^\d{4}-\d{2}-\d{2}/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(since.getTime()))
    throw new UsageError(`--since: "${text}" is not an ISO 8601 date or time`);
  return since;
}
