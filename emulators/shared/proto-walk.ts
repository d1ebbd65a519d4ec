// What both emulators' proto-walk tests share: every field path of a request type, and the text of the
// titles of the tests the walk maps honoured fields to, and the requests that set one field.
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

/** A test declaration's title: `test(`, `it(` or `describe(`, any modifiers, then a string literal. */
const declaredTitle =
  /\b(?:test|it|describe)(?:\.\w+)*\(\s*(?:"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)'|`([^`$]*)`)/g;
/** A test declared with a constant as its title: `test(PAGES, ...`. */
const declaredConstant = /\b(?:test|it|describe)(?:\.\w+)*\(\s*([A-Z_][A-Z0-9_]*)\s*,/g;
/** A string constant: `const PAGES = "...";`. */
const stringConstant = /\bconst ([A-Z_][A-Z0-9_]*) =\s*"((?:\\.|[^"\\])*)";/g;
/** A row of a `.each` table that opens with its title, as `%s` titles take it: `["title", ...`. */
const tableTitle = /^\s*\[\s*"((?:\\.|[^"\\])*)"/gm;

/**
 * The titles that the `*.test.ts` files of `directory` declare, table-driven ones included. Titles, not
 * file text: the ledger that names them lives in one of these files, and would find every title it names.
 */
export function testTitles(directory: string): string[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith(".test.ts"))
    .map((file) => readFileSync(path.join(directory, file), "utf8"))
    .flatMap((text) => {
      const constants = new Map([...text.matchAll(stringConstant)].map((m) => [m[1]!, m[2]!] as const));
      const named = [...text.matchAll(declaredConstant)].flatMap((m) => constants.get(m[1]!) ?? []);
      return [
        ...named.map((title) => JSON.parse(`"${title}"`) as string),
        ...[...text.matchAll(declaredTitle)].map((match) =>
          match[1] !== undefined ? (JSON.parse(`"${match[1]}"`) as string) : (match[2] ?? match[3]!),
        ),
        ...(text.includes(".each")
          ? [...text.matchAll(tableTitle)].map((m) => JSON.parse(`"${m[1]}"`) as string)
          : []),
      ];
    });
}

// emulators/pubsub/test/proto-walk.test.ts still imports the old name; its owner renames it there.
export const testSources = testTitles;

/**
 * A copy of `base` with the dotted `fieldPath` set to `value`: the messages on the way are created when
 * absent, and a repeated field's first element is the one followed.
 */
export function withField(
  base: Record<string, unknown>,
  fieldPath: string,
  value: unknown,
): Record<string, unknown> {
  const request = structuredClone(base);
  const parts = fieldPath.split(".");
  let node: Record<string, unknown> = request;
  for (const part of parts.slice(0, -1)) {
    const next = (node[part] ??= {});
    node = (Array.isArray(next) ? next[0] : next) as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
  return request;
}
