// The function keeps its own copies of two defaults (it depends on no tool): they must equal the tools' ones.
import { emulatorProjectId, parseConfig } from "@scan-ingest/functions/config";
import { expect, test } from "vitest";
import { DEFAULT_COLLECTIONS, DEFAULT_PROJECT } from "../src/defaults.ts";

test("the function defaults to the tools' project under an emulator, and to their collections", () => {
  expect(emulatorProjectId).toBe(DEFAULT_PROJECT);
  const config = parseConfig({ FIRESTORE_EMULATOR_HOST: "127.0.0.1:8080" });
  expect(config.projectId).toBe(DEFAULT_PROJECT);
  expect({ services: config.servicesCollection, rejects: config.rejectsCollection }).toEqual(
    DEFAULT_COLLECTIONS,
  );
});
