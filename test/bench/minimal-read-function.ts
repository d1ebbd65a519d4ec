// The floor of readApi.frameworkFloorRatio: an http function that only makes the bench's two SDK reads (a
// document get, a 50-document query by key) and answers their ids as JSON, bundled by functions/build.ts
// like scansApi and, like it, answering outside functions-framework's per-request domain. No routing,
// parameters, conversion of the stored fields, ETag or problems: what scansApi costs above it is ours.
import functions from "@google-cloud/functions-framework";
import { FieldPath, Firestore } from "@google-cloud/firestore";
import { outsideRequestDomain } from "@scan-ingest/functions/request-domain";

const services = new Firestore({
  projectId: process.env.GOOGLE_CLOUD_PROJECT,
  host: process.env.FIRESTORE_EMULATOR_HOST,
  ssl: false,
}).collection(process.env.SERVICES_COLLECTION ?? "services");

/** GET /v1/services/{ip}/{port}/{service} reads that key as given; anything else reads the first page. */
async function read(url: string): Promise<unknown> {
  const [, , collection, ip, port, service] = url.split("?")[0]!.split("/");
  if (collection === "services" && service !== undefined)
    return { key: (await services.doc(`${ip}:${port}:${service}`).get()).id };
  const page = await services.orderBy(FieldPath.documentId()).limit(50).get();
  return { items: page.docs.map((document) => ({ key: document.id })) };
}

functions.http("scansApi", (request, response) =>
  outsideRequestDomain(async () => {
    const body = await read(request.url);
    response.setHeader("Content-Type", "application/json");
    response.end(JSON.stringify(body));
  }),
);
