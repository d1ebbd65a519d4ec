import { Encodings, SchemaTypes, SchemaViews } from "@google-cloud/pubsub";
import { status } from "@grpc/grpc-js";
import { describe, expect, test } from "vitest";
import { refusal, unique, useTarget } from "./harness.ts";

// Conformance: only @google-cloud/pubsub, so it also runs against Google's emulator (PUBSUB_EMULATOR_HOST).
const target = useTarget();

const scan = JSON.stringify({
  type: "record",
  name: "Scan",
  fields: [
    { name: "ip", type: "string" },
    { name: "port", type: "int" },
    { name: "service", type: ["null", "string"], default: null },
  ],
});
const proto = 'syntax = "proto3";\nmessage Scan {\n  string ip = 1;\n  int32 port = 2;\n}\n';
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
// Avro binary: "1.1.1.7" (length 7, zig-zag 0x0e), port 443 (zig-zag 886), service null (union branch 0).
const binary = Buffer.from([0x0e, ...Buffer.from("1.1.1.7"), 0xf6, 0x06, 0x00]);

describe.concurrent("schemas", () => {
  test("creates an Avro schema, gets and lists it in both views, and deletes it", async () => {
    const id = unique("scan-schema");
    const schema = await target.pubsub.createSchema(id, SchemaTypes.Avro, scan);
    const name = await schema.getName();
    const full = await schema.get(SchemaViews.Full);
    expect(full).toMatchObject({ name, type: "AVRO", definition: scan });
    expect(full.revisionId).toMatch(/^[0-9a-f]{8}$/);
    expect(Number(full.revisionCreateTime?.seconds)).toBeGreaterThan(0);
    expect(await schema.get(SchemaViews.Basic)).toMatchObject({ name, type: "AVRO", definition: "" });
    const listed = async (view: (typeof SchemaViews)[keyof typeof SchemaViews]) => {
      for await (const item of target.pubsub.listSchemas(view)) if (item.name === name) return item;
      return undefined;
    };
    expect(await listed(SchemaViews.Full)).toMatchObject({ name, definition: scan });
    expect(await listed(SchemaViews.Basic)).toMatchObject({ name, definition: "" });
    // Production lists without definitions when no view is set (ListSchemasRequest.view); Google's emulator
    // lists them whole (docs/parity.md, Pub/Sub: "ListSchemas without a view").
    const [unset] = await target.schemas.listSchemas(
      { parent: `projects/${target.projectId}` },
      { autoPaginate: false },
    );
    expect(unset.find((item) => item.name === name)?.definition).toBe(target.kind === "google" ? scan : "");
    const again = await refusal(target.pubsub.createSchema(id, SchemaTypes.Avro, scan));
    expect(again?.code).toBe(status.ALREADY_EXISTS);
    await schema.delete();
    expect(await listed(SchemaViews.Full)).toBeUndefined();
    expect((await refusal(schema.get()))?.code).toBe(status.NOT_FOUND);
    expect((await refusal(schema.delete()))?.code).toBe(status.NOT_FOUND);
  });

  test("refuses bad definitions, names and types INVALID_ARGUMENT, on create and on validate", async () => {
    for (const definition of ['{"not_actually":"avro"}', "woohoo i am a schema, no really"]) {
      const created = await refusal(target.pubsub.createSchema(unique("bad"), SchemaTypes.Avro, definition));
      expect(created?.code).toBe(status.INVALID_ARGUMENT);
      const validated = await refusal(target.pubsub.validateSchema({ type: SchemaTypes.Avro, definition }));
      expect(validated?.code).toBe(status.INVALID_ARGUMENT);
    }
    await expect(target.pubsub.validateSchema({ type: SchemaTypes.Avro, definition: scan })).resolves.toBe(
      undefined,
    );
    const parent = `projects/${target.projectId}`;
    const untyped = await refusal(target.schemas.validateSchema({ parent, schema: { definition: scan } }));
    expect(untyped?.code).toBe(status.INVALID_ARGUMENT);
    const badId = await refusal(
      target.schemas.createSchema({ parent, schemaId: "1bad", schema: { type: "AVRO", definition: scan } }),
    );
    expect(badId?.code).toBe(status.INVALID_ARGUMENT);
    expect((await refusal(target.schemas.getSchema({ name: "nope" })))?.code).toBe(status.INVALID_ARGUMENT);
  });

  test("Protocol Buffer schemas are refused UNIMPLEMENTED, as Google's emulator refuses them", async () => {
    const created = await refusal(
      target.pubsub.createSchema(unique("proto"), SchemaTypes.ProtocolBuffer, proto),
    );
    expect(created?.code).toBe(status.UNIMPLEMENTED);
    const validated = await refusal(
      target.pubsub.validateSchema({ type: SchemaTypes.ProtocolBuffer, definition: proto }),
    );
    expect(validated?.code).toBe(status.UNIMPLEMENTED);
  });

  test("validates a message against a stored or inline Avro schema, in JSON and binary encoding", async () => {
    const schema = await target.pubsub.createSchema(unique("validate"), SchemaTypes.Avro, scan);
    const parent = `projects/${target.projectId}`;
    const name = await schema.getName();
    const validate = (message: Buffer, encoding?: "JSON" | "BINARY", inline = false) =>
      refusal(
        target.schemas.validateMessage({
          parent,
          ...(inline ? { schema: { type: "AVRO", definition: scan } } : { name }),
          message,
          encoding,
        }),
      );
    expect(await validate(json({ ip: "1.1.1.7", port: 443, service: null }), "JSON")).toBeUndefined();
    expect(
      await validate(json({ ip: "1.1.1.7", port: 443, service: { string: "HTTP" } }), "JSON", true),
    ).toBe(undefined);
    expect(await validate(binary, "BINARY")).toBeUndefined();
    expect(await validate(binary, "BINARY", true)).toBeUndefined();
    // Avro's JSON encoding wraps a union's value in its branch; a missing field or a bare union value fails.
    for (const bad of [{ ip: "1.1.1.7" }, { ip: "1.1.1.7", port: 443, service: "HTTP" }]) {
      expect((await validate(json(bad), "JSON"))?.code).toBe(status.INVALID_ARGUMENT);
    }
    expect((await validate(Buffer.from("not json"), "JSON"))?.code).toBe(status.INVALID_ARGUMENT);
    expect((await validate(binary.subarray(0, 4), "BINARY"))?.code).toBe(status.INVALID_ARGUMENT);
    expect((await validate(binary))?.code).toBe(status.INVALID_ARGUMENT); // no encoding
    const missing = await refusal(
      target.schemas.validateMessage({
        parent,
        name: `${parent}/schemas/${unique("missing")}`,
        message: binary,
        encoding: "BINARY",
      }),
    );
    expect(missing?.code).toBe(status.NOT_FOUND);
    await expect(schema.validateMessage(binary.toString("base64"), Encodings.Binary)).resolves.toBe(
      undefined,
    );
  });

  test.each(["JSON", "BINARY"] as const)(
    "a topic with an Avro schema in %s encoding takes matching messages and refuses the rest",
    async (encoding) => {
      const schema = await target.pubsub.createSchema(unique("topic-schema"), SchemaTypes.Avro, scan);
      const [topic] = await target.pubsub.createTopic({
        name: unique("with-schema"),
        schemaSettings: { schema: await schema.getName(), encoding },
      });
      const [metadata] = await topic.getMetadata();
      expect(metadata.schemaSettings).toMatchObject({ schema: await schema.getName(), encoding });
      const good = encoding === "JSON" ? json({ ip: "1.1.1.7", port: 443, service: null }) : binary;
      const bad = encoding === "JSON" ? json({ ip: "1.1.1.7" }) : binary.subarray(0, 4);
      const publish = (messages: { data?: Buffer; attributes?: Record<string, string> }[]) =>
        refusal(target.publisher.publish({ topic: topic.name, messages }));
      expect(await publish([{ data: good }])).toBeUndefined();
      expect((await publish([{ data: good }, { data: bad }]))?.code).toBe(status.INVALID_ARGUMENT);
      expect((await publish([{ attributes: { only: "attributes" } }]))?.code).toBe(status.INVALID_ARGUMENT);
    },
  );

  test("a topic naming a missing schema or no encoding is refused; a deleted schema stops its topic's publishes", async () => {
    const schema = await target.pubsub.createSchema(unique("deleted"), SchemaTypes.Avro, scan);
    const name = await schema.getName();
    const create = (schemaSettings: object) =>
      refusal(target.pubsub.createTopic({ name: unique("schema-topic"), schemaSettings }));
    const missing = `projects/${target.projectId}/schemas/${unique("missing")}`;
    expect((await create({ schema: missing, encoding: "JSON" }))?.code).toBe(status.NOT_FOUND);
    expect((await create({ schema: name }))?.code).toBe(status.INVALID_ARGUMENT);
    const [topic] = await target.pubsub.createTopic({
      name: unique("schema-topic"),
      schemaSettings: { schema: name, encoding: "BINARY" },
    });
    const [plain] = await target.pubsub.createTopic(unique("schema-later"));
    await plain.setMetadata({ schemaSettings: { schema: name, encoding: "BINARY" } });
    const unparsable = await refusal(
      target.publisher.publish({ topic: plain.name, messages: [{ data: binary.subarray(0, 4) }] }),
    );
    expect(unparsable?.code).toBe(status.INVALID_ARGUMENT);
    await schema.delete();
    const [metadata] = await topic.getMetadata();
    expect(metadata.schemaSettings?.schema).toBe("_deleted-schema_"); // SchemaSettings.schema
    const published = await refusal(
      target.publisher.publish({ topic: topic.name, messages: [{ data: binary }] }),
    );
    expect(published?.code).toBe(status.NOT_FOUND);
  });

  test("schema revisions: Google's emulator commits one, the embedded one answers UNIMPLEMENTED naming the method", async () => {
    const schema = await target.pubsub.createSchema(unique("revisions"), SchemaTypes.Avro, scan);
    const committed = await refusal(
      target.schemas.commitSchema({
        name: await schema.getName(),
        schema: { type: "AVRO", definition: scan },
      }),
    );
    // docs/parity.md, Pub/Sub: "schema revisions".
    if (target.kind === "google") expect(committed).toBeUndefined();
    else
      expect(committed).toMatchObject({
        code: status.UNIMPLEMENTED,
        details: expect.stringContaining("CommitSchema"),
      });
    const pinned = await refusal(
      target.pubsub.createTopic({
        name: unique("revision-topic"),
        schemaSettings: { schema: await schema.getName(), encoding: "JSON", firstRevisionId: "abc" },
      }),
    );
    if (target.kind === "google") expect(pinned?.code).toBe(status.NOT_FOUND);
    else
      expect(pinned).toMatchObject({
        code: status.UNIMPLEMENTED,
        details: expect.stringContaining("first_revision_id"),
      });
  });
});
