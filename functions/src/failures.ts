// Why a store call failed, classified once: a named list of the gRPC codes that a redelivery may cure,
// as the Pub/Sub client does for its own retries. Everything else will fail the same way on every attempt.

/** gRPC status codes that a later attempt may not meet: contention, overload, a dropped connection. */
export const RETRYABLE_CODES: ReadonlyMap<number, string> = new Map([
  [1, "CANCELLED"],
  [4, "DEADLINE_EXCEEDED"],
  [8, "RESOURCE_EXHAUSTED"],
  [10, "ABORTED"],
  [13, "INTERNAL"],
  [14, "UNAVAILABLE"],
]);

/** What to fix for each code that no redelivery can cure. */
const FIXES: ReadonlyMap<number, [name: string, fix: string]> = new Map([
  [
    3,
    [
      "INVALID_ARGUMENT",
      "Firestore refused the document itself: check MAX_RESPONSE_BYTES, MAX_REJECT_BYTES and the collection names",
    ],
  ],
  [
    5,
    [
      "NOT_FOUND",
      "the Firestore database or project does not exist: create the (default) database in Native mode, or set GOOGLE_CLOUD_PROJECT to the project that has it",
    ],
  ],
  [
    7,
    [
      "PERMISSION_DENIED",
      "grant the function's service account roles/datastore.user on the project, or set GOOGLE_CLOUD_PROJECT to the project it may write",
    ],
  ],
  [
    9,
    [
      "FAILED_PRECONDITION",
      "the database cannot take these writes (a Datastore-mode database, or one being created or deleted): use a Native-mode Firestore database",
    ],
  ],
  [11, ["OUT_OF_RANGE", "Firestore refused a value as out of range: check the configuration's limits"]],
  [
    12,
    ["UNIMPLEMENTED", "the Firestore endpoint does not implement this call: check FIRESTORE_EMULATOR_HOST"],
  ],
  [16, ["UNAUTHENTICATED", "the function has no valid credentials: check its service account"]],
]);

export type Failure =
  { permanent: false; code: string | undefined } | { permanent: true; code: string; fix: string };

/** Classifies a failed store call; errors without a gRPC code (a deadline of ours, a dropped socket) may pass. */
export function classifyFailure(error: unknown): Failure {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "number") return { permanent: false, code: undefined };
  const retryable = RETRYABLE_CODES.get(code);
  if (retryable !== undefined) return { permanent: false, code: retryable };
  const [name, fix] = FIXES.get(code) ?? [
    `code ${code}`,
    "the error is not one a redelivery can cure: see its message",
  ];
  return { permanent: true, code: name, fix };
}
