// The capacity model on the deployed index file: no index of ours may cap the design below the target,
// and an index that would (a composite under a low-cardinality prefix, a time field no longer exempt) is named
// as hot and as the first ceiling. No measurement here: the CPU per message is the one at which max instances
// hold exactly the target, so the limits sit at the target too.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { SHARDS, SHARDS_PER_QUERY } from "@scan-ingest/functions/shard";
import { loadSettings } from "../../cli/deploy/plan.ts";
import {
  capacityModel,
  rampTo,
  TARGET_SCANS_PER_SEC,
  type Measured,
  type Scaling,
} from "./capacity-model.ts";
import { loadPrices } from "./cost.ts";
import {
  indexCeilings,
  indexesOf,
  collectionsUnder,
  SCANNER_TRAFFIC,
  type IndexConfiguration,
} from "./index-ceilings.ts";

const root = new URL("../../", import.meta.url);
const indexFile = (
  JSON.parse(readFileSync(new URL("firebase.json", root), "utf8")) as { firestore: { indexes: string } }
).firestore.indexes;
const deployed = JSON.parse(readFileSync(new URL(indexFile, root), "utf8")) as IndexConfiguration;

const scaling: Scaling = {
  maxInstances: loadSettings().maxInstances,
  targetCpuUtilization: loadPrices().cloudRunTargetCpuUtilization.value,
};
const atTarget: Measured = {
  cpuMsPerMessage: (scaling.maxInstances * scaling.targetCpuUtilization * 1000) / TARGET_SCANS_PER_SEC,
  readsPerMessage: 1,
  writesPerMessage: 1,
};

const servicesComposite = (...fields: Array<[string, "ASCENDING" | "DESCENDING"]>) => ({
  collectionGroup: "services",
  queryScope: "COLLECTION",
  fields: fields.map(([fieldPath, order]) => ({ fieldPath, order })),
});
const withoutOverride = (collection: string, field: string): IndexConfiguration => ({
  ...deployed,
  fieldOverrides: (deployed.fieldOverrides ?? []).filter(
    (override) => !(override.collectionGroup === collection && override.fieldPath === field),
  ),
});

describe("the deployed indexes", () => {
  const model = capacityModel(deployed, atTarget, scaling);

  test("hold the target: no index is hot, and the first ceiling is not an index", () => {
    expect(model.hot.map((index) => index.name)).toEqual([]);
    expect(indexCeilings(deployed).filter((index) => index.scansPerSec < TARGET_SCANS_PER_SEC)).toEqual([]);
    expect(model.limits.map((limit) => limit.name)).toContain(model.firstCeiling.name);
    expect(model.ceilingScansPerSec).toBeCloseTo(TARGET_SCANS_PER_SEC);
  });

  test("include Firestore's automatic single-field indexes on every field no override exempts", () => {
    const names = indexesOf(deployed, collectionsUnder(SCANNER_TRAFFIC)).map((index) => index.name);
    expect(names).toEqual(
      expect.arrayContaining(["services port asc (single-field)", "rejects reason desc (single-field)"]),
    );
    expect(names).not.toContain("services scannedAt desc (single-field)");
    expect(names).toEqual(expect.arrayContaining(["services document ids", "rejects document ids"]));
  });
});

