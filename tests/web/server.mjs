// server.mjs - shared by e2e.mjs and load.mjs: where the build is, and `llmplan serve --port 0`
// started as a child process whose first stdout line says the port it got.
import { spawn, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const build = resolve(repo, process.env.LLMPLAN_BUILD || "build");
export const bin = join(build, "llmplan");

// The server reads only the embedded catalog; the CLI must not find a local HF cache either.
export const cliEnv = {
  ...process.env,
  HF_HOME: "/nonexistent/llmplan-web-test",
  HF_HUB_CACHE: "/nonexistent/llmplan-web-test/hub",
  HF_HUB_OFFLINE: "1",
};

export function requireBinary() {
  if (!existsSync(bin)) {
    console.error(`${bin} not found: build first (make build), or set LLMPLAN_BUILD`);
    process.exit(1);
  }
}

// Run the CLI and parse its JSON output (exit 3, "does not fit", still prints JSON).
export function cliJson(args) {
  let out;
  try {
    out = execFileSync(bin, args, { env: cliEnv, encoding: "utf8" });
  } catch (e) {
    if (e.status !== 3) throw e;
    out = e.stdout;
  }
  return JSON.parse(out);
}

// Start `llmplan serve --port 0`; resolves to { url, child, stop() }.
export function startServer(extraArgs = []) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, ["serve", "--port", "0", "--quiet", ...extraArgs], {
      env: cliEnv,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let buf = "";
    const timer = setTimeout(() => reject(new Error("llmplan serve printed no address in 10 s")), 10000);
    child.on("exit", (code) => reject(new Error(`llmplan serve exited early with ${code}`)));
    child.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/listening on (http:\/\/\S+\/)/);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      const stop = () =>
        new Promise((done) => {
          if (child.exitCode !== null) return done(child.exitCode);
          child.once("exit", (code, sig) => done(code ?? sig));
          child.kill("SIGTERM");
        });
      resolvePromise({ url: m[1], child, stop });
    });
  });
}
