// Reads a Terraform provider's schema out of the code cdktf generated from it: each resource's
// synthesizeHclAttributes() and each nested block's *ToHclTerraform() list the arguments under their
// Terraform names, flag which are blocks, and name the function of each block's own arguments; the
// get*Attribute('name') calls list everything a reference may read.

/** One level of a resource's configuration: its arguments, and for those that are blocks, their own. */
export interface SchemaBlock {
  arguments: string[];
  blocks: Record<string, SchemaBlock>;
}

/** A resource or data source type: what a configuration may set, and every attribute a reference may read. */
export interface SchemaType extends SchemaBlock {
  readable: string[];
}

/** The committed extract: where it came from, and the types infra/ uses. */
export interface ProviderSchemaFile {
  generatedBy: string;
  packages: Record<string, { version: string; provider: string; providerVersion: string; integrity: string }>;
  resources: Record<string, SchemaType>;
  dataSources: Record<string, SchemaType>;
}

interface Entry {
  name: string;
  isBlock: boolean;
  child: string | undefined;
}

/** The `name: { value: ..., isBlock: ... }` entries of one attrs object literal. */
function entries(segment: string): Entry[] {
  const found: Entry[] = [];
  for (const match of segment.matchAll(/^\s+(\w+): \{\s*\n\s*value: ([^\n]*)\n\s*isBlock: (true|false)/gm)) {
    // The block's own function, never one of cdktf's scalar mappers (cdktf.stringToHclTerraform and the like).
    const child = /(?<!cdktf\.)\b([a-z]\w*)ToHclTerraform\b/.exec(match[2]!)?.[1];
    found.push({ name: match[1]!, isBlock: match[3] === "true", child });
  }
  return found;
}

/** The source between `start` and the next top-level function or class. */
function segmentAfter(source: string, start: number): string {
  const rest = source.slice(start);
  const end = rest.slice(1).search(/\n(function |class |\S+\.tfResourceType)/);
  return end === -1 ? rest : rest.slice(0, end + 1);
}

/** The schema of the one resource or data source a cdktf-generated lib/<name>/index.js defines. */
export function parseGeneratedType(source: string): { type: string; schema: SchemaType } {
  const type = /\.tfResourceType = "([\w-]+)"/.exec(source)?.[1];
  if (type === undefined) throw new Error("no tfResourceType in this file: not a cdktf-generated resource");
  const functions = new Map<string, string>();
  for (const match of source.matchAll(/^function ([a-z]\w*)ToHclTerraform\(struct\) \{/gm))
    functions.set(match[1]!, segmentAfter(source, match.index));
  const top = source.indexOf("synthesizeHclAttributes() {");
  if (top === -1) throw new Error(`${type}: no synthesizeHclAttributes()`);
  const block = (segment: string, seen: string[]): SchemaBlock => {
    const result: SchemaBlock = { arguments: [], blocks: {} };
    for (const entry of entries(segment)) {
      result.arguments.push(entry.name);
      if (!entry.isBlock) continue;
      const child = entry.child === undefined ? undefined : functions.get(entry.child);
      if (child === undefined || seen.includes(entry.child!))
        throw new Error(`${type}: block ${entry.name} has no readable schema function`);
      result.blocks[entry.name] = block(child, [...seen, entry.child!]);
    }
    result.arguments.sort();
    return result;
  };
  const readable = new Set<string>();
  for (const match of source.matchAll(/(?:get\w*Attribute|interpolationForAttribute)\('(\w+)'\)/g))
    readable.add(match[1]!);
  const arguments_ = block(segmentAfter(source, top), []);
  // Arguments are readable too; a block's are read through its own output class, not a get*Attribute call.
  const addArguments = (level: SchemaBlock) => {
    for (const name of level.arguments) readable.add(name);
    Object.values(level.blocks).forEach(addArguments);
  };
  addArguments(arguments_);
  return { type, schema: { ...arguments_, readable: [...readable].sort() } };
}
