import { describe, expect, test } from "vitest";
import { LockTable, LockTimeout, olderThan, type LockOwner } from "../src/locks.ts";

/** A transaction-like owner that records being wounded and releases its locks, as Transactions does. */
function owner(table: LockTable, age: number): LockOwner & { wounded: boolean } {
  const self = {
    id: `t${age}`,
    age,
    wounded: false,
    wound() {
      self.wounded = true;
      table.releaseAll(self, () => new Error("aborted"));
    },
  };
  return self;
}

const settled = async (promise: Promise<unknown>): Promise<string> => {
  const marker = Symbol("pending");
  const result = await Promise.race([
    promise.then(
      () => "granted",
      () => "failed",
    ),
    new Promise((r) => setImmediate(() => r(marker))),
  ]);
  return result === marker ? "waiting" : (result as string);
};

describe("lock table", () => {
  test("readers share a key", async () => {
    const table = new LockTable();
    const [a, b] = [owner(table, 1), owner(table, 2)];
    expect(await settled(table.withShared(a, ["k"], 1000, () => 1))).toBe("granted");
    expect(await settled(table.withShared(b, ["k"], 1000, () => 1))).toBe("granted");
    expect(table.size.lockedKeys).toBe(1);
  });

  test("a younger writer waits for an older reader and writes once it releases", async () => {
    const table = new LockTable();
    const [old, young] = [owner(table, 1), owner(table, 2)];
    await table.withShared(old, ["k"], 1000, () => undefined);
    const write = table.withExclusive(young, ["k"], 1000, () => "written");
    expect(await settled(write)).toBe("waiting");
    table.releaseAll(old);
    expect(await write).toBe("written");
    expect(old.wounded).toBe(false);
  });

  test("an older writer wounds a younger reader and writes at once", async () => {
    const table = new LockTable();
    const [old, young] = [owner(table, 1), owner(table, 2)];
    await table.withShared(young, ["k"], 1000, () => undefined);
    expect(await table.withExclusive(old, ["k"], 1000, () => "written")).toBe("written");
    expect(young.wounded).toBe(true);
  });

  test("a writer's own shared locks do not block it", async () => {
    const table = new LockTable();
    const self = owner(table, 1);
    await table.withShared(self, ["k"], 1000, () => undefined);
    expect(await settled(table.withExclusive(self, ["k"], 1000, () => 1))).toBe("granted");
  });

  test("a younger reader queues behind an older waiting writer instead of starving it", async () => {
    const table = new LockTable();
    const [oldest, writer, reader] = [owner(table, 1), owner(table, 2), owner(table, 3)];
    await table.withShared(oldest, ["k"], 1000, () => undefined);
    const write = table.withExclusive(writer, ["k"], 1000, () => "written");
    const read = table.withShared(reader, ["k"], 1000, () => "read");
    expect(await settled(read)).toBe("waiting");
    table.releaseAll(oldest);
    expect(await write).toBe("written");
    expect(await read).toBe("read");
  });

  test("two transactions that read a key and both want to write it end with the older writing and the younger aborted", async () => {
    const table = new LockTable();
    const [old, young] = [owner(table, 1), owner(table, 2)];
    await table.withShared(old, ["k"], 1000, () => undefined);
    await table.withShared(young, ["k"], 1000, () => undefined);
    const youngWrite = table.withExclusive(young, ["k"], 1000, () => "young");
    expect(await settled(youngWrite)).toBe("waiting");
    expect(await table.withExclusive(old, ["k"], 1000, () => "old")).toBe("old");
    await expect(youngWrite).rejects.toThrow("aborted");
    expect(young.wounded).toBe(true);
  });

  test("a wait that runs out fails with a lock timeout and leaves nothing waiting", async () => {
    const table = new LockTable();
    const [old, young] = [owner(table, 1), owner(table, 2)];
    await table.withShared(old, ["k"], 1000, () => undefined);
    await expect(table.withExclusive(young, ["k"], 5, () => 1)).rejects.toBeInstanceOf(LockTimeout);
    expect(table.size.waiting).toBe(0);
  });

  test("releasing every owner leaves the table empty", async () => {
    const table = new LockTable();
    const owners = [1, 2, 3].map((age) => owner(table, age));
    for (const each of owners) await table.withShared(each, ["a", "b"], 1000, () => undefined);
    for (const each of owners) table.releaseAll(each);
    expect(table.size).toEqual({ lockedKeys: 0, waiting: 0 });
  });

  test.each([
    [1, "a", 2, "b", true],
    [2, "a", 1, "b", false],
    [1, "a", 1, "b", true],
    [1, "b", 1, "a", false],
  ])("age %i id %s is older than age %i id %s: %s", (ageA, idA, ageB, idB, expected) => {
    const none = () => undefined;
    expect(olderThan({ id: idA, age: ageA, wound: none }, { id: idB, age: ageB, wound: none })).toBe(
      expected,
    );
  });
});
