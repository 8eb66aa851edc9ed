// e2e.mjs - the page of `llmplan serve` in headless Debian Chromium, driven by playwright-core.
//
// Starts `build/llmplan serve --port 0`, opens the page, types a model id into the search box
// and picks it from the suggestions, picks the H100, and checks that the page shows what
// `llmplan plan --json` prints for the same input: #kv-tokens[data-value] equals kv_tokens,
// #verdict says whether it fits and #memory-chart has one segment per non-zero memory part.
// Then tensor parallelism, a configuration that does not fit and a pasted config.json. Then
// the recommend view: for the same inputs the page ranks the same deployments, in the same
// order, as `llmplan recommend --json` (a dense model under a request rate, an MoE model under
// a closed loop), with the same capacity and replicas, the rejection summary, the `vllm serve`
// command, its copy button and the deployment files to download, and a cost / latency chart
// with axis ticks. Also opens the HTML report of `llmplan plan --report` when the CLI has that
// option. Screenshots go to build/web-screenshots/ (CI artifacts). The page must log no errors.
//
// Chromium: /usr/bin/chromium (Debian's package; CHROMIUM_PATH overrides). Missing, the test
// is skipped, except under CI=true, where it fails.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, bin, cliEnv, cliJson, requireBinary, startServer } from "./server.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
// As the machine notes say Chromium starts reliably here: no sandbox (root), no GPU, and no
// background connections (this machine's network refuses them).
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const TIMEOUT_MS = 15000;
const shots = join(build, "web-screenshots");

if (!existsSync(CHROMIUM)) {
  const msg = `e2e: ${CHROMIUM} not found (apt-get install chromium)`;
  if (process.env.CI === "true") {
    console.error(msg);
    process.exit(1);
  }
  console.log(msg + ": browser test skipped");
  process.exit(0);
}
requireBinary();
const { chromium } = await import("playwright-core");

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}

// Segments the page draws: every memory part above zero, plus the memory vLLM is not given.
function expectedSegments(plan) {
  const m = plan.memory;
  const parts = [m.weights_gib, m.activation_gib, m.non_torch_gib, m.cuda_graph_gib,
                 Math.max(0, m.kv_cache_gib), m.total_gib - m.budget_gib];
  return parts.filter((v) => v > 0).length;
}

async function waitKv(page, expected, what) {
  try {
    await page.waitForFunction(
      (v) => document.querySelector("#kv-tokens").dataset.value === v,
      String(expected), { timeout: TIMEOUT_MS });
    check(true, `${what}: #kv-tokens data-value = ${expected}`);
  } catch {
    const got = await page.$eval("#kv-tokens", (e) => e.dataset.value);
    const err = await page.$eval("#error", (e) => e.textContent);
    check(false, `${what}: #kv-tokens data-value = ${got}, expected ${expected} ${err}`);
  }
}

async function checkPlan(page, plan, what) {
  await waitKv(page, plan.kv_tokens, what);
  const verdict = (await page.textContent("#verdict")).trim();
  check(verdict === (plan.fits ? "Fits" : "Does not fit"), `${what}: #verdict "${verdict}"`);
  const segs = await page.$$eval("#memory-chart rect.seg", (r) => r.length);
  check(segs === expectedSegments(plan),
        `${what}: #memory-chart has ${segs} segments, expected ${expectedSegments(plan)}`);
  const shown = (await page.textContent("#kv-tokens")).replace(/,/g, "");
  check(shown === String(plan.kv_tokens), `${what}: #kv-tokens shows ${shown}`);
}

