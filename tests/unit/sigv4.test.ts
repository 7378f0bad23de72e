/**
 * Our SigV4 signer (src/bedrock/raw/sigv4.ts) against `@smithy/signature-v4`,
 * which signed these requests before: the same headers, values and order for
 * every combination of model id (ARNs with `:` and `/`, the characters the
 * label encoding escapes), endpoint, header set, body, credentials and date,
 * and the same SignedRequest from SignedRuntime.post() as the SDK-signed
 * version produced.
 */
import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { SignatureV4 } from "@smithy/signature-v4";
import { encodeLabel } from "../../src/bedrock/raw/request";
import { SignedRuntime } from "../../src/bedrock/raw/signed";
import { type AwsCredentials, SigV4 } from "../../src/bedrock/raw/sigv4";

const MODELS = [
  "anthropic.claude-3-7-sonnet-20250219-v1:0",
  "us.anthropic.claude-sonnet-4-20250514-v1:0",
  "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
  "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/a1b2c3",
  "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-70b-instruct-v1:0",
  "odd model!'()*~ name/../x/./y%20z",
  "",
];

const OPERATIONS = ["converse-stream", "converse", "invoke", "invoke-with-response-stream"];

const HEADER_SETS: Record<string, string>[] = [
  { "content-type": "application/json", "user-agent": "bedrock-gateway raw-transport" },
  {
    "content-type": "application/json",
    accept: "application/vnd.amazon.eventstream",
    "x-amzn-bedrock-accept": "application/json",
    "user-agent": "bedrock-gateway native-invoke",
  },
  { "content-type": "application/json", accept: "application/json, text/event-stream" },
  // Odd shapes the SDK handles: upper-case names, blanks to fold, unsignable and
  // generated headers, a caller-supplied payload hash.
  {
    "Content-Type": "application/json",
    "X-Custom": "  two  spaces\tand\r\nbreaks ",
    Authorization: "dropped",
    "X-Amz-Date": "dropped",
    "proxy-thing": "unsigned",
    "Sec-Fetch": "unsigned",
    "x-amzn-trace-id": "unsigned",
  },
  { "content-type": "application/json", "X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD" },
];

const BODIES = [
  "",
  JSON.stringify({ messages: [{ role: "user", content: [{ text: "Say twenty words." }] }] }),
  JSON.stringify({ messages: [{ role: "user", content: [{ text: "héllo wörld — 你好 🚀 ∑" }] }] }),
  `{"system":[{"text":"${"x".repeat(70_000)}"}]}`,
];

const CREDENTIALS: AwsCredentials[] = [
  { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
  {
    accessKeyId: "ASIAEXAMPLE",
    secretAccessKey: "secret/with+chars=",
    sessionToken: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==",
  },
];

const DATES = [
  new Date("2026-12-01T23:59:59.999Z"),
  new Date("2026-12-02T00:00:00.000Z"),
  new Date("2026-12-02T00:00:00.500Z"),
  new Date("2028-02-29T12:34:56.789Z"),
  new Date("2026-12-31T23:59:59.000Z"),
  new Date("2027-01-01T00:00:01.000Z"),
];

const ENDPOINTS = [
  { host: "bedrock-runtime.us-east-1.amazonaws.com", prefix: "" },
  { host: "127.0.0.1:9100", prefix: "" },
  { host: "bedrock.example.com", prefix: "/prefix/path" },
];

function reference(credentials: AwsCredentials, region: string): SignatureV4 {
  const client = new BedrockRuntimeClient({ region, credentials });
  return new SignatureV4({ credentials, region, service: "bedrock", sha256: client.config.sha256 });
}

async function smithySign(
  signer: SignatureV4,
  host: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  date: Date,
): Promise<[string, string][]> {
  const [hostname, port] = host.split(":");
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: "https:",
      hostname: hostname as string,
      ...(port ? { port: Number(port) } : {}),
      path,
      query: {},
      headers: { ...headers, host },
      body,
    },
    { signingDate: date },
  );
  return Object.entries(signed.headers).filter(([name]) => name !== "host");
}

