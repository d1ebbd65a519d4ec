// The floor of readApi.frameworkFloorRatio: an http function that only makes the bench's two SDK reads (a
// document get, the newest-first listing's queries through read.ts) and answers their ids as JSON, bundled by functions/build.ts
// like scansApi and, like it, answering outside functions-framework's per-request domain. No routing,
// parameters, conversion of the stored fields, ETag or problems: what scansApi costs above it is ours.
import functions from "@google-cloud/functions-framework";
import { Firestore } from "@google-cloud/firestore";
import { firestoreReader } from "@scan-ingest/functions/api/read";
import { parseConfig } from "@scan-ingest/functions/config";
import { outsideRequestDomain } from "@scan-ingest/functions/request-domain";

const firestore = new Firestore({
  projectId: process.env.GOOGLE_CLOUD_PROJECT,
  host: process.env.FIRESTORE_EMULATOR_HOST,
  ssl: false,
});
const services = firestore.collection(process.env.SERVICES_COLLECTION ?? "services");
const listing = firestoreReader(firestore, parseConfig(process.env));

/** GET /v1/services/{ip}/{port}/{service} reads that key as given; anything else reads the first page. */
async function read(url: string): Promise<unknown> {
  const [, , collection, ip, port, service] = url.split("?")[0]!.split("/");
  if (collection === "services" && service !== undefined)
    return { key: (await services.doc(`${ip}:${port}:${service}`).get()).id };
  const page = await listing.services({}, 50, undefined);
  return { items: page.items.map((document) => ({ key: document.id })) };
}

functions.http("scansApi", (request, response) =>
  outsideRequestDomain(async () => {
    const body = await read(request.url);
    response.setHeader("Content-Type", "application/json");
    response.end(JSON.stringify(body));
  }),
);
