// `npm run scans -- get|list|rejects ...`: read what the ingest function stored (see USAGE).
import { parseConfig, type Config } from "@scan-ingest/functions/config";
import { parseScansArgs, UsageError, USAGE, type ScansRequest } from "./scans-args.ts";
import {
  rejectsTable,
  serviceDetail,
  servicesTable,
  toJsonDocument,
  type StoredDocument,
} from "./scans-format.ts";
import { openFirestore, readRejects, readService, readServices } from "./scans-read.ts";

process.exitCode = await main(process.argv.slice(2));

async function main(argv: string[]): Promise<number> {
  let request: ScansRequest;
  let config: Config;
  try {
    request = parseScansArgs(argv);
    config = parseConfig(process.env);
  } catch (error) {
    process.stderr.write(`scans: ${(error as Error).message}\n`);
    if (error instanceof UsageError) process.stderr.write(USAGE);
    return 2;
  }
  if (request.command === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const db = openFirestore(config);
  try {
    const status = await serve(request, db, config);
    await db.terminate();
    return status;
  } catch (error) {
    const message = (error as Error).message;
    const hint = /Project Id/i.test(message)
      ? "\nscans: set FIRESTORE_EMULATOR_HOST (e.g. 127.0.0.1:8080) for an emulator, or GOOGLE_CLOUD_PROJECT for Google's Firestore"
      : "";
    // The client may still be retrying in the background: leave without waiting for it.
    process.stderr.write(`scans: ${message.trim()}${hint}\n`, () => process.exit(1));
    return await new Promise<never>(() => undefined);
  }
}

async function serve(
  request: Exclude<ScansRequest, { command: "help" }>,
  db: ReturnType<typeof openFirestore>,
  config: Config,
): Promise<number> {
  const place = `${config.projectId ?? "the ADC project"}, collection`;
  if (request.command === "get") {
    const found = await readService(db, config, request.key);
    if (found === undefined)
      return nothing(`no scan stored for ${request.key} (${place} ${config.servicesCollection})`);
    process.stdout.write(
      request.json ? `${JSON.stringify(toJsonDocument(found, "key"))}\n` : serviceDetail(found),
    );
    return 0;
  }
  if (request.command === "list") {
    const found = await readServices(db, config, request);
    if (found.length === 0) return nothing(`no scans match (${place} ${config.servicesCollection})`);
    process.stdout.write(request.json ? jsonLines(found, "key") : servicesTable(found));
    return 0;
  }
  const found = await readRejects(db, config, request);
  if (found.length === 0) return nothing(`no rejected messages match (${place} ${config.rejectsCollection})`);
  process.stdout.write(request.json ? jsonLines(found, "id") : rejectsTable(found));
  return 0;
}

function jsonLines(documents: StoredDocument[], idField: "key" | "id"): string {
  return documents.map((document) => `${JSON.stringify(toJsonDocument(document, idField))}\n`).join("");
}

function nothing(message: string): number {
  process.stderr.write(`scans: ${message}\n`);
  return 1;
}
