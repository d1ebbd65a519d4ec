// Raw bytes: strict base64, UTF-8 checks, cutting at a character boundary, hashing.
import { createHash } from "node:crypto";
import { isUtf8 } from "node:buffer";

const standardAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** The 6-bit value of each ASCII character in the standard alphabet, -1 for any other. */
const base64Values = Int8Array.from({ length: 128 }, (_, code) =>
  standardAlphabet.indexOf(String.fromCharCode(code)),
);
const paddingCode = 0x3d; // "="

/** With a length that is a multiple of 4: standard base64, padding only at the end. */
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;
/** Up to this length one checking pass is faster than the pattern plus Buffer.from; beyond it, slower. */
const onePassMaxLength = 64;

/** Bytes of standard, padded base64 (RFC 4648 section 4, as Go encodes []byte), or undefined. */
export function decodeStandardBase64(text: string): Buffer | undefined {
  // Unpadded, URL-safe and whitespace-carrying text is refused either way. Measured against each other:
  // the one pass wins on the scanner's short text, the pattern on long text.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: both ways decode alike; this picks the faster
  if (text.length > onePassMaxLength)
    return text.length % 4 === 0 && base64Pattern.test(text) ? Buffer.from(text, "base64") : undefined;
  const length = text.length;
  if (length % 4 !== 0) return undefined;
  const padding =
    // Stryker disable next-line ConditionalExpression: at length 0, charCodeAt(-1) is NaN, never "=": no padding
    length === 0 || text.charCodeAt(length - 1) !== paddingCode
      ? 0
      : text.charCodeAt(length - 2) === paddingCode
        ? 2
        : 1;
  const bytes = Buffer.allocUnsafe((length / 4) * 3 - padding);
  let pending = 0;
  let pendingBits = 0;
  let written = 0;
  for (let index = 0; index < length - padding; index++) {
    const code = text.charCodeAt(index);
    const value = code < 128 ? base64Values[code]! : -1;
    if (value < 0) return undefined;
    pending = ((pending << 6) | value) & 0xffff;
    pendingBits += 6;
    if (pendingBits >= 8) {
      pendingBits -= 8;
      bytes[written++] = pending >> pendingBits;
    }
  }
  // Bits left over after the last byte are ignored, as Go's StdEncoding and Buffer.from do.
  return bytes;
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
  // Stryker disable next-line MethodExpression: a sequence is at most 4 bytes, so a lead further back never crosses
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
