// Request parameters through the zod schemas: canonical values, or a 400 problem naming the parameter.
import type * as z from "zod";
import { badParameter, ProblemError } from "./problem.ts";
import { mustBe } from "./schemas.ts";

/** The query's parameters by name; a parameter given twice is refused rather than one copy picked. */
export function queryParameters(search: string): Record<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(search)) {
    if (values.has(name)) throw badParameter(name, "given at most once");
    values.set(name, value);
  }
  // fromEntries defines own properties: a parameter named __proto__ stays a parameter (and is refused).
  return Object.fromEntries(values);
}

/** Parses `input` with `schema`; the first problem becomes a 400 naming its parameter. */
export function parseParameters<Schema extends z.ZodType>(
  schema: Schema,
  input: Record<string, string>,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys(mustBe).filter((name) => name in ((schema as { shape?: object }).shape ?? {}));
    const accepted = known.length === 0 ? "this path takes none" : `known: ${known.join(", ")}`;
    throw new ProblemError(400, `${issue.keys[0]} is not a parameter here; ${accepted}`, {
      parameter: issue.keys[0]!,
    });
  }
  // Stryker disable next-line StringLiteral: the input is always an object, so every issue names its parameter
  const name = String(issue.path[0] ?? "");
  throw badParameter(name, mustBe[name] ?? "valid", input[name]);
}
