// What both emulators' proto-walk tests share: every field path of a request type, and the text of the
// test files whose titles the walk maps honoured fields to.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type * as Protobuf from "protobufjs";

/**
 * Every field path of a request type, recursing into nested messages but not into well-known types, the
 * types named in `opaque` (walked as one value), or a type already on the path.
 */
export function fieldPaths(
  type: Protobuf.Type,
  opaque: readonly string[] = [],
  prefix = "",
  seen: string[] = [],
): string[] {
  return type.fieldsArray.flatMap((field) => {
    field.resolve();
    const fieldPath = prefix + field.name;
    const nested = field.resolvedType as Protobuf.Type | null;
    const recurse =
      nested?.fieldsArray !== undefined &&
      !nested.fullName.startsWith(".google.protobuf") &&
      !opaque.includes(nested.fullName) &&
      !seen.includes(nested.fullName);
    return [
      fieldPath,
      ...(recurse ? fieldPaths(nested, opaque, `${fieldPath}.`, [...seen, nested.fullName]) : []),
    ];
  });
}

/** The text of every `*.test.ts` in `directory`, to check that a named test title exists. */
export function testSources(directory: string): string {
  return readdirSync(directory)
    .filter((file) => file.endsWith(".test.ts"))
    .map((file) => readFileSync(path.join(directory, file), "utf8"))
    .join("\n");
}
