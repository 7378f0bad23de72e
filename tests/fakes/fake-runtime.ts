/**
 * A fake of the {@link BedrockRuntime} port: replays recorded fixtures
 * (tests/fixtures) instead of calling Bedrock, and records what it was asked.
 * For in-process route tests (`createApp(deps)` + `app.request`); wire-level
 * behaviour stays with the emulator.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type {
  ConverseCommandInput,
  ConverseCommandOutput,
  ConverseStreamCommandInput,
  ConverseStreamOutput,
  InvokeModelCommandInput,
  InvokeModelCommandOutput,
} from "@aws-sdk/client-bedrock-runtime";
import type { BedrockRuntime, ConverseStreamResult } from "../../src/bedrock/runtime";

const FIXTURES = join(import.meta.dir, "..", "fixtures");

type Json = Record<string, unknown>;

/** base64 `redactedContent` → bytes, wherever it sits (stream delta or output block). */
function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      k === "redactedContent" && typeof v === "string"
        ? new Uint8Array(Buffer.from(v, "base64"))
        : revive(v);
  }
  return out;
}

/** An error shaped like the AWS SDK's service exceptions. */
export function awsError(spec: {
  name: string;
  message: string;
  $fault?: "client" | "server";
  httpStatusCode?: number;
  requestId?: string;
}): Error {
  return Object.assign(new Error(spec.message), {
    name: spec.name,
    $fault: spec.$fault ?? "server",
    $metadata: { httpStatusCode: spec.httpStatusCode, requestId: spec.requestId },
  });
}

/** The events of `converse-stream/<name>.jsonl`. */
export function streamFixture(name: string): ConverseStreamOutput[] {
  const text = readFileSync(join(FIXTURES, "converse-stream", `${name}.jsonl`), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => revive(JSON.parse(line)) as ConverseStreamOutput);
}

/** The output of `converse/<name>.json` (or its `$error`). */
export function converseFixture(name: string): ConverseCommandOutput | { $error: Json } {
  const text = readFileSync(join(FIXTURES, "converse", `${name}.json`), "utf8");
  return revive(JSON.parse(text)) as ConverseCommandOutput | { $error: Json };
}

function exceptionOf(ev: ConverseStreamOutput): Error | undefined {
  const member = Object.keys(ev).find((k) => k.endsWith("Exception"));
  if (!member) return undefined;
  const payload = (ev as unknown as Json)[member] as { message?: string } | undefined;
  return awsError({
    name: member.charAt(0).toUpperCase() + member.slice(1),
    message: payload?.message ?? "",
  });
}

async function* replay(events: ConverseStreamOutput[]): AsyncGenerator<ConverseStreamOutput> {
  for (const ev of events) {
    const err = exceptionOf(ev);
    if (err) throw err;
    yield ev;
  }
}

/** What the fake answers next; set per test. */
export interface FakeScript {
  /** Events for ConverseStream (a fixture name or the events themselves). */
  stream?: string | ConverseStreamOutput[];
  /** Output for Converse (a fixture name or the output itself). */
  converse?: string | ConverseCommandOutput;
  /** Thrown by either call before anything else. */
  error?: Error;
}

export class FakeBedrockRuntime implements BedrockRuntime {
  /** Every Converse / ConverseStream input, in call order. */
  readonly inputs: Array<ConverseCommandInput | ConverseStreamCommandInput> = [];
  readonly invocations: InvokeModelCommandInput[] = [];

  constructor(public script: FakeScript = {}) {}

  async converse(input: ConverseCommandInput): Promise<ConverseCommandOutput> {
    this.inputs.push(structuredClone(input));
    if (this.script.error) throw this.script.error;
    const out =
      typeof this.script.converse === "string"
        ? converseFixture(this.script.converse)
        : this.script.converse;
    if (!out) throw new Error("FakeBedrockRuntime: no converse output scripted");
    if ("$error" in out) throw awsError(out.$error as Parameters<typeof awsError>[0]);
    return out;
  }

  async converseStream(input: ConverseStreamCommandInput): Promise<ConverseStreamResult> {
    this.inputs.push(structuredClone(input));
    if (this.script.error) throw this.script.error;
    const events =
      typeof this.script.stream === "string"
        ? streamFixture(this.script.stream)
        : this.script.stream;
    if (!events) throw new Error("FakeBedrockRuntime: no stream scripted");
    return { stream: replay(events), requestId: "fake-request-id" };
  }

  async invokeModel(input: InvokeModelCommandInput): Promise<InvokeModelCommandOutput> {
    this.invocations.push(input);
    throw new Error("FakeBedrockRuntime: invokeModel is not scripted");
  }
}
