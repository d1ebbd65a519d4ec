// The reject reason codes, in a module without imports: the function, the read API, `scans` and the
// console's page take them from here.

/** Reason codes of docs/contract.md §1, in the table's order after the two envelope-level ones. */
export const reasons = [
  "invalid_envelope",
  "invalid_json",
  "invalid_ip",
  "invalid_port",
  "invalid_service",
  "invalid_timestamp",
  "unsupported_data_version",
  "invalid_data",
  "expired",
] as const;
export type Reason = (typeof reasons)[number];
