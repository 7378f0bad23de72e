/**
 * The two Bedrock transports behind the BedrockRuntime port (the SDK's
 * commands, and raw signed fetch + event-stream codec) must behave the same:
 * same events, same errors by name and class, same retries, same aborts.
 * Each scenario runs against both, over HTTP, against the emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { RawBedrockRuntime } from "../../src/bedrock/raw-runtime";
import {
  type BedrockRuntime,
  createRuntimeClient,
  SdkBedrockRuntime,
} from "../../src/bedrock/runtime";
import { type Emulator, startEmulator } from "../../src/emulator";
import { fromBedrockError } from "../../src/errors";

const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
const CREDS = { accessKeyId: "AKIDPARITY", secretAccessKey: "parity-secret" };

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(() => emu.reset());

type Transport = "sdk" | "raw";
const TRANSPORTS: Transport[] = ["sdk", "raw"];

function runtimeFor(transport: Transport, maxAttempts = 1): BedrockRuntime {
  const client = createRuntimeClient({
    region: "us-east-1",
    maxAttempts,
    endpoint: emu.url,
    credentials: CREDS,
  });
  return transport === "raw"
    ? new RawBedrockRuntime(client, { endpoint: emu.url, env: {} })
    : new SdkBedrockRuntime(client);
}

function input(text: string, modelId = MODEL): ConverseStreamCommandInput {
  return { modelId, messages: [{ role: "user", content: [{ text }] }] };
}

async function collect(
  rt: BedrockRuntime,
  text: string,
): Promise<{ events: ConverseStreamOutput[]; error?: unknown }> {
  const events: ConverseStreamOutput[] = [];
  try {
    const { stream } = await rt.converseStream(input(text));
    for await (const ev of stream) events.push(ev);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

/** What a caller can observe of an error. */
function shape(err: unknown) {
  const e = err as {
    name: string;
    message: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number; requestId?: string };
    $response?: { headers?: Record<string, string> };
  };
  const g = fromBedrockError(err);
  return {
    name: e.name,
    message: e.message,
    fault: e.$fault,
    status: e.$metadata?.httpStatusCode,
    hasRequestId: typeof e.$metadata?.requestId === "string",
    retryAfter: e.$response?.headers?.["retry-after"],
    gateway: {
      status: g.status,
      code: g.code,
      message: g.message.replace(/request id [\w-]+/, ""),
    },
  };
}

async function both<T>(fn: (t: Transport) => Promise<T>): Promise<Record<Transport, T>> {
  return { sdk: await fn("sdk"), raw: await fn("raw") };
}

