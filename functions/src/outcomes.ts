// The outcome words of docs/contract.md §7, in a module without imports: the log line, the pipeline's counts,
// npm start's status line and the console's page all take them from here.

/** What happened to one message: four acknowledge it; `failed` does not, and Pub/Sub redelivers it. */
export const OUTCOMES = ["stored", "stale", "duplicate", "rejected", "failed"] as const;
export type Outcome = (typeof OUTCOMES)[number];
