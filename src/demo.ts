/**
 * `bun run demo`: the gateway on the Bedrock emulator, no AWS account needed.
 *
 * Starts the emulator in this process and the real gateway (`src/index.ts`) as
 * a child process whose AWS SDK environment points at the emulator, exactly as
 * an operator would point it at AWS. Ctrl-C stops both.
 *
 * @module
 */
import { startEmulator } from "./emulator";

const emu = await startEmulator({ port: Number(process.env.EMULATOR_PORT ?? 4010) });
const port = process.env.PORT ?? "8080";
// One fresh key per run opens everything: it is both the static API key (playground,
// curl, SDKs) and ADMIN_API_KEY (the console's Keys and Usage, /admin). Set API_KEY or
// ADMIN_API_KEY yourself to choose them; production deployments should use two keys.
const adminKey = process.env.ADMIN_API_KEY ?? `demo-${crypto.randomUUID().replaceAll("-", "")}`;
const apiKey = process.env.API_KEY ?? adminKey;

const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
// Never let the demo reach real AWS with the user's own credentials.
for (const k of [
  "AWS_PROFILE",
  "AWS_SESSION_TOKEN",
  "AWS_BEARER_TOKEN_BEDROCK",
  "AWS_ENDPOINT_URL",
])
  delete env[k];
Object.assign(env, {
  PORT: port,
  // The demo's key is printed below: listen on loopback only unless HOST says otherwise.
  HOST: process.env.HOST ?? "127.0.0.1",
  API_KEY: apiKey,
  ADMIN_API_KEY: adminKey,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDEMULATOR",
  AWS_SECRET_ACCESS_KEY: "emulator-secret",
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
  AWS_ENDPOINT_URL_BEDROCK: emu.url,
});

const gateway = Bun.spawn([process.execPath, "run", `${import.meta.dir}/index.ts`], {
  env,
  stdout: "inherit",
  stderr: "inherit",
});

const base = `http://127.0.0.1:${port}`;
let ready = false;
for (let i = 0; i < 100 && !ready && gateway.exitCode === null; i++) {
  ready = await fetch(`${base}/health`).then(
    (r) => r.ok,
    () => false,
  );
  if (!ready) await Bun.sleep(100);
}
if (!ready) {
  console.error("The gateway did not become ready; see its log above.");
  gateway.kill();
  await emu.stop();
  process.exit(1);
}

const key = apiKey.split(",")[0] ?? "";
const auth = ` -H "Authorization: Bearer ${key}"`;
const keyLine =
  key === adminKey
    ? `  key:      ${key}   (API key and admin key: sign in to the console with it)`
    : `  API key:  ${key}\n  admin key: ${adminKey}   (the console's Keys and Usage)`;
console.log(`
Bedrock gateway demo
  console:  ${base}/   (open it in a browser: playground, keys, usage)
  gateway:  ${base}/v1   (OpenAI-compatible; also under /api/v1)
  emulator: ${emu.url}   (fake Bedrock; nothing leaves this machine)
${keyLine}

Try it:
  curl ${base}/v1/chat/completions${auth} -H "Content-Type: application/json" \\
    -d '{"model":"us.anthropic.claude-sonnet-4-5-20250929-v1:0","messages":[{"role":"user","content":"Hello!"}]}'

  curl -N ${base}/v1/chat/completions${auth} -H "Content-Type: application/json" \\
    -d '{"model":"us.anthropic.claude-sonnet-4-5-20250929-v1:0","stream":true,"messages":[{"role":"user","content":"Hello!"}]}'

Or from the openai SDK: new OpenAI({ baseURL: "${base}/v1", apiKey: "${key}" })
Press Ctrl-C to stop.
`);

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  gateway.kill("SIGTERM");
  await gateway.exited;
  await emu.stop();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
void gateway.exited.then((code) => stop(code ?? 1));
