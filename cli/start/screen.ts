// npm start's terminal: notices on stderr and one live status line, rewritten in place on a terminal and
// printed every few seconds elsewhere (a pipe, a CI log).
import { fitStatus, formatStatus, type Counts } from "./status.ts";

/** The stream the screen writes to: process.stderr, or a test's stand-in. */
export interface ScreenStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type Screen = ReturnType<typeof createScreen>;

/** A screen on `stream` with one status line: rewritten in place on a terminal, else printed every few seconds. */
export function createScreen(stream: ScreenStream) {
  const tty = stream.isTTY === true;
  let status = "";
  const clear = () => {
    if (tty && status !== "") stream.write("\r\x1b[2K");
  };
  const draw = () => {
    // One character short of the width, or the terminal wraps and \r no longer returns to the start.
    const width = (stream.columns || 200) - 1;
    if (tty && status !== "") stream.write(fitStatus(status, width));
  };
  const print = (text: string) => {
    clear();
    stream.write(`${text}\n`);
    draw();
  };
  return {
    print,
    say: (text: string) => print(`npm start: ${text}`),
    /** `shares`: what each instance acknowledged so far, shown when there are several. */
    startStatus(read: () => Counts, shares: () => readonly number[] = () => []) {
      const started = performance.now();
      let previous = { counts: read(), at: performance.now() };
      const timer = setInterval(
        () => {
          const now = { counts: read(), at: performance.now() };
          const line = formatStatus(
            now.counts,
            previous.counts,
            (now.at - previous.at) / 1000,
            (now.at - started) / 1000,
            shares(),
          );
          previous = now;
          if (tty) {
            clear();
            status = line;
            draw();
          } else {
            stream.write(`${line}\n`);
          }
        },
        tty ? 1_000 : 5_000,
      );
      return {
        stop() {
          clearInterval(timer);
          clear();
          status = "";
        },
      };
    },
    close() {
      clear();
      status = "";
    },
  };
}
