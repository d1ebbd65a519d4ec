// The `scans` command without the process around it: arguments and environment in, text and status out.
import type { IdField } from "@scan-ingest/functions/api/json";
import type { Stored } from "@scan-ingest/functions/api/read";
import { parseConfig, type Config } from "@scan-ingest/functions/config";
import { parseScansArgs, UsageError, USAGE, type ScansRequest } from "./args.ts";
import { historyTable, rejectsTable, serviceDetail, servicesTable, toJsonDocument } from "./format.ts";
import { extractApiFlag, readThroughApi } from "./api.ts";
import { openFirestore, readHistory, readRejects, readService, readServices } from "./read.ts";

/** Where the command writes: the process's streams, or strings in a test. */
export type Output = { stdout(text: string): void; stderr(text: string): void };

/**
 * Runs one `scans` request: 0 found, 1 nothing found or Firestore failed, 2 malformed request.
 * After a Firestore failure the client may still be retrying in the background: the caller should exit.
 */
export async function runScans(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  output: Output,
): Promise<number> {
  let request: ScansRequest;
  let config: Config;
  let api: string | undefined;
  try {
    const extracted = extractApiFlag(argv);
    api = extracted.api;
    request = parseScansArgs(extracted.argv);
    config = parseConfig(env);
  } catch (error) {
    output.stderr(`scans: ${(error as Error).message}\n`);
    if (error instanceof UsageError) output.stderr(USAGE);
    return 2;
  }
  if (request.command === "help") {
    output.stdout(USAGE);
    return 0;
  }
  if (api !== undefined) {
    try {
      return print(request, await readThroughApi(api, request), `the API at ${api}`, output);
    } catch (error) {
      output.stderr(`scans: ${(error as Error).message}\n`);
      return 1;
    }
  }
  const db = openFirestore(config);
  try {
    const status = await serve(request, db, config, output);
    await db.terminate();
    return status;
  } catch (error) {
    const message = (error as Error).message.trim();
    const hint = /Project Id/i.test(message)
      ? "\nscans: set FIRESTORE_EMULATOR_HOST (e.g. 127.0.0.1:8080) for an emulator, or GOOGLE_CLOUD_PROJECT for Google's Firestore"
      : "";
    output.stderr(`scans: ${message}${hint}\n`);
    return 1;
  }
}

async function serve(
  request: Exclude<ScansRequest, { command: "help" }>,
  db: ReturnType<typeof openFirestore>,
  config: Config,
  output: Output,
): Promise<number> {
  const place = `${config.projectId ?? "the ADC project"}, collection`;
  const nothing = (message: string) => {
    output.stderr(`scans: ${message}\n`);
    return 1;
  };
  if (request.command === "get") {
    const found = await readService(db, config, request.key);
    if (found === undefined)
      return nothing(`no scan stored for ${request.key} (${place} ${config.servicesCollection})`);
    output.stdout(request.json ? `${JSON.stringify(toJsonDocument(found, "key"))}\n` : serviceDetail(found));
    return 0;
  }
  if (request.command === "history") {
    const found = await readHistory(db, config, request);
    if (found === undefined)
      return nothing(`no scan stored for ${request.key} (${place} ${config.servicesCollection})`);
    output.stdout(request.json ? jsonLines(found, "responseSha256") : historyTable(found));
    return 0;
  }
  if (request.command === "list") {
    const found = await readServices(db, config, request);
    if (found.length === 0) return nothing(`no scans match (${place} ${config.servicesCollection})`);
    output.stdout(request.json ? jsonLines(found, "key") : servicesTable(found));
    return 0;
  }
  const found = await readRejects(db, config, request);
  if (found.length === 0) return nothing(`no rejected messages match (${place} ${config.rejectsCollection})`);
  output.stdout(request.json ? jsonLines(found, "id") : rejectsTable(found));
  return 0;
}

/** Prints what the API returned as `serve` prints the SDK's reads. */
function print(
  request: Exclude<ScansRequest, { command: "help" }>,
  found: Stored[],
  place: string,
  output: Output,
): number {
  if (found.length === 0) {
    output.stderr(`scans: nothing matches (${place})\n`);
    return 1;
  }
  const idField =
    request.command === "rejects" ? "id" : request.command === "history" ? "responseSha256" : "key";
  if (request.json) output.stdout(jsonLines(found, idField));
  else if (request.command === "get") output.stdout(serviceDetail(found[0]!));
  else if (request.command === "history") output.stdout(historyTable(found));
  else output.stdout(request.command === "list" ? servicesTable(found) : rejectsTable(found));
  return 0;
}

function jsonLines(documents: Stored[], idField: IdField): string {
  return documents.map((document) => `${JSON.stringify(toJsonDocument(document, idField))}\n`).join("");
}
