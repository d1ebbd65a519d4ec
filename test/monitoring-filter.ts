// The part of Cloud Logging's query language that infra/monitoring.tf uses, evaluated against LogEntries:
// comparisons `path = "value"`, `path:*` (the field exists) and `severity >= NAME`, joined by AND or OR, with
// parentheses (https://cloud.google.com/logging/docs/view/logging-query-language), and the `EXTRACT(path)` value and
// label extractors of log-based metrics (https://cloud.google.com/logging/docs/logs-based-metrics). Anything else is
// refused with an error naming it, so a test cannot pass by skipping a clause it does not understand.

/** A LogEntry as Cloud Logging stores it, reduced to plain JSON values. */
export type LogEntry = Record<string, unknown>;

/** A filter or extractor this evaluator does not implement, or a malformed one. */
export class UnsupportedFilterError extends Error {
  override name = "UnsupportedFilterError";
}

type Token =
  | { kind: "word"; text: string }
  | { kind: "string"; text: string }
  | { kind: "operator"; text: "=" | ":" | ">=" }
  | { kind: "paren"; text: "(" | ")" };

type Node =
  | { kind: "compare"; path: string[]; operator: "=" | ":" | ">="; value: string }
  | { kind: "all"; children: Node[] }
  | { kind: "any"; children: Node[] };

// LogSeverity's order (google.logging.type.LogSeverity).
const severities = [
  "DEFAULT",
  "DEBUG",
  "INFO",
  "NOTICE",
  "WARNING",
  "ERROR",
  "CRITICAL",
  "ALERT",
  "EMERGENCY",
];
const path = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < filter.length) {
    const rest = filter.slice(at);
    const space = /^\s+/.exec(rest);
    if (space) {
      at += space[0].length;
      continue;
    }
    if (rest.startsWith(">=")) {
      tokens.push({ kind: "operator", text: ">=" });
      at += 2;
    } else if (rest[0] === "=" || rest[0] === ":") {
      tokens.push({ kind: "operator", text: rest[0] });
      at += 1;
    } else if (rest[0] === "(" || rest[0] === ")") {
      tokens.push({ kind: "paren", text: rest[0] });
      at += 1;
    } else if (rest[0] === '"') {
      const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!quoted) throw new UnsupportedFilterError(`unterminated string at ${at} in ${filter}`);
      tokens.push({ kind: "string", text: JSON.parse(quoted[0]) as string });
      at += quoted[0].length;
    } else {
      const word = /^[A-Za-z0-9_.*-]+/.exec(rest);
      if (!word) throw new UnsupportedFilterError(`unsupported syntax "${rest.slice(0, 12)}" in ${filter}`);
      tokens.push({ kind: "word", text: word[0] });
      at += word[0].length;
    }
  }
  return tokens;
}

/** Parses `filter`; throws UnsupportedFilterError on anything outside the subset. */
function parse(filter: string): Node {
  const tokens = tokenize(filter);
  let next = 0;
  const peek = () => tokens[next];
  const take = () => {
    const token = tokens[next++];
    if (token === undefined) throw new UnsupportedFilterError(`filter ends too early: ${filter}`);
    return token;
  };

  const expression = (): Node => {
    const children = [term()];
    let connective: "AND" | "OR" | undefined;
    for (let token = peek(); token?.kind === "word" && /^(AND|OR)$/.test(token.text); token = peek()) {
      // Logging gives OR precedence over AND, unlike most languages: a mix without parentheses is refused
      // rather than guessed.
      if (connective !== undefined && connective !== token.text)
        throw new UnsupportedFilterError(`AND and OR mixed without parentheses in ${filter}`);
      connective = token.text as "AND" | "OR";
      take();
      children.push(term());
    }
    if (children.length === 1) return children[0]!;
    return connective === "OR" ? { kind: "any", children } : { kind: "all", children };
  };

  const term = (): Node => {
    const token = take();
    if (token.kind === "paren" && token.text === "(") {
      const inner = expression();
      const close = take();
      if (close.kind !== "paren" || close.text !== ")")
        throw new UnsupportedFilterError(`expected ")" in ${filter}`);
      return inner;
    }
    if (token.kind !== "word" || !path.test(token.text) || /^(AND|OR|NOT)$/.test(token.text))
      throw new UnsupportedFilterError(`expected a field path, got "${token.text}" in ${filter}`);
    const operator = take();
    if (operator.kind !== "operator")
      throw new UnsupportedFilterError(`expected =, : or >= after ${token.text}, got "${operator.text}"`);
    const value = take();
    if (value.kind !== "string" && value.kind !== "word")
      throw new UnsupportedFilterError(`expected a value after ${token.text}${operator.text} in ${filter}`);
    if (value.kind === "word" && next < tokens.length && peek()?.kind === "paren" && peek()?.text === "(")
      throw new UnsupportedFilterError(`function ${value.text}() is not supported in ${filter}`);
    if (operator.text === ":" && !(value.kind === "word" && value.text === "*"))
      throw new UnsupportedFilterError(
        `only the existence test ${token.text}:* is supported, got ":${value.text}"`,
      );
    if (operator.text === ">=" && (token.text !== "severity" || !severities.includes(value.text)))
      throw new UnsupportedFilterError(
        `>= is supported only as severity>=LEVEL, got ${token.text}>=${value.text}`,
      );
    return { kind: "compare", path: token.text.split("."), operator: operator.text, value: value.text };
  };

  const node = expression();
  if (next !== tokens.length)
    throw new UnsupportedFilterError(`unexpected "${tokens[next]!.text}" in ${filter}`);
  return node;
}

function fieldAt(entry: LogEntry, names: readonly string[]): unknown {
  let value: unknown = entry;
  for (const name of names) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

function evaluate(node: Node, entry: LogEntry): boolean {
  if (node.kind === "all") return node.children.every((child) => evaluate(child, entry));
  if (node.kind === "any") return node.children.some((child) => evaluate(child, entry));
  const field = fieldAt(entry, node.path);
  if (node.operator === ":") return field !== undefined && field !== null;
  if (node.operator === ">=")
    return severities.indexOf(String(field ?? "DEFAULT")) >= severities.indexOf(node.value);
  if (typeof field === "string" || typeof field === "number" || typeof field === "boolean")
    return String(field) === node.value;
  return false;
}

/** The filter as a predicate on LogEntries; throws UnsupportedFilterError at once for what it cannot evaluate. */
export function compileFilter(filter: string): (entry: LogEntry) => boolean {
  const node = parse(filter);
  return (entry) => evaluate(node, entry);
}

/** A log-based metric's `EXTRACT(path)` as a function of a LogEntry; other extractors are refused. */
export function compileExtractor(extractor: string): (entry: LogEntry) => unknown {
  const match = /^EXTRACT\(\s*([^()\s]+)\s*\)$/.exec(extractor);
  if (!match || !path.test(match[1]!))
    throw new UnsupportedFilterError(`only EXTRACT(field.path) is supported, got ${extractor}`);
  const names = match[1]!.split(".");
  return (entry) => fieldAt(entry, names);
}
