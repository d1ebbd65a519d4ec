import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { unary } from "@scan-ingest/emulator-shared/status";
import type { Broker } from "./broker.ts";
import { parseName, parseProject } from "./names.ts";
import { page } from "./page.ts";
import { checkMessage, compile } from "./schema-store.ts";
import type {
  CreateSchemaRequest,
  DeleteSchemaRequest,
  Empty,
  GetSchemaRequest,
  ListSchemasRequest,
  ListSchemasResponse,
  Schema,
  ValidateMessageRequest,
  ValidateSchemaRequest,
} from "./wire.ts";

/**
 * google.pubsub.v1.SchemaService for Avro schemas: create, get, list, delete, validate a schema and a message.
 * Revisions (CommitSchema, RollbackSchema, ListSchemaRevisions, DeleteSchemaRevision) answer UNIMPLEMENTED.
 */
export function schemaImplementation(broker: Broker): UntypedServiceImplementation {
  return {
    CreateSchema: unary((request: CreateSchemaRequest): Schema => {
      const project = parseProject(request.parent ?? "");
      const name = `projects/${project}/schemas/${request.schemaId ?? ""}`;
      parseName("schemas", name, "schema_id");
      return broker.schemas.create(name, request.schema ?? {}, Date.now());
    }),
    GetSchema: unary((request: GetSchemaRequest): Schema => {
      parseName("schemas", request.name ?? "", "name");
      // Unset view: the whole schema (GetSchemaRequest.view).
      return inView(broker.schemas.get(request.name ?? "").resource, request.view === "BASIC");
    }),
    ListSchemas: unary((request: ListSchemasRequest): ListSchemasResponse => {
      const project = parseProject(request.parent ?? "");
      const { items, nextPageToken } = page(
        broker.schemas.inProject(project),
        request.pageSize,
        request.pageToken,
      );
      // Unset view: name and type without the definition (ListSchemasRequest.view).
      return { schemas: items.map((schema) => inView(schema, request.view !== "FULL")), nextPageToken };
    }),
    DeleteSchema: unary((request: DeleteSchemaRequest): Empty => {
      parseName("schemas", request.name ?? "", "name");
      broker.deleteSchema(request.name ?? "");
      return {};
    }),
    ValidateSchema: unary((request: ValidateSchemaRequest): Empty => {
      parseProject(request.parent ?? "");
      compile(request.schema);
      return {};
    }),
    ValidateMessage: unary((request: ValidateMessageRequest): Empty => {
      parseProject(request.parent ?? "");
      if (request.name) parseName("schemas", request.name, "name");
      const type = request.name ? broker.schemas.get(request.name).type : compile(request.schema);
      checkMessage(type, Buffer.from(request.message ?? []), request.encoding);
      return {};
    }),
  };
}

/** The schema as a view shows it: BASIC leaves out the definition. */
function inView(schema: Schema, basic: boolean): Schema {
  return basic ? { ...schema, definition: "" } : schema;
}
