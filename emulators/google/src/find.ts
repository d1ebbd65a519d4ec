// Where Google's emulators are on this machine, if anywhere: the Google Cloud CLI's components (Java 11+ is
// enough for the gcloud 528 releases) or the Firebase CLI's downloads (its releases need Java 21).
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One installation of both emulators and the Java that runs them. */
export interface GoogleEmulatorsInstall {
  /** "gcloud": the Google Cloud CLI's components; "firebase": the Firebase CLI's emulator cache. */
  source: "gcloud" | "firebase";
  /** The SDK root or the Firebase cache directory, for messages. */
  root: string;
  java: string;
  javaMajor: number;
  firestore: { jar: string; version: string };
  pubsub: { launcher: string; version: string };
}

/** The installation found, or why none can run, as a sentence that says what to install. */
export type FindResult = { found: GoogleEmulatorsInstall } | { missing: string };

const MIN_JAVA = { gcloud: 11, firebase: 21 } as const;

export const INSTALL_HINT =
  "install the Google Cloud CLI's emulator components (`gcloud components install cloud-firestore-emulator " +
  "pubsub-emulator beta`, or Debian's google-cloud-cli-firestore-emulator and google-cloud-cli-pubsub-emulator " +
  "packages) with Java 11 or later, or the Firebase CLI's emulators (`npx firebase setup:emulators:firestore` " +
  "and `setup:emulators:pubsub`) with Java 21; or use the embedded emulators (`npm run emulators:embedded`)";

/** Looks for Google's emulators: `prefer` first, then the other source; never downloads anything. */
export async function findGoogleEmulators(
  env: Readonly<Record<string, string | undefined>> = process.env,
  prefer?: "gcloud" | "firebase",
): Promise<FindResult> {
  const java = await findJava(env);
  const order: Array<"gcloud" | "firebase"> =
    prefer === "firebase" ? ["firebase", "gcloud"] : ["gcloud", "firebase"];
  const reasons: string[] = [];
  for (const source of prefer ? [prefer] : order) {
    const located = source === "gcloud" ? await gcloudComponents(env) : firebaseCache(env);
    if ("missing" in located) {
      reasons.push(located.missing);
      continue;
    }
    if (java === undefined) {
      reasons.push(`${located.description} found, but no Java (set JAVA_HOME or put java on PATH)`);
      continue;
    }
    if (java.major < MIN_JAVA[source]) {
      reasons.push(
        `${located.description} found, but they need Java ${MIN_JAVA[source]} or later and ${java.path} is Java ${java.major}`,
      );
      continue;
    }
    return { found: { ...located.install, java: java.path, javaMajor: java.major } };
  }
  return {
    missing: `Google's emulators cannot start here: ${reasons.join("; ")}. To use them, ${INSTALL_HINT}.`,
  };
}

type Located =
  { install: Omit<GoogleEmulatorsInstall, "java" | "javaMajor">; description: string } | { missing: string };

async function gcloudComponents(env: Readonly<Record<string, string | undefined>>): Promise<Located> {
  const root = await sdkRoot(env);
  if (root === undefined) return { missing: "no Google Cloud CLI (gcloud) on PATH" };
  const jar = join(root, "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar");
  const launcher = join(root, "platform/pubsub-emulator/bin/cloud-pubsub-emulator");
  const absent = [
    existsSync(jar) ? undefined : "cloud-firestore-emulator",
    existsSync(launcher) ? undefined : "pubsub-emulator",
  ].filter(Boolean);
  if (absent.length > 0)
    return { missing: `the Google Cloud CLI at ${root} lacks its ${absent.join(" and ")} component` };
  return {
    description: `the Google Cloud CLI's emulator components (${root})`,
    install: {
      source: "gcloud",
      root,
      firestore: { jar, version: componentVersion(root, "cloud-firestore-emulator") },
      pubsub: { launcher, version: componentVersion(root, "pubsub-emulator") },
    },
  };
}

/** The SDK root: CLOUDSDK_ROOT_DIR, else where the gcloud on PATH really lives. */
async function sdkRoot(env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  if (env.CLOUDSDK_ROOT_DIR && existsSync(env.CLOUDSDK_ROOT_DIR)) return env.CLOUDSDK_ROOT_DIR;
  const gcloud = onPath("gcloud", env);
  if (gcloud === undefined) return undefined;
  // bin/gcloud sits in the SDK root; asking `gcloud info` would cost a Python start (about a second).
  const root = dirname(dirname(realpathSync(gcloud)));
  if (existsSync(join(root, "platform"))) return root;
  try {
    const { stdout } = await run(gcloud, ["info", "--format=value(installation.sdk_root)"], {
      env: { ...env },
    });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

function componentVersion(root: string, id: string): string {
  try {
    const snapshot = JSON.parse(readFileSync(join(root, ".install", `${id}.snapshot.json`), "utf8")) as {
      components: { id: string; version: { version_string: string } }[];
    };
    return snapshot.components.find((component) => component.id === id)?.version.version_string ?? "unknown";
  } catch {
    return "unknown";
  }
}

function firebaseCache(env: Readonly<Record<string, string | undefined>>): Located {
  const root = env.FIREBASE_EMULATORS_PATH || join(homedir(), ".cache", "firebase", "emulators");
  const entries = existsSync(root) ? readdirSync(root) : [];
  const newest = (pattern: RegExp) =>
    entries
      .map((name) => ({ name, version: pattern.exec(name)?.[1] }))
      .filter((entry): entry is { name: string; version: string } => entry.version !== undefined)
      .sort((a, b) => compareVersions(b.version, a.version))[0];
  const firestore = newest(/^cloud-firestore-emulator-v(\d+\.\d+\.\d+)\.jar$/);
  const pubsub = newest(/^pubsub-emulator-(\d+\.\d+\.\d+)$/);
  const launcher = pubsub && join(root, pubsub.name, "pubsub-emulator/bin/cloud-pubsub-emulator");
  if (!firestore || !launcher || !existsSync(launcher))
    return { missing: `no Firebase CLI emulator downloads in ${root}` };
  return {
    description: `the Firebase CLI's emulators (${root})`,
    install: {
      source: "firebase",
      root,
      firestore: { jar: join(root, firestore.name), version: firestore.version },
      pubsub: { launcher, version: pubsub.version },
    },
  };
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
  for (let index = 0; index < 3; index++) if (x[index] !== y[index]) return x[index]! - y[index]!;
  return 0;
}

/** The java that JAVA_HOME or PATH names, with its major version; undefined when there is none. */
export async function findJava(
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ path: string; major: number } | undefined> {
  const fromHome = env.JAVA_HOME ? join(env.JAVA_HOME, "bin", "java") : undefined;
  const path = fromHome && existsSync(fromHome) ? fromHome : onPath("java", env);
  if (path === undefined) return undefined;
  try {
    // `java -version` writes to stderr: `openjdk version "17.0.15" ...` or `"1.8.0_402"` for Java 8.
    const { stderr } = await run(path, ["-version"]);
    const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr);
    if (!match) return undefined;
    const major = match[1] === "1" ? Number(match[2]) : Number(match[1]);
    return { path, major };
  } catch {
    return undefined;
  }
}

function onPath(command: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const directory of (env.PATH ?? "").split(delimiter)) {
    if (directory === "") continue;
    const candidate = join(directory, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
