// npm start's screen against a stand-in stream: what a terminal and a pipe receive, with the clock faked.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createScreen } from "../cli/start/screen.ts";
import { ZERO } from "../cli/start/status.ts";

/** A stream that keeps every write. */
function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns, write: (text: string) => writes.push(text) } };
}

const CLEAR = "\r\x1b[2K";

beforeEach(() => {
  // performance too: the status line's seconds come from performance.now().
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("npm start's screen", () => {
  test("prefixes a notice with npm start and prints other output as it is", () => {
    const { writes, stream } = fakeStream(false);
    const screen = createScreen(stream);
    screen.say("stopped");
    screen.print("function 1 | hello");
    expect(writes).toEqual(["npm start: stopped\n", "function 1 | hello\n"]);
  });

  test("on a pipe prints the status line every 5 seconds, each on a line of its own", () => {
    const { writes, stream } = fakeStream(false);
    const screen = createScreen(stream);
    let counts = { ...ZERO };
    const status = screen.startStatus(() => counts);
    vi.advanceTimersByTime(4_999);
    expect(writes).toEqual([]);
    counts = { ...counts, published: 10 };
    vi.advanceTimersByTime(1);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^5s {2}published 10 \(2\/s\) {2}stored 0 \(0\/s\).*\n$/);
    status.stop();
    vi.advanceTimersByTime(10_000);
    expect(writes).toHaveLength(1);
  });

  test("on a terminal rewrites the status line in place every second, and a notice goes above it", () => {
    const { writes, stream } = fakeStream(true, 400);
    const screen = createScreen(stream);
    const status = screen.startStatus(() => ZERO);
    vi.advanceTimersByTime(1_000);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^1s {2}published 0 \(0\/s\)/);
    vi.advanceTimersByTime(1_000);
    expect(writes[1]).toBe(CLEAR);
    expect(writes[2]).toMatch(/^2s /);
    writes.length = 0;
    screen.say("a notice");
    expect(writes).toEqual([CLEAR, "npm start: a notice\n", expect.stringMatching(/^2s /)]);
    writes.length = 0;
    status.stop();
    expect(writes).toEqual([CLEAR]);
    screen.say("after");
    expect(writes).toEqual([CLEAR, "npm start: after\n"]);
  });

  test("on a narrow terminal fits the status line within one character less than the width", () => {
    const { writes, stream } = fakeStream(true, 31);
    const screen = createScreen(stream);
    const status = screen.startStatus(() => ZERO);
    vi.advanceTimersByTime(1_000);
    expect(writes[0]).toHaveLength(30);
    status.stop();
  });

  test("close clears the status line and leaves it cleared", () => {
    const { writes, stream } = fakeStream(true, 400);
    const screen = createScreen(stream);
    screen.startStatus(() => ZERO);
    vi.advanceTimersByTime(1_000);
    writes.length = 0;
    screen.close();
    screen.print("last");
    expect(writes).toEqual([CLEAR, "last\n"]);
    vi.clearAllTimers();
  });
});