describe("non-streaming Converse", () => {
  /** What a caller can observe of a Converse output ($metadata without the random request id). */
  async function converseBoth(script?: object, text = "Say hi", maxAttempts = 1) {
    return both(async (t) => {
      emu.reset();
      if (script) emu.enqueue(script);
      try {
        const r = await runtimeFor(t, maxAttempts).converse(input(text));
        const { requestId, ...metadata } = r.$metadata;
        return {
          out: { ...r, $metadata: { ...metadata, hasRequestId: typeof requestId === "string" } },
          requests: emu.requests.length,
          path: emu.requests.at(-1)?.path,
          body: emu.requests.at(-1)?.body,
        };
      } catch (error) {
        return { error: shape(error), requests: emu.requests.length };
      }
    });
  }

  test("same output through both transports", async () => {
    const out = await both(async (t) => {
      const r = await runtimeFor(t).converse(input("Say hi"));
      return { output: r.output, stopReason: r.stopReason, usage: r.usage };
    });
    expect(out.raw).toEqual(out.sdk);
    expect(out.raw.stopReason).toBe("end_turn");
  });

  test("the whole output, $metadata included, path and body are the SDK's", async () => {
    const out = await converseBoth();
    expect(out.raw).toEqual(out.sdk);
    expect(out.raw.out?.$metadata).toEqual({
      httpStatusCode: 200,
      hasRequestId: true,
      extendedRequestId: undefined,
      cfId: undefined,
      attempts: 1,
      totalRetryDelay: 0,
    });
    expect(out.raw.path).toContain("/converse");
    expect(out.raw.path).not.toContain("converse-stream");
    expect(out.raw.body).not.toHaveProperty("modelId");
  });

  test("reasoning (signed and redacted) and tool use: blobs as Uint8Array in both", async () => {
    const out = await converseBoth({
      reply: {
        content: [
          { reasoningContent: { redactedContent: "cmVkYWN0ZWQ=" } },
          { reasoningContent: { reasoningText: { text: "hm", signature: "sig" } } },
          { text: "Hi" },
          {
            toolUse: { toolUseId: "tooluse_parity", name: "get_weather", input: { city: "Paris" } },
          },
        ],
      },
    });
    expect(out.raw).toEqual(out.sdk);
    const redacted = out.raw.out?.output?.message?.content?.[0]?.reasoningContent?.redactedContent;
    expect(redacted).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(redacted)).toBe("redacted");
    expect(out.raw.out?.stopReason).toBe("tool_use");
  });

  for (const name of ["ValidationException", "ThrottlingException", "ModelErrorException"]) {
    test(`HTTP ${name}: same name, fault, status, and gateway mapping`, async () => {
      const out = await converseBoth(undefined, `[emu error=${name}] hi`);
      expect(out.raw.error?.name).toBe(name);
      expect(out.raw).toEqual(out.sdk);
    });
  }

  test("modeled class and retry-after, as the SDK has them", async () => {
    const rts = await both(async (t) => {
      emu.enqueue({ error: { type: "ThrottlingException", headers: { "retry-after": "7" } } });
      return runtimeFor(t)
        .converse(input("hi"))
        .catch((e: unknown) => e);
    });
    expect(rts.raw).toBeInstanceOf(ThrottlingException);
    expect(shape(rts.raw)).toEqual(shape(rts.sdk));
  });

  test("retries: a 503 is retried maxAttempts times, a 400 not, and a success after a retry says attempts: 2", async () => {
    const failing = await converseBoth(
      { error: { type: "ServiceUnavailableException" }, times: 5 },
      "hi",
      3,
    );
    expect(failing.raw).toEqual(failing.sdk);
    expect(failing.raw.requests).toBe(3);
    const rejected = await converseBoth(undefined, "[emu error=ValidationException] hi", 3);
    expect(rejected.raw).toEqual(rejected.sdk);
    expect(rejected.raw.requests).toBe(1);
    const recovered = await converseBoth(
      { error: { type: "ServiceUnavailableException" }, times: 1 },
      "hi",
      3,
    );
    expect(recovered.raw.out?.$metadata.attempts).toBe(2);
    expect(recovered.raw.out?.$metadata.attempts).toBe(recovered.sdk.out?.$metadata.attempts);
    expect(recovered.raw.requests).toBe(2);
    expect(recovered.sdk.requests).toBe(2);
  });

  test("abort: both reject, mapped to the same gateway error", async () => {
    const out = await both(async (t) => {
      const controller = new AbortController();
      const pending = runtimeFor(t).converse(input("[emu first=300] hi"), controller.signal);
      setTimeout(() => controller.abort(), 20);
      const error = await pending.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeDefined();
      return fromBedrockError(error).status;
    });
    expect(out.raw).toBe(out.sdk);
    expect(out.raw).toBe(504);
  });

  test("bearer token and SigV4 as for streams", async () => {
    const client = createRuntimeClient({
      region: "us-east-1",
      maxAttempts: 1,
      endpoint: emu.url,
      credentials: CREDS,
    });
    const bearer = new RawBedrockRuntime(client, {
      endpoint: emu.url,
      env: { AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key" },
    });
    await bearer.converse(input("hi"));
    expect(emu.requests.at(-1)?.headers.authorization).toBe("Bearer bedrock-api-key");
    await runtimeFor("raw").converse(input("hi"));
    expect(emu.requests.at(-1)?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDPARITY\/\d{8}\/us-east-1\/bedrock\/aws4_request, /,
    );
  });
});

