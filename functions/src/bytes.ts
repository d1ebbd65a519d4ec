// Raw bytes: strict base64, UTF-8 checks, cutting at a character boundary, hashing.
import { createHash } from "node:crypto";
import { isUtf8 } from "node:buffer";

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes of standard, padded base64 (RFC 4648 section 4, as Go encodes []byte), or undefined. */
export function decodeStandardBase64(text: string): Buffer | undefined {
  // The length rule and the pattern together refuse unpadded, URL-safe and whitespace-carrying text.
  if (text.length % 4 !== 0 || !base64Pattern.test(text)) return undefined;
  return Buffer.from(text, "base64");
}

/** True when the bytes are well-formed UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}

const lossyDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Text of the bytes, each ill-formed sequence replaced by U+FFFD. */
export function decodeLossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes);
}

/** Length in bytes of a UTF-8 sequence that starts with this lead byte; 0 when not a lead byte. */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * The longest prefix of at most `limit` bytes that does not split a multi-byte UTF-8 sequence.
 * A sequence counts when its lead byte is followed by continuation bytes up to the cut.
 */
export function cutAtCharacterBoundary(bytes: Uint8Array, limit: number): Uint8Array {
  if (bytes.length <= limit) return bytes;
  for (let start = limit - 1; start >= Math.max(0, limit - 3); start--) {
    const byte = bytes[start]!;
    if ((byte & 0xc0) === 0x80) continue;
    // `start` is the last non-continuation byte before the cut: cut before it if its sequence crosses.
    return start + sequenceLength(byte) > limit ? bytes.subarray(0, start) : bytes.subarray(0, limit);
  }
  return bytes.subarray(0, limit);
}

/** Lowercase hex SHA-256 of the bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
