// A message's data as a JSON object, keeping what JSON.parse forgets: whether a number was written as an integer.
// docs/contract.md §1 wants `443.0` and `4.43e2` refused as ports, and JSON.parse reads both as 443.

/** A JSON number written with a fraction or exponent (`443.0`, `1e3`): never a JSON integer. */
class NonIntegerNumber {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
  toJSON(): string {
    return this.source;
  }
}

const integerLiteral = /^-?(0|[1-9]\d*)$/;

/** The one test for a non-integer: a number whose JSON text is not an integer literal becomes a NonIntegerNumber. */
function markNonInteger(value: unknown, source: string | undefined): unknown {
  // Stryker disable next-line StringLiteral: Node 24 (engines) always gives a number's source text
  return typeof value === "number" && !integerLiteral.test(source ?? "")
    ? new NonIntegerNumber(source ?? String(value))
    : value;
}

type Reviver = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;
// context.source is absent for objects and arrays, which are never numbers.
const markNonIntegers: Reviver = (_key, value, context) => markNonInteger(value, context.source);

/**
 * Matches wherever a JSON number inside an object or array could carry a fraction or exponent: each one
 * follows `[`, `,` or `:`. A false match (inside a string) only costs the slower parse with the reviver;
 * a bare top-level number is refused as not an object either way.
 */
const maybeNonInteger = /[:,[]\s*-?\d+[.eE]/;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Index of the quote that closes the JSON string opening at `start`. */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (text[index] !== '"') index += text[index] === "\\" ? 2 : 1;
  return index;
}

/**
 * For JSON too deeply nested for the reviver (which recurses; JSON.parse alone does not): mark the top-level
 * numbers written with a fraction or exponent, walking the already-valid text once without recursion.
 * Only top-level numbers are read as numbers, so this is all the reviver would have decided.
 */
function markTopLevelNonIntegers(text: string, object: Record<string, unknown>): void {
  let depth = 0;
  let key: string | undefined;
  let valueStart = 0;
  const member = (end: number) => {
    // Stryker disable next-line ConditionalExpression: each member of a valid object has its key by its comma or brace
    if (key !== undefined) object[key] = markNonInteger(object[key], text.slice(valueStart, end).trim());
    key = undefined;
  };
  // Stryker disable next-line EqualityOperator: text[text.length] is undefined and matches no branch
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    // Only the top level's keys, colons, commas and closing brace count: a nested value is one member's value.
    const top = depth === 1;
    if (character === '"') {
      const end = endOfString(text, index);
      if (top && key === undefined) key = JSON.parse(text.slice(index, end + 1)) as string;
      index = end;
    } else if (character === "{" || character === "[") depth++;
    else if (character === "}" || character === "]") {
      // Stryker disable next-line ConditionalExpression: a nested value's member is its container, never a number
      if (top) member(index);
      depth--;
    } else if (top && character === ":") valueStart = index + 1;
    else if (top && character === ",") member(index);
  }
}

/**
 * The data as a JSON object whose numbers written with a fraction or exponent are NonIntegerNumbers (so an
 * integer schema refuses them), or why it is not one: the `detail` of an invalid_json reject.
 */
export function parseJsonObject(data: Uint8Array): Record<string, unknown> | string {
  let text: string;
  try {
    text = utf8.decode(data); // fatal: throws on ill-formed UTF-8
  } catch {
    return "data is not valid UTF-8";
  }
  let value: unknown;
  // The reviver is several times slower than the parse itself: use it only where it can matter.
  const reviver = maybeNonInteger.test(text) ? markNonIntegers : undefined;
  try {
    value = JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: else the plain parse below fails with the same error
    if (!(reviver && error instanceof RangeError)) return `data is not JSON: ${(error as Error).message}`;
    // Stryker disable BlockStatement,StringLiteral: V8's parse does not recurse, so after the reviver's overflow it succeeds
    try {
      value = JSON.parse(text);
    } catch (plainError) {
      return `data is not JSON: ${(plainError as Error).message}`;
    }
    // Stryker restore BlockStatement,StringLiteral
    // Stryker disable next-line ConditionalExpression,LogicalOperator: an array is refused as not an object right after
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      markTopLevelNonIntegers(text, value as Record<string, unknown>);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `data is JSON ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value}, not an object`;
  }
  return value as Record<string, unknown>;
}