describe("ConverseStream events", () => {
  test("text and reasoning: identical events in the SDK's shape, padding dropped", async () => {
    const out = await both((t) => collect(runtimeFor(t), "[emu reasoning=1 chunks=5] hi"));
    expect(out.sdk.error).toBeUndefined();
    expect(out.raw.error).toBeUndefined();
    expect(out.raw.events).toEqual(out.sdk.events);
    expect(out.raw.events[0]).toEqual({ messageStart: { role: "assistant" } });
    expect(JSON.stringify(out.raw.events)).not.toContain('"p"');
    expect(out.raw.events.at(-1)?.metadata?.usage?.totalTokens).toBeGreaterThan(0);
  });

  test("redacted reasoning arrives as a Uint8Array in both", async () => {
    const script = {
      reply: {
        content: [{ reasoningContent: { redactedContent: "cmVkYWN0ZWQ=" } }, { text: "Hi" }],
      },
    };
    const out = await both(async (t) => {
      emu.enqueue(script);
      return collect(runtimeFor(t), "hi");
    });
    const redacted = (r: { events: ConverseStreamOutput[] }) =>
      r.events.find((e) => e.contentBlockDelta?.delta?.reasoningContent)?.contentBlockDelta?.delta
        ?.reasoningContent?.redactedContent;
    expect(redacted(out.raw)).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(redacted(out.raw))).toBe("redacted");
    expect(out.raw.events).toEqual(out.sdk.events);
  });

  test("tool use: start, input fragments and stop reason match", async () => {
    const script = {
      reply: {
        content: [
          {
            toolUse: { toolUseId: "tooluse_parity", name: "get_weather", input: { city: "Paris" } },
          },
        ],
      },
    };
    const out = await both(async (t) => {
      emu.enqueue(script);
      return collect(runtimeFor(t), "weather?");
    });
    expect(out.raw.events).toEqual(out.sdk.events);
    expect(out.raw.events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe("tool_use");
  });

  test("ARN model ids are path-encoded like the SDK", async () => {
    const arn =
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    const paths = await both(async (t) => {
      const { stream } = await runtimeFor(t).converseStream(input("hi", arn));
      for await (const _ of stream) {
        // drain
      }
      return emu.requests.at(-1)?.path;
    });
    expect(paths.raw).toBe(paths.sdk);
    expect(paths.raw).toContain(
      "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F",
    );
  });

  test("the request body is what the SDK sends (modelId only in the path)", async () => {
    const bodies = await both(async (t) => {
      await collect(runtimeFor(t), "[emu chunks=2] hi");
      return emu.requests.at(-1)?.body;
    });
    expect(bodies.raw).toEqual(bodies.sdk);
    expect(bodies.raw).not.toHaveProperty("modelId");
  });

  test("the raw transport signs with SigV4 for service bedrock", async () => {
    await collect(runtimeFor("raw"), "hi");
    const auth = emu.requests.at(-1)?.headers.authorization ?? "";
    expect(auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDPARITY\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
  });
});

test("raw transport: AWS_BEARER_TOKEN_BEDROCK switches to bearer auth, like the SDK", async () => {
  const client = createRuntimeClient({
    region: "us-east-1",
    maxAttempts: 1,
    endpoint: emu.url,
    credentials: CREDS,
  });
  const rt = new RawBedrockRuntime(client, {
    endpoint: emu.url,
    env: { AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key" },
  });
  const r = await collect(rt, "[emu chunks=2] hi");
  expect(r.error).toBeUndefined();
  expect(emu.requests.at(-1)?.headers.authorization).toBe("Bearer bedrock-api-key");
});

describe("HTTP errors by exception name", () => {
  const NAMES = [
    "ValidationException",
    "AccessDeniedException",
    "ResourceNotFoundException",
    "ThrottlingException",
    "ServiceQuotaExceededException",
    "ModelErrorException",
    "InternalServerException",
    "ServiceUnavailableException",
  ];
  for (const name of NAMES) {
    test(`${name}: same name, fault, status, and gateway mapping`, async () => {
      const out = await both((t) => collect(runtimeFor(t), `[emu error=${name}] hi`));
      expect(out.raw.error).toBeDefined();
      expect(shape(out.raw.error)).toEqual(shape(out.sdk.error));
      expect((out.raw.error as Error).name).toBe(name);
    });
  }

  test("modeled classes hold for instanceof, and retry-after reaches $response", async () => {
    const script = {
      error: { type: "ThrottlingException", headers: { "retry-after": "7" } },
    };
    const out = await both(async (t) => {
      emu.enqueue(script);
      return collect(runtimeFor(t), "hi");
    });
    expect(out.raw.error).toBeInstanceOf(ThrottlingException);
    expect(out.sdk.error).toBeInstanceOf(ThrottlingException);
    expect(shape(out.raw.error)).toEqual(shape(out.sdk.error));
    expect(fromBedrockError(out.raw.error).headers["retry-after"]).toBe("7");
  });

  test("an unmodeled exception keeps its name", async () => {
    const script = { error: { type: "SomethingUnmodeledException", status: 400 } };
    const out = await both(async (t) => {
      emu.enqueue(script);
      return collect(runtimeFor(t), "hi");
    });
    expect(shape(out.raw.error)).toEqual(shape(out.sdk.error));
    expect((out.raw.error as Error).name).toBe("SomethingUnmodeledException");
  });

  test("retries: a 503 is retried maxAttempts times by both", async () => {
    const counts = await both(async (t) => {
      emu.reset();
      emu.enqueue({ error: { type: "ServiceUnavailableException" }, times: 5 });
      const r = await collect(runtimeFor(t, 3), "hi");
      expect((r.error as Error).name).toBe("ServiceUnavailableException");
      return emu.requests.length;
    });
    expect(counts).toEqual({ sdk: 3, raw: 3 });
  });

  test("retries: a 400 is not retried", async () => {
    const counts = await both(async (t) => {
      emu.reset();
      const r = await collect(runtimeFor(t, 3), "[emu error=ValidationException] hi");
      expect(r.error).toBeInstanceOf(ValidationException);
      return emu.requests.length;
    });
    expect(counts).toEqual({ sdk: 1, raw: 1 });
  });
});

describe("exception frames", () => {
  test("as the first frame: converseStream rejects with the modeled class, and it is retried", async () => {
    const out = await both(async (t) => {
      emu.reset();
      emu.enqueue({
        stream: {
          exceptionAfter: { events: 0, type: "throttlingException", message: "slow down" },
        },
        times: 5,
      });
      const rt = runtimeFor(t, 2);
      let error: unknown;
      try {
        await rt.converseStream(input("hi"));
      } catch (e) {
        error = e;
      }
      return { shape: shape(error), requests: emu.requests.length };
    });
    expect(out.raw).toEqual(out.sdk);
    expect(out.raw.shape.name).toBe("ThrottlingException");
    // Throttling is retried by name (the frame has no HTTP status), as the SDK does.
    expect(out.raw.requests).toBe(2);
  });

  test("mid-stream modeled exception: thrown from the iterator, never retried", async () => {
    const out = await both(async (t) => {
      emu.reset();
      const r = await collect(runtimeFor(t, 3), "[emu midstream=modelStreamErrorException] hi");
      return { r, requests: emu.requests.length };
    });
    expect(out.raw.r.error).toBeInstanceOf(ModelStreamErrorException);
    expect(shape(out.raw.r.error)).toEqual(shape(out.sdk.r.error));
    expect(out.raw.r.events).toEqual(out.sdk.r.events);
    expect(out.raw.requests).toBe(1);
    expect(out.sdk.requests).toBe(1);
  });

  test("mid-stream throttlingException maps to 429 in both", async () => {
    const out = await both((t) => collect(runtimeFor(t), "[emu midstream=throttlingException] hi"));
    expect(shape(out.raw.error)).toEqual(shape(out.sdk.error));
    expect(fromBedrockError(out.raw.error).status).toBe(429);
  });

  test("an exception type outside the union: plain Error named by the raw type, raw body as message", async () => {
    const out = await both(async (t) => {
      emu.enqueue({
        stream: { exceptionAfter: { events: 2, type: "unknownFooException", message: "foo" } },
      });
      return collect(runtimeFor(t), "hi");
    });
    expect(shape(out.raw.error)).toEqual(shape(out.sdk.error));
    expect((out.raw.error as Error).name).toBe("unknownFooException");
    expect((out.raw.error as Error).message).toContain('"message":"foo"');
  });
});

describe("dropped streams", () => {
  test("endAfter: the iteration ends quietly in both, without messageStop", async () => {
    const out = await both((t) => collect(runtimeFor(t), "[emu end=3 chunks=10] hi"));
    expect(out.raw.error).toBeUndefined();
    expect(out.sdk.error).toBeUndefined();
    expect(out.raw.events).toEqual(out.sdk.events);
    expect(out.raw.events).toHaveLength(3);
    expect(out.raw.events.some((e) => e.messageStop)).toBe(false);
  });

  test("resetAfter: both throw after the events read so far, mapped alike", async () => {
    const out = await both((t) => collect(runtimeFor(t), "[emu reset=3 chunks=10] hi"));
    expect(out.raw.error).toBeDefined();
    expect(out.sdk.error).toBeDefined();
    expect(out.raw.events).toEqual(out.sdk.events);
    expect(fromBedrockError(out.raw.error).status).toBe(fromBedrockError(out.sdk.error).status);
  });
});

describe("abort", () => {
  for (const t of TRANSPORTS) {
    test(`${t}: aborting cancels the upstream stream`, async () => {
      const controller = new AbortController();
      const { stream } = await runtimeFor(t).converseStream(
        input("[emu chunks=100 delay=20] hi"),
        controller.signal,
      );
      let seen = 0;
      let error: unknown;
      try {
        for await (const _ of stream) {
          seen++;
          if (seen === 2) controller.abort();
        }
      } catch (e) {
        error = e;
      }
      expect(error).toBeDefined();
      expect(fromBedrockError(error).status).toBe(504);
      for (let i = 0; i < 50 && emu.stats.streamsCancelled === 0; i++) await Bun.sleep(10);
      expect(emu.stats.streamsCancelled).toBe(1);
    });
  }
});
