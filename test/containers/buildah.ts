// Builds and runs this project's images with buildah (`--isolation chroot`, no daemon), for machines with
// the docker client but no engine. Everything lives in a private container storage under one directory,
// so the stand-in base image, the layers and the containers of a run are removed with it, and nothing
// of anyone else's storage is touched.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cp, mkdir, readdir, readFile, realpath, rm, stat, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const MIB = 1024 * 1024;

/** The official image the Dockerfile names by default (ARG BASE_IMAGE); the stand-in takes its name. */
export const BASE_IMAGE = "docker.io/library/node:24-slim";

/** Where a debootstrap result is kept between runs: building it is most of the stand-in's time. */
const ROOTFS_CACHE = "/var/tmp/scan-ingest-containers/bookworm-minbase.tar";

/** Runs a command, failing with its stderr; large outputs allowed. */
async function sh(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  try {
    const { stdout } = await run(command, args, { maxBuffer: 64 * MIB, ...options });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${failed.stderr?.trim() || failed.message}`);
  }
}

async function has(command: string): Promise<boolean> {
  return run("sh", ["-c", `command -v ${command}`]).then(
    () => true,
    () => false,
  );
}

/**
 * The machine's own PATH: npm scripts put node_modules/.bin first, whose npm is the project's, not the
 * machine's, and reads another global configuration (no cafile).
 */
function machineEnv(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? "").split(":").filter((entry) => !entry.includes("node_modules"));
  // npm run also passes its configuration down as npm_config_* (globalconfig among them).
  const own = Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_"));
  return { ...Object.fromEntries(own), PATH: path.join(":") };
}

/** Installs buildah and debootstrap from Debian's packages when missing; needs root. */
export async function ensureTools(): Promise<void> {
  const missing = [];
  for (const tool of ["buildah", "debootstrap"]) if (!(await has(tool))) missing.push(tool);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(
      `${missing.join(" and ")} missing; install them (apt-get install ${missing.join(" ")}) or run as root`,
    );
  await sh("apt-get", ["update", "-qq"]);
  await sh("apt-get", ["install", "-y", "-qq", ...missing]);
}

/** One private buildah storage and what was made in it. */
export class Buildah {
  readonly root: string;
  private readonly children = new Set<ChildProcess>();

  constructor(root: string) {
    this.root = root;
  }

  private global(): string[] {
    return [
      "--root",
      join(this.root, "storage"),
      "--runroot",
      join(this.root, "run"),
      "--storage-driver",
      "overlay",
    ];
  }

  /**
   * buildah's own scratch directories (one per `buildah run`, left behind when a run is killed) go under
   * this storage, so destroy() removes them with it instead of leaving them in /var/tmp.
   */
  private env(): NodeJS.ProcessEnv {
    return { ...process.env, TMPDIR: join(this.root, "tmp") };
  }

  /** `buildah <args>` in this storage. */
  async buildah(args: string[], cwd?: string): Promise<string> {
    await mkdir(join(this.root, "tmp"), { recursive: true });
    return sh("buildah", [...this.global(), ...args], { cwd, env: this.env() });
  }

  /**
   * The stand-in for node:24-slim: Debian bookworm (debootstrap minbase), this repository's Node 24 (the
   * `node` package from the npm registry) and the machine's npm, the `node` user (uid 1000) as in the
   * official image, and the CA file the machine's npm trusts, which npm inside a build needs here.
   */
  async buildStandIn(nodeBinary: string): Promise<void> {
    const version = (await sh(nodeBinary, ["--version"])).trim();
    if (!version.startsWith("v24."))
      throw new Error(
        `${nodeBinary} is Node ${version}, not 24; run npm ci to install the pinned node package`,
      );
    const rootfs = join(this.root, "rootfs");
    await mkdir(rootfs, { recursive: true });
    try {
      await stat(ROOTFS_CACHE);
      await sh("tar", ["-C", rootfs, "-xf", ROOTFS_CACHE]);
    } catch {
      await sh("debootstrap", ["--variant=minbase", "bookworm", rootfs, "http://deb.debian.org/debian"]);
      await this.unmountUnder(rootfs);
      await mkdir(dirname(ROOTFS_CACHE), { recursive: true });
      await sh("tar", ["-C", rootfs, "-cf", `${ROOTFS_CACHE}.partial`, "."]);
      await sh("mv", [`${ROOTFS_CACHE}.partial`, ROOTFS_CACHE]);
    }
    await sh("sh", [
      "-c",
      `rm -rf ${rootfs}/dev/* ${rootfs}/var/lib/apt/lists/* ${rootfs}/var/cache/apt/* ${rootfs}/usr/share/doc/* ${rootfs}/usr/share/man/*`,
    ]);
    await cp(nodeBinary, join(rootfs, "usr/local/bin/node"));
    const npmCli = await realpath((await sh("sh", ["-c", "command -v npm"], { env: machineEnv() })).trim());
    const npmRoot = dirname(dirname(npmCli));
    await cp(npmRoot, join(rootfs, "usr/local/lib/node_modules/npm"), { recursive: true });
    await symlink("../lib/node_modules/npm/bin/npm-cli.js", join(rootfs, "usr/local/bin/npm"));
    await symlink("../lib/node_modules/npm/bin/npx-cli.js", join(rootfs, "usr/local/bin/npx"));
    await sh("chroot", [rootfs, "groupadd", "--gid", "1000", "node"]);
    await sh("chroot", [
      rootfs,
      "useradd",
      "--uid",
      "1000",
      "--gid",
      "node",
      "--shell",
      "/bin/bash",
      "--create-home",
      "node",
    ]);
    const env = [`NODE_VERSION=${version.slice(1)}`];
    const cafile = (await sh("npm", ["config", "get", "cafile"], { env: machineEnv() })).trim();
    if (cafile !== "" && cafile !== "null" && cafile !== "undefined") {
      await cp(cafile, join(rootfs, "usr/local/share/npm-ca.crt"));
      env.push("NODE_EXTRA_CA_CERTS=/usr/local/share/npm-ca.crt");
    }
    const container = (await this.buildah(["from", "scratch"])).trim();
    try {
      await this.buildah(["add", container, `${rootfs}/`, "/"]);
      const config = [
        "--cmd",
        "node",
        "--env",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      ];
      for (const variable of env) config.push("--env", variable);
      await this.buildah(["config", ...config, container]);
      await this.buildah(["commit", "--quiet", container, BASE_IMAGE]);
    } finally {
      await this.buildah(["rm", container]);
      await rm(rootfs, { recursive: true, force: true });
    }
  }

  /**
   * `buildah bud` of one target of the context's Dockerfile with its default base (pulled never: the stand-in
   * stands in); buildah skips the stages the target does not need.
   */
  async build(target: string, tag: string, context: string): Promise<void> {
    await this.buildah(
      [
        "bud",
        "--isolation",
        "chroot",
        "--layers",
        "--pull=never",
        "--quiet",
        "-f",
        "Dockerfile",
        "--target",
        target,
        "-t",
        tag,
        ".",
      ],
      context,
    );
  }

  /** The image's size in bytes and its OCI config (User, Entrypoint, Cmd, Env). */
  async inspect(tag: string): Promise<{ size: number; config: ImageConfig }> {
    const info = JSON.parse(await this.buildah(["inspect", "--type", "image", tag]));
    // The unpacked size: the sum of the layers' uncompressed sizes, as `docker images` shows it.
    const shown = (await this.buildah(["images", "--format", "{{.Size}}", "--noheading", tag])).trim();
    const [, amount, unit] = /^([\d.]+)\s*(B|kB|MB|GB)/.exec(shown) ?? [];
    if (amount === undefined) throw new Error(`buildah images shows no size for ${tag}: "${shown}"`);
    const scale = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[unit as "B" | "kB" | "MB" | "GB"];
    return { size: Number(amount) * scale, config: info.OCIv1.config as ImageConfig };
  }

  /**
   * Starts the image's entrypoint and command (the given command replaces the image's CMD, as compose's
   * `command` does) in a new container; env and bind mounts as given. The host network: chroot isolation.
   */
  async start(tag: string, options: StartOptions): Promise<Running> {
    const { config } = await this.inspect(tag);
    const container = (
      await this.buildah(["from", "--pull=never", "--quiet", "--name", options.name, tag])
    ).trim();
    const argv = [
      ...(options.entrypoint ?? config.Entrypoint ?? []),
      ...(options.command ?? config.Cmd ?? []),
    ];
    const args = [...this.global(), "run", "--isolation", "chroot"];
    for (const [name, value] of Object.entries(options.env)) args.push("--env", `${name}=${value}`);
    for (const volume of options.volumes ?? []) args.push("--volume", volume);
    args.push(container, "--", ...argv);
    const child = spawn("buildah", args, { stdio: ["ignore", "pipe", "pipe"], env: this.env() });
    this.children.add(child);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    void exited.then(() => this.children.delete(child));
    return { container, child, exited, output: () => output };
  }

  /**
   * Sends `signal` to the container's main process, as `docker stop` does: buildah itself answers SIGTERM
   * with SIGKILL to the container, so the signal goes to the first descendant running `program`.
   */
  async signal(running: Running, program: string, signal: NodeJS.Signals): Promise<void> {
    // Parents from /proc/*/stat: buildah is Go, and any of its threads may have started the child.
    const parents = new Map<number, number[]>();
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(parent, [...(parents.get(parent) ?? []), Number(entry)]);
    }
    const queue = [...(parents.get(running.child.pid!) ?? [])];
    const seen: string[] = [];
    while (queue.length > 0) {
      const pid = queue.shift()!;
      const argv0 = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0")[0]!;
      seen.push(`${pid} ${argv0}`);
      if (basename(argv0) === program) {
        process.kill(pid, signal);
        return;
      }
      queue.push(...(parents.get(pid) ?? []));
    }
    throw new Error(`no ${program} process under buildah run ${running.container}: ${seen.join(", ")}`);
  }

  /** Unmounts whatever is mounted below `path` (debootstrap's /proc, overlay layers), deepest first. */
  async unmountUnder(path: string): Promise<void> {
    const mounts = (await readFile("/proc/mounts", "utf8"))
      .split("\n")
      .map((line) => line.split(" ")[1] ?? "")
      .filter((mount) => mount === path || mount.startsWith(`${path}/`))
      .sort((a, b) => b.length - a.length);
    for (const mount of mounts) await sh("umount", ["-l", mount]).catch(() => undefined);
  }

  /** Stops what still runs, removes every container and image of this storage, then the storage itself. */
  async destroy(): Promise<void> {
    for (const child of this.children) child.kill("SIGKILL");
    await this.buildah(["rm", "--all"]).catch(() => undefined);
    await this.buildah(["rmi", "--all", "--force"]).catch(() => undefined);
    await sh("buildah", [...this.global(), "unshare", "true"]).catch(() => undefined);
    await this.unmountUnder(this.root);
    await rm(this.root, { recursive: true, force: true });
  }

  /** Writes a file into the storage directory (e.g. a record file shared with a container). */
  async scratchFile(name: string, text: string): Promise<string> {
    const path = join(this.root, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    return path;
  }
}

/** What an OCI image config says about how to run it. */
export interface ImageConfig {
  User?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
}

export interface StartOptions {
  name: string;
  env: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
  volumes?: string[];
}

/** A running container: its buildah process, exit code when done, and what it printed so far. */
export interface Running {
  container: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}
