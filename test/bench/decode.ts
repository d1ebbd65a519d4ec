// decode.ratio: the function's decode+validate against JSON.parse alone, on the same scanner payloads.
import { decodeScan } from "@scan-ingest/functions/scan";
import { createRandom, generateScan, GO_SCANNER_KEYSPACE, unixSeconds } from "@scan-ingest/scanner";
import { alternate, median, progress } from "./measure.ts";

export interface DecodeFigures {
  ratio: number;
  decodeNsPerMessage: number;
  parseNsPerMessage: number;
  payloadBytes: number;
}

/** Payloads as the scanner publishes them (the Go scanner's v1/v2 mix and sizes), as the bytes the function gets. */
export function scannerPayloads(count: number, seed = "bench"): Buffer[] {
  const random = createRandom(seed);
  const now = unixSeconds();
  return Array.from({ length: count }, () =>
    Buffer.from(JSON.stringify(generateScan(random, GO_SCANNER_KEYSPACE, now)), "utf8"),
  );
}

/** Decodes every payload in both ways, `rounds` times alternating; the medians give the ratio. */
export async function benchDecode(options: { payloads: number; rounds: number }): Promise<DecodeFigures> {
  const payloads = scannerPayloads(options.payloads);
  const limits = { nowSeconds: unixSeconds(), maxClockSkewSeconds: 3600 };
  // The floor: bytes to text (JSON.parse needs a string) and the parse, nothing else.
  const text = new TextDecoder("utf-8", { ignoreBOM: true });
  let sink = 0;
  const parseAll = () => {
    const started = performance.now();
    for (const payload of payloads) sink += (JSON.parse(text.decode(payload)) as { port: number }).port;
    return performance.now() - started;
  };
  const decodeAll = () => {
    const started = performance.now();
    for (const payload of payloads) {
      const decoded = decodeScan(payload, limits);
      if (!decoded.ok) throw new Error(`a scanner payload did not decode: ${decoded.detail}`);
      sink += decoded.scan.port;
    }
    return performance.now() - started;
  };
  progress(`decode: ${payloads.length} payloads, ${options.rounds} alternating rounds`);
  parseAll(); // warm both up once, so neither pays for the JIT in the measured rounds
  decodeAll();
  const times = await alternate(options.rounds, { parse: parseAll, decode: decodeAll });
  if (sink === 0) throw new Error("unreachable: keeps the loops from being optimised away");
  const parseMs = median(times.parse);
  const decodeMs = median(times.decode);
  const bytes = payloads.reduce((total, payload) => total + payload.length, 0);
  return {
    ratio: parseMs / decodeMs,
    decodeNsPerMessage: (decodeMs * 1e6) / payloads.length,
    parseNsPerMessage: (parseMs * 1e6) / payloads.length,
    payloadBytes: bytes / payloads.length,
  };
}
