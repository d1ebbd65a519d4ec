// The history map against the contract (docs/contract.md §3): any order and any number of deliveries give the
// same entries, each response's text sits in its entry's slot, and no message writes more than the budget.
import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { planHistory, type History, type StoredHistory } from "../src/history.ts";
import { decideOutcome, type Version } from "../src/order.ts";

/** A service as the store keeps it: the document's version and map, and the slots' texts. */
interface Service {
  stored: StoredHistory | undefined;
  slots: Map<number, string>;
}

/** Applies one scan as the store's transaction does; returns the documents written. */
function apply(service: Service, incoming: Version, maxEntries: number): number {
  const outcome = decideOutcome(incoming, service.stored?.version);
  const plan = planHistory(incoming, service.stored, maxEntries);
  let writes = 0;
  if (plan.slot) {
    const text =
      plan.slot.text === "incoming" ? incoming.responseSha256 : service.stored!.version.responseSha256;
    service.slots.set(plan.slot.slot, text);
    writes++;
  }
  if (outcome === "stored" || plan.history) {
    expect(plan.history, "a winning scan always changes the map").toBeDefined();
    service.stored = {
      version: outcome === "stored" ? incoming : service.stored!.version,
      history: plan.history!,
    };
    writes++;
  }
  return writes;
}

/** The contract's history of a set of observations: per response, the oldest and newest scan time. */
function expectedHistory(observations: Version[]): Map<string, [number, number]> {
  const expected = new Map<string, [number, number]>();
  for (const { timestamp, responseSha256 } of observations) {
    const [first, last] = expected.get(responseSha256) ?? [timestamp, timestamp];
    expected.set(responseSha256, [Math.min(first, timestamp), Math.max(last, timestamp)]);
  }
  return expected;
}

const observation = fc.record({
  timestamp: fc.integer({ min: 1, max: 8 }),
  responseSha256: fc.constantFrom("a", "b", "c", "d", "e"),
});

/** A scan list, then the same scans in another order with duplicates. */
const deliveries = fc
  .array(observation, { minLength: 1, maxLength: 20 })
  .chain((scans) =>
    fc.tuple(
      fc.constant(scans),
      fc.shuffledSubarray([...scans, ...scans], { minLength: scans.length * 2, maxLength: scans.length * 2 }),
    ),
  );

function run(order: Version[], maxEntries: number): { service: Service; writes: number[] } {
  const service: Service = { stored: undefined, slots: new Map() };
  return { service, writes: order.map((incoming) => apply(service, incoming, maxEntries)) };
}

const entriesOf = (history: History) =>
  new Map(Object.entries(history).map(([sha, entry]) => [sha, [entry.firstSeen, entry.lastSeen]]));