mkdirSync(shots, { recursive: true });
const server = await startServer();
console.log(`e2e: ${server.url}`);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  // 4xx answers to inputs being typed (an unknown or partial model id) are the API working;
  // Chromium logs each as a console error, so only other console errors count.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith("data:"))
      errors.push(`request outside the server: ${r.url()}`);
  });
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelectorAll("#gpu option").length > 10);

  // 1. search as you type, pick from the suggestions, pick H100
  const id = "meta-llama/Llama-3.1-8B-Instruct";
  await page.fill("#model", "");
  await page.click("#model");
  await page.type("#model", "llama-3.1-8b", { delay: 40 });
  await page.waitForSelector(`#model-suggestions li[data-id="${id}"]`, { timeout: TIMEOUT_MS });
  const n = await page.$$eval("#model-suggestions li", (l) => l.length);
  check(n >= 1, `typing "llama-3.1-8b" suggests ${n} model(s), ${id} among them`);
  await page.screenshot({ path: join(shots, "01-search-as-you-type.png") });
  await page.click(`#model-suggestions li[data-id="${id}"]`);
  check((await page.inputValue("#model")) === id, "clicking a suggestion fills #model");
  await page.selectOption("#gpu", "H100 SXM");
  await page.fill("#num-gpus", "1");
  await page.fill("#tp", "1");
  const plan1 = cliJson(["plan", "--model", id, "--gpu", "H100", "--json"]);
  await checkPlan(page, plan1, "Llama-3.1-8B on 1 x H100");
  await page.waitForFunction(() => document.querySelector("#ttft").textContent.includes("ms"),
                             null, { timeout: TIMEOUT_MS });
  await page.waitForSelector("#perf-chart path.tok", { timeout: TIMEOUT_MS });
  const est = cliJson(["estimate", "--model", id, "--gpu", "H100", "--random-input-len", "1024",
                       "--random-output-len", "128", "--max-concurrency", "16", "--json"]);
  const tput = (await page.textContent("#throughput")).replace(/,/g, "");
  check(tput === String(Math.round(est.output_throughput)),
        `#throughput ${tput} = llmplan estimate's output_throughput ${est.output_throughput}`);
  await page.screenshot({ path: join(shots, "02-plan-llama-8b-h100.png"), fullPage: true });

  // 2. tensor parallelism: a 70B model over 2 H100s
  const id70 = "meta-llama/Llama-3.3-70B-Instruct";
  await page.fill("#model", id70);
  await page.fill("#num-gpus", "2");
  await page.fill("#tp", "2");
  await checkPlan(page, cliJson(["plan", "--model", id70, "--gpu", "H100", "-tp", "2", "--json"]),
                  "Llama-3.3-70B on 2 x H100, tp 2");
  await page.screenshot({ path: join(shots, "03-plan-llama-70b-2xh100.png"), fullPage: true });

  // 3. does not fit: the same on one L4
  await page.fill("#num-gpus", "1");
  await page.fill("#tp", "1");
  await page.selectOption("#gpu", "L4");
  await checkPlan(page, cliJson(["plan", "--model", id70, "--gpu", "L4", "--json"]),
                  "Llama-3.3-70B on 1 x L4 (does not fit)");
  const vllmErr = await page.textContent("#vllm-error");
  check(vllmErr.includes("vLLM would say"), "the page shows vLLM's error text");
  await page.screenshot({ path: join(shots, "04-does-not-fit.png"), fullPage: true });

  // 4. a pasted config.json (a small Llama-architecture model written here)
  const cfg = {
    architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: 2048,
    intermediate_size: 5632, num_attention_heads: 32, num_key_value_heads: 4,
    num_hidden_layers: 22, vocab_size: 32000, max_position_embeddings: 2048,
    rms_norm_eps: 1e-5, torch_dtype: "bfloat16", tie_word_embeddings: false,
  };
  const dir = mkdtempSync(join(tmpdir(), "llmplan-e2e-"));
  writeFileSync(join(dir, "config.json"), JSON.stringify(cfg));
  const planCfg = cliJson(["plan", "--model", join(dir, "config.json"), "--gpu", "A10G", "--json"]);
  rmSync(dir, { recursive: true, force: true });
  await page.selectOption("#gpu", "A10G");
  await page.click("#config-box summary");
  await page.fill("#config", JSON.stringify(cfg, null, 2));
  await checkPlan(page, planCfg, "pasted config.json on 1 x A10G");
  await page.screenshot({ path: join(shots, "05-pasted-config.png"), fullPage: true });

  // 5. a bad input shows the server's message, and the page recovers
  await page.fill("#config", "");
  await page.fill("#model", "nobody/no-such-model");
  await page.waitForFunction(() => document.querySelector("#error").textContent.includes("unknown model"),
                             null, { timeout: TIMEOUT_MS });
  check(true, "an unknown model shows the server's error");
  await page.screenshot({ path: join(shots, "06-unknown-model.png"), fullPage: true });

  // 6. narrow screen
  await page.setViewportSize({ width: 420, height: 900 });
  await page.fill("#model", id);
  await page.selectOption("#gpu", "H100 SXM");
  await waitKv(page, plan1.kv_tokens, "narrow viewport");
  await page.screenshot({ path: join(shots, "07-narrow.png"), fullPage: true });

  // 7. the recommend view gives the ranking of `llmplan recommend --json`
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.fill("#model", id);
  await page.selectOption("#gpu", "H100 SXM");
  await page.waitForSelector("#perf-chart path.tok", { timeout: TIMEOUT_MS });
  const tickLabels = await page.$$eval("#perf-chart text.tick-label", (t) => t.length);
  check(tickLabels >= 10, `#perf-chart has ${tickLabels} tick labels on its axes`);
  await page.click("#tab-recommend");
  const cases = [
    { what: "Llama-3.3-70B, 2000/300, 10 req/s, TTFT <= 1500, TPOT <= 50 ms on H100/A100/L40S/H200, " +
            "<= 8 GPUs, quantization allowed",
      model: "meta-llama/Llama-3.3-70B-Instruct",
      gpus: ["H100 SXM", "A100 80GB SXM", "L40S", "H200 SXM"], maxGpus: 8, input: 2000,
      output: 300, kind: "rate", load: 10, ttft: 1500, tpot: 50, quant: true },
    { what: "Llama-3.1-8B, 5 req/s, TTFT <= 500, TPOT <= 40 ms on H100/L40S, <= 4 GPUs",
      model: id, gpus: ["H100 SXM", "L40S"], maxGpus: 4, input: 1024, output: 256,
      kind: "rate", load: 5, ttft: 500, tpot: 40 },
    { what: "Qwen3-30B-A3B, 1000/500, 64 concurrent, TPOT <= 40 ms on H100/L40S/A100, <= 4 GPUs",
      model: "Qwen/Qwen3-30B-A3B", gpus: ["H100 SXM", "L40S", "A100 80GB SXM"], maxGpus: 4,
      input: 1000, output: 500, kind: "concurrency", load: 64, ttft: "", tpot: 40 },
  ];
  let answers = 0;
  for (const k of cases) {
    await page.fill("#rec-model", k.model);
    await page.$$eval("#rec-gpus input", (cbs, want) => {
      for (const cb of cbs) cb.checked = want.includes(cb.value);
    }, k.gpus);
    await page.fill("#rec-max-gpus", String(k.maxGpus));
    await page.setChecked("#rec-allow-quant", Boolean(k.quant));
    await page.fill("#rec-input-len", String(k.input));
    await page.fill("#rec-output-len", String(k.output));
    await page.selectOption("#rec-load-kind", k.kind);
    await page.fill("#rec-load", String(k.load));
    await page.fill("#rec-ttft", String(k.ttft));
    await page.fill("#rec-tpot", String(k.tpot));
    await page.fill("#rec-top", "10");
    await page.click("#rec-run");
    answers++;
    await page.waitForFunction((n) => document.body.dataset.recommended === String(n), answers,
                               { timeout: 60000 });
    const args = ["recommend", "--model", k.model, "--gpus", k.gpus.join(","),
                  "--max-gpus", String(k.maxGpus), "--random-input-len", String(k.input),
                  "--random-output-len", String(k.output),
                  k.kind === "rate" ? "--request-rate" : "--max-concurrency", String(k.load),
                  "--max-tpot-ms", String(k.tpot), "--top", "10", "--json"];
    if (k.ttft) args.push("--max-ttft-ms", String(k.ttft));
    if (k.quant) args.push("--allow-quantization");
    const cli = cliJson(args);
    const key = (c) => [c.gpu, c.num_gpus, c.tensor_parallel_size, c.pipeline_parallel_size,
                        c.data_parallel_size, c.enable_expert_parallel ? "ep" : "-",
                        c.quantization || "", c.kv_cache_dtype].join("|");
    const want = cli.configs.map(key);
    const got = await page.$$eval("#rec-table tbody tr", (rows) => rows.map((r) => r.dataset.key));
    check(want.length === 10 && new Set(want).size === 10,
          `${k.what}: the CLI lists 10 distinct deployments`);
    const same = JSON.stringify(got) === JSON.stringify(want);
    check(same, `${k.what}: the page ranks ${got.length} deployments as recommend --json does` +
          (same ? "" : `\n  page ${got.join(", ")}\n  cli  ${want.join(", ")}`));
    const cells = await page.$$eval("#rec-table tbody tr", (rows) =>
      rows.map((r) => [...r.children].map((td) => td.textContent)));
    const rate = (v) => v.toLocaleString("en-US", { maximumFractionDigits: v < 10 ? 2 : 1,
                                                    minimumFractionDigits: v < 10 ? 2 : 1 });
    const capsOk = cli.configs.every((c, i) => c.max_request_rate !== null && cells[i] &&
      cells[i][11] === rate(c.max_request_rate) &&
      cells[i][12] === (c.replicas === null ? "-" : String(c.replicas)));
    check(capsOk, `${k.what}: every row shows max req/s and replicas as the CLI computes them`);
    const rej = await page.textContent("#rec-rejections");
    check(rej.includes(cli.rejected_summary), `${k.what}: the rejection summary is the CLI's`);
    const cmd = await page.textContent("#rec-serve-cmd");
    check(cmd === cli.configs[0].vllm_serve, `${k.what}: the vllm serve command of #1 is the CLI's`);
    await page.waitForFunction(() => document.querySelectorAll("#rec-downloads a[download]").length >= 4,
                               null, { timeout: TIMEOUT_MS });
    const files = await page.$$eval("#rec-downloads a[download]", (a) => a.map((x) => x.download));
    check(files.join(",") === "serve.sh,docker-run.sh,docker-compose.yaml,k8s.yaml",
          `${k.what}: deployment files to download: ${files.join(", ")}`);
    const pts = await page.$$eval("#rec-chart circle.point", (c) => c.length);
    const front = await page.$$eval("#rec-chart circle.front", (c) => c.length);
    const ticks = await page.$$eval("#rec-chart text.tick-label", (t) => t.length);
    const cliFront = cli.pareto.filter((c) => c.cost_per_million_tokens !== null).length;
    check(pts >= 10 && front === cliFront && front >= 1 && ticks >= 6,
          `${k.what}: the chart has ${pts} points, the ${front} of the CLI's Pareto front, ${ticks} tick labels`);
    await page.screenshot({ path: join(shots, `09-recommend-${answers}.png`), fullPage: true });
  }
  await page.click("#rec-copy");
  await page.waitForFunction(() => document.querySelector("#rec-copy").textContent !== "Copy the command",
                             null, { timeout: TIMEOUT_MS });
  check(true, `the copy button answers: "${await page.textContent("#rec-copy")}"`);
  await page.click("#rec-table tbody tr:nth-child(2)");
  await page.waitForFunction(
    () => document.querySelector("#rec-table tbody tr:nth-child(2)").classList.contains("chosen"),
    null, { timeout: TIMEOUT_MS });
  check(true, "clicking rank 2 chooses it");
  await page.click("#tab-plan");

  // 8. the HTML report of `llmplan plan --report`, when this CLI has it
  const help = execFileSync(bin, ["plan", "--help"], { env: cliEnv, encoding: "utf8" });
  if (help.includes("--report")) {
    const report = join(shots, "report.html");
    rmSync(report, { force: true }); // a report from an earlier run is never replaced silently
    try {
      execFileSync(bin, ["plan", "--model", id, "--gpu", "H100", "--report", report],
                   { env: cliEnv, stdio: "ignore" });
    } catch (e) {
      if (e.status !== 3) throw e;
    }
    check(existsSync(report), "llmplan plan --report wrote report.html");
    const rp = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const rerr = [];
    rp.on("pageerror", (e) => rerr.push(e.message));
    rp.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) rerr.push(r.url()); });
    await rp.goto(pathToFileURL(report).href);
    const txt = await rp.textContent("body");
    check(txt.includes(String(plan1.kv_tokens)) || txt.includes(plan1.kv_tokens.toLocaleString("en-US")),
          "the report shows the same KV tokens");
    check(rerr.length === 0, `the report loads nothing from elsewhere and has no errors ${rerr.join("; ")}`);
    await rp.screenshot({ path: join(shots, "08-report.png"), fullPage: true });
    await rp.close();
  } else {
    console.log("skip llmplan plan has no --report");
  }
} finally {
  await browser.close();
  const code = await server.stop();
  check(code === 0, `llmplan serve stopped cleanly on SIGTERM (exit ${code})`);
}
check(errors.length === 0, `no page errors${errors.length ? ": " + errors.join("; ") : ""}`);
console.log(`e2e: screenshots in ${shots}`);
if (failures) {
  console.error(`e2e: ${failures} check(s) failed`);
  process.exit(1);
}
console.log("e2e: all checks passed");
