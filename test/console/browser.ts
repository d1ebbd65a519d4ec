// Debian's Chromium driven by playwright-core, as the console's tests and benchmark use it: headless, no
// sandbox (CI runs as root), no background networking (no internet here), never a downloaded browser.
import { execFileSync } from "node:child_process";
import { chromium, type Browser } from "playwright-core";

/** The Chromium on PATH (`which chromium`), or an error that says how to install it. */
export function chromiumPath(): string {
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const path = execFileSync("which", [name], { encoding: "utf8" }).trim();
      if (path !== "") return path;
    } catch {
      // not this name
    }
  }
  throw new Error(
    "no chromium on PATH: install Debian's package (apt-get install chromium); .ci/run installs it when root",
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}