describe("planHistory", () => {
  test("gives the contract's entries whatever the order and duplicates, under the cap", () => {
    fc.assert(
      fc.property(deliveries, ([scans, redelivered]) => {
        const { service } = run(redelivered, 5);
        expect(entriesOf(service.stored!.history!)).toEqual(expectedHistory(scans));
        // The current response is the winning scan's, and it has no slot.
        const winner = [...scans].sort((a, b) => (decideOutcome(a, b) === "stored" ? -1 : 1))[0]!;
        expect(service.stored!.version.responseSha256).toBe(winner.responseSha256);
        expect(service.stored!.history![winner.responseSha256]!.slot).toBeUndefined();
      }),
    );
  });

  test("keeps every other response's text in its own slot", () => {
    fc.assert(
      fc.property(deliveries, fc.integer({ min: 1, max: 5 }), ([, redelivered], maxEntries) => {
        const { service } = run(redelivered, maxEntries);
        const history = service.stored!.history!;
        expect(Object.keys(history).length).toBeLessThanOrEqual(maxEntries);
        const slots = Object.entries(history).filter(
          ([sha]) => sha !== service.stored!.version.responseSha256,
        );
        for (const [sha, entry] of slots) {
          expect(entry.slot).toBeGreaterThanOrEqual(0);
          expect(entry.slot).toBeLessThanOrEqual(maxEntries - 2);
          expect(service.slots.get(entry.slot!), `the slot of ${sha}`).toBe(sha);
        }
        expect(new Set(slots.map(([, entry]) => entry.slot)).size).toBe(slots.length);
      }),
    );
  });

  test("stays within the budget: nothing for a duplicate or a scan inside its range, one write for a newer scan of the stored response, two at most", () => {
    fc.assert(
      fc.property(deliveries, fc.integer({ min: 1, max: 5 }), ([, redelivered], maxEntries) => {
        const service: Service = { stored: undefined, slots: new Map() };
        for (const incoming of redelivered) {
          const before = service.stored && structuredClone(service.stored);
          const writes = apply(service, incoming, maxEntries);
          const entry = before?.history?.[incoming.responseSha256];
          const inside =
            entry !== undefined &&
            entry.firstSeen <= incoming.timestamp &&
            incoming.timestamp <= entry.lastSeen;
          if (before && decideOutcome(incoming, before.version) === "duplicate") expect(writes).toBe(0);
          else if (inside && decideOutcome(incoming, before!.version) !== "stored") expect(writes).toBe(0);
          else if (before && incoming.responseSha256 === before.version.responseSha256)
            expect(writes).toBe(1);
          else expect(writes).toBeLessThanOrEqual(2);
        }
      }),
    );
  });

  test("at every step equals a model of the contract's rules, cap and all, and writes only a changed map", () => {
    fc.assert(
      fc.property(deliveries, fc.integer({ min: 1, max: 4 }), ([, redelivered], maxEntries) => {
        const service: Service = { stored: undefined, slots: new Map() };
        let model = new Map<string, [number, number]>();
        let current: Version | undefined;
        for (const incoming of redelivered) {
          const before = structuredClone(service.stored?.history);
          const plan = planHistory(incoming, service.stored, maxEntries);
          if (plan.history !== undefined && before !== undefined) expect(plan.history).not.toEqual(before);
          apply(service, incoming, maxEntries);
          // The model: widen (or add) the entry, then drop the oldest entries but the current one, by lastSeen
          // and then sha, until the cap holds.
          const [first, last] = model.get(incoming.responseSha256) ?? [
            incoming.timestamp,
            incoming.timestamp,
          ];
          model.set(incoming.responseSha256, [
            Math.min(first, incoming.timestamp),
            Math.max(last, incoming.timestamp),
          ]);
          if (current === undefined || decideOutcome(incoming, current) === "stored") current = incoming;
          const droppable = [...model]
            .filter(([sha]) => sha !== current!.responseSha256)
            .sort(([a, [, lastA]], [b, [, lastB]]) => lastA - lastB || (a < b ? -1 : 1));
          model = new Map(
            [...model].filter(
              ([sha]) =>
                !droppable.slice(0, Math.max(0, model.size - maxEntries)).some(([gone]) => gone === sha),
            ),
          );
          expect(entriesOf(service.stored!.history ?? {})).toEqual(model);
          expect(service.stored!.history![current.responseSha256]!.slot).toBeUndefined();
        }
      }),
    );
  });

  test("beyond the cap drops the oldest entry, and a dropped response seen again starts anew", () => {
    const service: Service = { stored: undefined, slots: new Map() };
    for (const [timestamp, responseSha256] of [
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "a"],
    ] as const)
      apply(service, { timestamp, responseSha256 }, 2);
    // a (lastSeen 1) went when c came; seen again at 4, it starts a new entry.
    expect(entriesOf(service.stored!.history!)).toEqual(
      new Map([
        ["c", [3, 3]],
        ["a", [4, 4]],
      ]),
    );
    apply(service, { timestamp: 2, responseSha256: "b" }, 2);
    expect(service.stored!.history!.b).toBeUndefined(); // older than every kept entry: dropped at once
  });

  test("a document from before history starts its map at its stored scan, and a duplicate writes nothing", () => {
    const legacy: StoredHistory = { version: { timestamp: 5, responseSha256: "a" }, history: undefined };
    expect(planHistory({ timestamp: 5, responseSha256: "a" }, legacy, 50)).toStrictEqual({
      history: undefined,
      slot: undefined,
    });
    expect(planHistory({ timestamp: 7, responseSha256: "b" }, legacy, 50)).toEqual({
      history: { a: { firstSeen: 5, lastSeen: 5, slot: 0 }, b: { firstSeen: 7, lastSeen: 7 } },
      slot: { slot: 0, text: "stored" },
    });
  });

  test("with a cap of one, a newer response replaces the stored one outright, with no slot", () => {
    const one: StoredHistory = { version: { timestamp: 1, responseSha256: "a" }, history: undefined };
    expect(planHistory({ timestamp: 2, responseSha256: "b" }, one, 1)).toStrictEqual({
      history: { b: { firstSeen: 2, lastSeen: 2 } },
      slot: undefined,
    });
  });

  describe("with SERVICE_TTL_DAYS", () => {
    const stored: StoredHistory = {
      version: { timestamp: 10, responseSha256: "a" },
      history: { a: { firstSeen: 8, lastSeen: 10 }, b: { firstSeen: 3, lastSeen: 5, slot: 0 } },
    };

    test("writes a slot again when its entry is seen later, so its expiry follows; not without expiry", () => {
      const later = { timestamp: 7, responseSha256: "b" };
      expect(planHistory(later, stored, 50, { oldest: 0 }).slot).toEqual({ slot: 0, text: "incoming" });
      expect(planHistory(later, stored, 50).slot).toBeUndefined();
      expect(
        planHistory({ timestamp: 2, responseSha256: "b" }, stored, 50, { oldest: 0 }).slot,
      ).toBeUndefined();
    });

    test("drops expired entries with a write the message makes anyway, and never for a write of their own", () => {
      expect(planHistory({ timestamp: 11, responseSha256: "a" }, stored, 50, { oldest: 6 }).history).toEqual({
        a: { firstSeen: 8, lastSeen: 11 },
      });
      expect(planHistory({ timestamp: 10, responseSha256: "a" }, stored, 50, { oldest: 6 })).toEqual({
        history: undefined,
        slot: undefined,
      });
    });

    test("a new, older response gets its slot with its expiry; one dropped at the cap gets none", () => {
      expect(planHistory({ timestamp: 6, responseSha256: "c" }, stored, 50, { oldest: 0 }).slot).toEqual({
        slot: 1,
        text: "incoming",
      });
      expect(planHistory({ timestamp: 1, responseSha256: "c" }, stored, 2, { oldest: 0 })).toEqual({
        history: undefined,
        slot: undefined,
      });
    });

    test("dropping another expired entry keeps the slot of the response that stops being current", () => {
      expect(planHistory({ timestamp: 12, responseSha256: "c" }, stored, 50, { oldest: 9 })).toEqual({
        history: { a: { firstSeen: 8, lastSeen: 10, slot: 0 }, c: { firstSeen: 12, lastSeen: 12 } },
        slot: { slot: 0, text: "stored" },
      });
    });

    test("an expired response that stops being current goes without a slot", () => {
      const old: StoredHistory = { version: { timestamp: 2, responseSha256: "a" }, history: undefined };
      expect(planHistory({ timestamp: 10, responseSha256: "b" }, old, 50, { oldest: 5 })).toEqual({
        history: { b: { firstSeen: 10, lastSeen: 10 } },
        slot: undefined,
      });
      const kept = planHistory({ timestamp: 10, responseSha256: "b" }, old, 50, { oldest: 2 });
      expect(kept.slot).toEqual({ slot: 0, text: "stored" });
    });
  });
});
