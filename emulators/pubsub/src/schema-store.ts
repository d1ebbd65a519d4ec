import { randomBytes } from "node:crypto";
import { alreadyExists, invalidArgument, notFound, unimplemented } from "@scan-ingest/emulator-shared/status";
import avro from "avsc";
import { timestamp, type Schema, type SchemaSettings } from "./wire.ts";

/** The schema value Google shows on a topic whose schema was deleted (`SchemaSettings.schema`). */
export const DELETED_SCHEMA = "_deleted-schema_";

/** A stored schema: its resource and the compiled Avro type that checks messages against it. */
export interface StoredSchema {
  resource: Schema;
  type: avro.Type;
}

/**
 * Compiles a schema definition, or throws as Google's emulator does: INVALID_ARGUMENT for a type that is
 * neither AVRO nor PROTOCOL_BUFFER and for an Avro definition avsc cannot parse, UNIMPLEMENTED for Protocol
 * Buffer definitions, which the embedded emulator does not check.
 */
export function compile(schema: Schema | null | undefined): avro.Type {
  if (schema?.type === "PROTOCOL_BUFFER") {
    throw unimplemented("Protocol Buffer schemas are not implemented by the embedded Pub/Sub emulator.");
  }
  if (schema?.type !== "AVRO") throw invalidArgument("Invalid schema type");
  try {
    return avro.Type.forSchema(JSON.parse(schema.definition ?? "") as avro.Schema);
  } catch {
    throw invalidArgument("Could not parse schema definition");
  }
}

/** Throws INVALID_ARGUMENT unless `data` is a value of `type` in the encoding (Avro JSON or binary encoding). */
export function checkMessage(type: avro.Type, data: Buffer, encoding: SchemaSettings["encoding"]): void {
  if (encoding === "JSON") {
    try {
      type.fromString(data.toString("utf8")); // Avro's JSON encoding: unions wrapped, as Google reads it
    } catch {
      throw invalidArgument("Could not parse JSON Avro message");
    }
  } else if (encoding === "BINARY") {
    // Trailing bytes are accepted, as Google's emulator accepts them.
    if (type.decode(data, 0).offset < 0) throw invalidArgument("Could not parse binary Avro message");
  } else {
    throw invalidArgument("No encoding provided.");
  }
}

/** The schemas of the emulator, by full name. */
export class SchemaStore {
  private readonly byName = new Map<string, StoredSchema>();

  get(name: string): StoredSchema {
    const schema = this.byName.get(name);
    if (!schema) throw notFound(`Schema not found: ${name}`);
    return schema;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Compiles and stores a schema under `name`, with a fresh revision id and time. */
  create(name: string, schema: Schema, now: number): Schema {
    const type = compile(schema);
    if (this.byName.has(name)) throw alreadyExists(`Schema already exists: ${name}`);
    const resource: Schema = {
      name,
      type: schema.type,
      definition: schema.definition ?? "",
      revisionId: randomBytes(4).toString("hex"),
      revisionCreateTime: timestamp(now),
    };
    this.byName.set(name, { resource, type });
    return resource;
  }

  delete(name: string): void {
    this.get(name);
    this.byName.delete(name);
  }

  /** The schemas of one project, by name. */
  inProject(project: string): Schema[] {
    return [...this.byName.keys()]
      .filter((name) => name.startsWith(`projects/${project}/`))
      .sort()
      .map((name) => this.get(name).resource);
  }

  clear(): void {
    this.byName.clear();
  }
}