describe("SigV4 against @smithy/signature-v4", () => {
  test("same headers, in the same order, over varied requests", async () => {
    let compared = 0;
    for (const region of ["us-east-1", "eu-central-2"]) {
      for (const credentials of CREDENTIALS) {
        const ref = reference(credentials, region);
        // One signer for the whole loop, so cached keys and dates must follow the inputs.
        const ours = new SigV4({
          credentials: async () => credentials,
          region,
          service: "bedrock",
        });
        for (const date of DATES) {
          for (const [i, model] of MODELS.entries()) {
            const endpoint = ENDPOINTS[i % ENDPOINTS.length] as (typeof ENDPOINTS)[number];
            const op = OPERATIONS[i % OPERATIONS.length];
            const path = `${endpoint.prefix}/model/${encodeLabel(model)}/${op}`;
            for (const headers of HEADER_SETS) {
              for (const body of BODIES) {
                const want = await smithySign(ref, endpoint.host, path, headers, body, date);
                const got = await ours.sign(
                  { method: "POST", path, host: endpoint.host, headers, body },
                  date,
                );
                expect(Object.entries(got)).toEqual(want);
                compared++;
              }
            }
          }
        }
      }
    }
    expect(compared).toBe(
      2 * 2 * DATES.length * MODELS.length * HEADER_SETS.length * BODIES.length,
    );
  });

  test("follows rotated credentials and midnight with one signer", async () => {
    let current = CREDENTIALS[0] as AwsCredentials;
    const ours = new SigV4({
      credentials: async () => current,
      region: async () => "us-west-2",
      service: "bedrock",
    });
    const path = `/model/${encodeLabel(MODELS[2] as string)}/converse`;
    const headers = HEADER_SETS[0] as Record<string, string>;
    const steps: [AwsCredentials, Date][] = [
      [CREDENTIALS[0] as AwsCredentials, DATES[0] as Date],
      [CREDENTIALS[1] as AwsCredentials, DATES[0] as Date],
      [{ ...(CREDENTIALS[1] as AwsCredentials), secretAccessKey: "rotated" }, DATES[0] as Date],
      [CREDENTIALS[1] as AwsCredentials, DATES[1] as Date],
      [CREDENTIALS[0] as AwsCredentials, DATES[2] as Date],
    ];
    for (const [credentials, date] of steps) {
      current = credentials;
      const want = await smithySign(
        reference(credentials, "us-west-2"),
        "h.example",
        path,
        headers,
        "{}",
        date,
      );
      const got = await ours.sign(
        { method: "POST", path, host: "h.example", headers, body: "{}" },
        date,
      );
      expect(Object.entries(got)).toEqual(want);
    }
  });

  test("rejects credentials without a key, as the SDK's signer does", async () => {
    const ours = new SigV4({
      credentials: async () => ({ accessKeyId: "A" }) as unknown as AwsCredentials,
      region: "us-east-1",
      service: "bedrock",
    });
    await expect(
      ours.sign({ method: "POST", path: "/", host: "h", headers: {}, body: "" }),
    ).rejects.toThrow("Resolved credential object is not valid");
  });
});

/** SignedRuntime.post() as it was with the SDK's signer (d46c804). */
async function sdkPost(
  client: BedrockRuntimeClient,
  base: URL,
  env: Record<string, string | undefined>,
  path: string,
  headers: Record<string, string>,
  body: string,
) {
  const signer = new SignatureV4({
    credentials: client.config.credentials,
    region: client.config.region,
    service: "bedrock",
    sha256: client.config.sha256,
  });
  const fullPath = `${base.pathname.replace(/\/$/, "")}${path}`;
  const unsigned: Record<string, string> = { ...headers, host: base.host };
  const token = env.AWS_BEARER_TOKEN_BEDROCK;
  const signed = token
    ? { ...unsigned, authorization: `Bearer ${token}` }
    : (
        await signer.sign({
          method: "POST",
          protocol: base.protocol,
          hostname: base.hostname,
          ...(base.port ? { port: Number(base.port) } : {}),
          path: fullPath,
          query: {},
          headers: unsigned,
          body,
        })
      ).headers;
  const { host: _host, ...send } = signed;
  return {
    url: `${base.protocol}//${base.host}${fullPath}`,
    method: "POST" as const,
    headers: send,
    body,
  };
}

describe("SignedRuntime.post()", () => {
  afterEach(() => setSystemTime());

  const cases = [
    { endpoint: "http://127.0.0.1:9100", env: {} },
    { endpoint: "https://bedrock.example.com/base/", env: {} },
    { endpoint: "http://127.0.0.1:9100", env: { AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-abc" } },
  ];

  for (const { endpoint, env } of cases) {
    test(`the same SignedRequest as the SDK-signed version (${endpoint}${
      env.AWS_BEARER_TOKEN_BEDROCK ? ", bearer" : ""
    })`, async () => {
      for (const credentials of CREDENTIALS) {
        const client = new BedrockRuntimeClient({ region: "us-east-1", credentials });
        const runtime = new SignedRuntime(client, { endpoint, env });
        for (const date of DATES) {
          setSystemTime(date);
          for (const [i, model] of MODELS.entries()) {
            const path = `/model/${encodeLabel(model)}/${OPERATIONS[i % OPERATIONS.length]}`;
            const headers = HEADER_SETS[i % 3] as Record<string, string>;
            const body = BODIES[i % BODIES.length] as string;
            const want = await sdkPost(client, new URL(endpoint), env, path, headers, body);
            const got = await runtime.post(path, headers, body);
            expect(got).toEqual(want);
            expect(Object.keys(got.headers)).toEqual(Object.keys(want.headers));
          }
        }
      }
    });
  }
});
