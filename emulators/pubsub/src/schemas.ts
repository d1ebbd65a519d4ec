import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { invalidArgument, unary } from "@scan-ingest/emulator-shared/status";
import { parseProject } from "./names.ts";
import type { ListSchemasRequest, ListSchemasResponse } from "./wire.ts";

/**
 * google.pubsub.v1.SchemaService: the emulator keeps no schemas (CreateSchema and the rest answer
 * UNIMPLEMENTED), so listing them answers an empty list, which clean-up code that lists schemas expects.
 */
export function schemaImplementation(): UntypedServiceImplementation {
  return {
    ListSchemas: unary((request: ListSchemasRequest): ListSchemasResponse => {
      parseProject(request.parent ?? "");
      if (request.pageToken) throw invalidArgument(`Invalid page_token "${request.pageToken}".`);
      return { schemas: [], nextPageToken: "" };
    }),
  };
}
