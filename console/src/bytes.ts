// Bytes for people: base64 decoded in the page, shown as a classic hex dump (offset, 16 bytes, ASCII).

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** How much of a response a hex dump shows: past it, a line says how many more bytes there are. */
export const HEX_DUMP_BYTES = 64 * 1024;

/** Lines of `00000010  48 54 54 50 ...  |HTTP/1.1 200 OK.|`; at most `maxBytes`, then a line saying how many more. */
export function hexDump(bytes: Uint8Array, maxBytes = HEX_DUMP_BYTES): string {
  const shown = Math.min(bytes.length, maxBytes);
  const lines: string[] = [];
  for (let offset = 0; offset < shown; offset += 16) {
    const row = bytes.subarray(offset, Math.min(offset + 16, shown));
    const hex = Array.from(row, (byte) => byte.toString(16).padStart(2, "0"));
    const left = hex.slice(0, 8).join(" ");
    const right = hex.slice(8).join(" ");
    const ascii = Array.from(row, (byte) =>
      byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".",
    ).join("");
    lines.push(
      `${offset.toString(16).padStart(8, "0")}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`,
    );
  }
  if (shown < bytes.length) lines.push(`… ${bytes.length - shown} more bytes`);
  return lines.join("\n");
}

/** 1536 → "1.5 KiB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A one-line preview of a response: control characters shown as symbols, at most `length` characters. */
export function preview(text: string, length = 80): string {
  const flat = Array.from(text.replace(/\r\n|\n|\r/g, "⏎"), (character) => {
    const code = character.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? "·" : character;
  }).join("");
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