describe("an index the model finds hot", () => {
  test.each<[string, IndexConfiguration, string]>([
    [
      "a (port, scannedAt desc) composite",
      {
        ...deployed,
        indexes: [...deployed.indexes, servicesComposite(["port", "ASCENDING"], ["scannedAt", "DESCENDING"])],
      },
      "services (port asc, scannedAt desc)",
    ],
    [
      "a (service, scannedAt desc) composite",
      {
        ...deployed,
        indexes: [
          ...deployed.indexes,
          servicesComposite(["service", "ASCENDING"], ["scannedAt", "DESCENDING"]),
        ],
      },
      "services (service asc, scannedAt desc)",
    ],
    [
      "scannedAt without its exemption",
      withoutOverride("services", "scannedAt"),
      "services scannedAt asc (single-field)",
    ],
    [
      "updatedAt without its exemption",
      withoutOverride("services", "updatedAt"),
      "services updatedAt asc (single-field)",
    ],
  ])("names %s as hot and as the first ceiling", (_name, configuration, index) => {
    const model = capacityModel(configuration, atTarget, scaling);
    expect(model.hot.map((hot) => hot.name)).toContain(index);
    expect(model.firstCeiling.name).toBe(model.hot[0]!.name);
    expect(model.ceilingScansPerSec).toBeLessThan(TARGET_SCANS_PER_SEC);
  });

  test("caps the design before the shards at about 500 scans/s: scannedAt's one descending index", () => {
    const before = withoutOverride("services", "scannedAt");
    before.fieldOverrides!.push({
      collectionGroup: "services",
      fieldPath: "scannedAt",
      indexes: [{ order: "DESCENDING", queryScope: "COLLECTION" }],
    });
    const model = capacityModel(before, atTarget, scaling);
    expect(model.firstCeiling.name).toBe("services scannedAt desc (single-field)");
    expect(model.ceilingScansPerSec).toBeCloseTo(500 / (1 - SCANNER_TRAFFIC.rejectShare));
  });

  test("spreads a time-ordered index under ip: one host's services are far below a range's rate", () => {
    const ip = indexCeilings(deployed).find((index) => index.name === "services (ip asc, scannedAt desc)");
    expect(ip).toMatchObject({
      scansPerSec: Infinity,
      hottestRange: expect.stringContaining(`at most ${SCANNER_TRAFFIC.hostScansPerSec} writes/s`),
    });
  });
});

describe("the shards", () => {
  test("are enough at the target, and the model says how many a faster function needs", () => {
    expect(capacityModel(deployed, atTarget, scaling).shardsNeeded).toBeLessThanOrEqual(SHARDS);
    // Three times as fast a function: max instances pass the unfiltered listing's index, the new ceiling.
    const fast = capacityModel(
      deployed,
      { ...atTarget, cpuMsPerMessage: atTarget.cpuMsPerMessage / 3 },
      scaling,
    );
    expect(fast.firstCeiling.name).toBe("services (shard asc, scannedAt desc)");
    expect(fast.indexMargin).toBeLessThan(1);
    expect(fast.shardsNeeded).toBeGreaterThan(SHARDS);
    expect(fast.shardsNeeded % SHARDS_PER_QUERY).toBe(0);
    const index = fast.hot[0]!;
    expect((index.scansPerSec * fast.shardsNeeded) / SHARDS).toBeGreaterThanOrEqual(
      fast.limits[0]!.scansPerSec,
    );
  });
});

describe("the model refuses", () => {
  test.each<[string, IndexConfiguration, RegExp]>([
    [
      "a field no document has",
      { indexes: [servicesComposite(["shards", "ASCENDING"])] },
      /services\.shards/,
    ],
    [
      "a collection nothing writes",
      { indexes: [{ collectionGroup: "hosts", fields: [{ fieldPath: "ip", order: "ASCENDING" }] }] },
      /"hosts"/,
    ],
  ])("an index on %s, naming it", (_name, configuration, message) => {
    expect(() => indexCeilings(configuration)).toThrow(message);
  });
});

describe("the 500/50/5 ramp", () => {
  test.each([
    [250, 0, 0],
    [1_000, 4, 20],
    [10_000, 10, 50],
    [20_000, 11, 55],
  ])("reaches %i scans/s (2 operations each) in %i steps, %i minutes", (scans, steps, minutes) => {
    expect(rampTo(scans, { cpuMsPerMessage: 1, readsPerMessage: 1, writesPerMessage: 1 })).toMatchObject({
      steps,
      minutes,
    });
  });
});
