// The OpenAPI document against a standard linter's recommended rules (Redocly's `recommended`), and every
// example in it against the schema it illustrates: a wrong example misleads every reader of /docs.
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, test } from "vitest";
import { openApiDocument } from "../../src/api/openapi.ts";

type Json = Record<string, unknown>;
const document = JSON.parse(JSON.stringify(openApiDocument())) as Json;

/** Every example in the document with the schema it must satisfy, named by its JSON pointer. */
function examples(node: unknown, pointer = "#"): { pointer: string; example: unknown; schema: Json }[] {
  if (typeof node !== "object" || node === null) return [];
  const entries = Object.entries(node as Json);
  const found = entries.flatMap(([key, value]) => examples(value, `${pointer}/${key.replaceAll("/", "~1")}`));
  const { example, examples: list, schema, ...rest } = node as Json;
  // A parameter, header or media type carries its schema beside its example; a schema carries its own.
  const owner = (schema ?? rest) as Json;
  if (example !== undefined) found.push({ pointer: `${pointer}/example`, example, schema: owner });
  if (Array.isArray(list) && schema === undefined)
    list.forEach((item, index) =>
      found.push({ pointer: `${pointer}/examples/${index}`, example: item, schema: owner }),
    );
  return found;
}

describe("the OpenAPI document", () => {
  test("passes Redocly's recommended rules with no error and no warning", async () => {
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: "/v1/openapi.json",
      config,
    });
    const described = problems.map(
      ({ severity, ruleId, message, location }) =>
        `${severity} ${ruleId}: ${message} (${location.map(({ pointer }) => pointer).join(", ")})`,
    );
    expect(described).toEqual([]);
  });

  test("every example validates against its schema", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const found = examples(document);
    expect(found.length, "examples in the document").toBeGreaterThanOrEqual(5);
    const failures = found.flatMap(({ pointer, example, schema }) => {
      const validate = ajv.compile({ ...schema, components: document.components });
      return validate(example) ? [] : [`${pointer}: ${ajv.errorsText(validate.errors)}`];
    });
    expect(failures).toEqual([]);
  });

  test("says what the deployment enforces: a Google-signed ID token as a bearer JWT, on every operation", () => {
    const components = document.components as { securitySchemes: Record<string, Json> };
    expect(components.securitySchemes.googleIdToken).toMatchObject({
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
      description: expect.stringContaining("roles/run.invoker"),
    });
    expect(document.security).toEqual([{ googleIdToken: [] }]);
    expect((document.servers as Json[]).length).toBeGreaterThan(0);
  });
});
