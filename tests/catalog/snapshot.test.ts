/**
 * buildSnapshot: what is listed, how names resolve, and capabilities merged
 * from the catalog metadata. Pure; fixtures in Bedrock's shapes.
 */
import { describe, expect, test } from "bun:test";
import type { FoundationModelInfo, InferenceProfileInfo } from "../../src/bedrock/control";
import { type BuildInput, buildSnapshot, profilePrefixes } from "../../src/models/catalog";

const fmArn = (id: string, region = "us-east-1") =>
  `arn:aws:bedrock:${region}::foundation-model/${id}`;

function model(id: string, over: Partial<FoundationModelInfo> = {}): FoundationModelInfo {
  return {
    modelId: id,
    modelArn: fmArn(id),
    providerName: "Anthropic",
    inputModalities: ["TEXT"],
    outputModalities: ["TEXT"],
    responseStreamingSupported: true,
    inferenceTypesSupported: ["ON_DEMAND"],
    lifecycleStatus: "ACTIVE",
    ...over,
  };
}

function systemProfile(
  prefix: string,
  modelId: string,
  region = "us-east-1",
): InferenceProfileInfo {
  const id = `${prefix}.${modelId}`;
  return {
    inferenceProfileId: id,
    inferenceProfileArn: `arn:aws:bedrock:${region}:111122223333:inference-profile/${id}`,
    inferenceProfileName: `${prefix.toUpperCase()} ${modelId}`,
    type: "SYSTEM_DEFINED",
    status: "ACTIVE",
    modelArns: [fmArn(modelId, region), fmArn(modelId, "us-west-2")],
    createdAt: new Date("2025-09-29T00:00:00Z"),
  };
}

function appProfile(name: string, modelId: string, shortId = "abc123"): InferenceProfileInfo {
  return {
    inferenceProfileId: shortId,
    inferenceProfileArn: `arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/${shortId}`,
    inferenceProfileName: name,
    type: "APPLICATION",
    status: "ACTIVE",
    modelArns: [fmArn(modelId)],
  };
}

const SONNET45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const HAIKU35 = "anthropic.claude-3-5-haiku-20241022-v1:0";

const INPUT: BuildInput = {
  foundationModels: [
    model("anthropic.claude-3-haiku-20240307-v1:0", {
      inputModalities: ["TEXT", "IMAGE"],
      startOfLifeTime: new Date("2024-03-07T00:00:00Z"),
    }),
    model(HAIKU35, { inputModalities: ["TEXT"] }),
    model(SONNET45, {
      inputModalities: ["TEXT", "IMAGE"],
      inferenceTypesSupported: ["INFERENCE_PROFILE"],
    }),
    model("anthropic.claude-v2", { lifecycleStatus: "EOL" }),
    model("amazon.titan-embed-text-v2:0", {
      providerName: "Amazon",
      outputModalities: ["EMBEDDING"],
      responseStreamingSupported: false,
    }),
    model("amazon.nova-canvas-v1:0", { providerName: "Amazon", outputModalities: ["IMAGE"] }),
    model("cohere.rerank-v3-5:0", { providerName: "Cohere", responseStreamingSupported: false }),
    model("meta.llama3-1-8b-instruct-v1:0:128k", {
      providerName: "Meta",
      inferenceTypesSupported: ["PROVISIONED"],
    }),
    model("meta.llama4-maverick-17b-instruct-v1:0", {
      providerName: "Meta",
      inputModalities: ["TEXT", "IMAGE"],
      inferenceTypesSupported: ["INFERENCE_PROFILE"],
    }),
  ],
  systemProfiles: [
    systemProfile("global", SONNET45),
    systemProfile("us", SONNET45),
    systemProfile("eu", SONNET45, "eu-west-1"),
    systemProfile("us", "meta.llama4-maverick-17b-instruct-v1:0"),
    // Points to a model this region does not list: not servable.
    systemProfile("us", "anthropic.claude-opus-9-v1:0"),
  ],
  applicationProfiles: [
    appProfile("team-alpha", SONNET45),
    // Same name as a foundation id: listed by ARN instead.
    appProfile(HAIKU35, HAIKU35, "zzz999"),
  ],
};

const OPTS = { region: "us-east-1", allowList: [], fallbackCreated: 1_700_000_000, loadedAt: 5 };

describe("buildSnapshot listing", () => {
  const snap = buildSnapshot(INPUT, OPTS);
  const ids = snap.entries.map((e) => e.id);

  test("lists on-demand text and embedding models, system profiles and app profiles by name", () => {
    expect(ids).toEqual([
      "amazon.titan-embed-text-v2:0",
      "anthropic.claude-3-5-haiku-20241022-v1:0",
      "anthropic.claude-3-haiku-20240307-v1:0",
      "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/zzz999",
      "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "team-alpha",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "us.meta.llama4-maverick-17b-instruct-v1:0",
    ]);
  });

  test.each([
    ["profile-only foundation model", SONNET45],
    ["end-of-life model", "anthropic.claude-v2"],
    ["image-output model", "amazon.nova-canvas-v1:0"],
    ["non-streaming text model (reranker)", "cohere.rerank-v3-5:0"],
    ["provisioned-only variant", "meta.llama3-1-8b-instruct-v1:0:128k"],
    ["profile of an unlisted model", "us.anthropic.claude-opus-9-v1:0"],
  ])("does not list a %s", (_label, id) => {
    expect(ids).not.toContain(id);
  });

  test("created comes from Bedrock when known, else the fallback", () => {
    expect(snap.lookup("anthropic.claude-3-haiku-20240307-v1:0")?.created).toBe(
      Date.parse("2024-03-07T00:00:00Z") / 1000,
    );
    expect(snap.lookup("global.anthropic.claude-sonnet-4-5-20250929-v1:0")?.created).toBe(
      Date.parse("2025-09-29T00:00:00Z") / 1000,
    );
    expect(snap.lookup(HAIKU35)?.created).toBe(1_700_000_000);
  });

  test("owned_by is the provider lowercased; embedding models are typed", () => {
    expect(snap.lookup("amazon.titan-embed-text-v2:0")).toMatchObject({
      ownedBy: "amazon",
      type: "embedding",
    });
    expect(snap.lookup("team-alpha")).toMatchObject({ ownedBy: "anthropic", type: "chat" });
  });
});

describe("buildSnapshot name resolution", () => {
  const snap = buildSnapshot(INPUT, OPTS);
  const appArn = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123";

  test.each([
    ["app profile name", "team-alpha", appArn],
    ["app profile ARN", appArn, appArn],
    ["app profile short id", "abc123", appArn],
    [
      "system profile id",
      "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ],
    [
      "system profile ARN",
      "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ],
    ["foundation ARN", fmArn(HAIKU35), HAIKU35],
    [
      "profile-only id → regional profile",
      SONNET45,
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ],
    [
      "profile-only ARN → regional profile",
      fmArn(SONNET45),
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ],
  ])("%s", (_label, name, invokeId) => {
    expect(snap.lookup(name)?.invokeId).toBe(invokeId);
  });

  test("a foundation id wins over an app profile with the same name", () => {
    expect(snap.lookup(HAIKU35)?.kind).toBe("foundation");
    expect(snap.lookup("zzz999")?.kind).toBe("application-profile");
  });

  test.each([
    "gpt-4o",
    "anthropic.claude-v2",
    "cohere.rerank-v3-5:0",
    "",
    "US.anthropic.claude-sonnet-4-5-20250929-v1:0",
  ])("unknown name %p resolves to nothing", (name) => {
    expect(snap.lookup(name)).toBeUndefined();
  });

  test.each([
    ["eu-west-1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["us-west-2", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    // No apac. profile listed: global comes next.
    ["ap-southeast-1", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"],
  ])("profile-only id in %s resolves to %s", (region, expected) => {
    expect(buildSnapshot(INPUT, { ...OPTS, region }).lookup(SONNET45)?.invokeId).toBe(expected);
  });

  test("profile prefixes by region, most local first", () => {
    expect(profilePrefixes("us-east-1")).toEqual(["us", "global"]);
    expect(profilePrefixes("us-gov-west-1")).toEqual(["us-gov", "global"]);
    expect(profilePrefixes("ap-northeast-1")).toEqual(["jp", "apac", "global"]);
    expect(profilePrefixes("ap-south-1")).toEqual(["apac", "global"]);
    expect(profilePrefixes("sa-east-1")).toEqual(["global"]);
  });
});

describe("buildSnapshot capabilities", () => {
  const snap = buildSnapshot(INPUT, OPTS);

  test("image input follows the catalog's inputModalities, over the family row", () => {
    // Claude 3.5 Haiku is text-only although the claude-3 row takes images.
    expect(snap.lookup(HAIKU35)?.caps.imageInput).toBe(false);
    expect(snap.lookup("anthropic.claude-3-haiku-20240307-v1:0")?.caps.imageInput).toBe(true);
    // Llama 4 takes images although the llama-tools row does not.
    expect(snap.lookup("us.meta.llama4-maverick-17b-instruct-v1:0")?.caps.imageInput).toBe(true);
  });

  test("profiles carry their foundation model's family row", () => {
    const caps = snap.lookup("team-alpha")?.caps;
    expect(caps?.family).toBe("claude-4.5");
    expect(caps?.temperatureXorTopP).toBe(true);
    expect(caps?.reasoning).toBe("anthropic-budget");
  });

  test("streaming and embedding family come from metadata and the table", () => {
    const caps = snap.lookup("amazon.titan-embed-text-v2:0")?.caps;
    expect(caps?.streaming).toBe(false);
    expect(caps?.embedding).toBe("titan-v2");
    expect(snap.lookup(HAIKU35)?.caps.streaming).toBe(true);
  });
});

describe("buildSnapshot allow-list", () => {
  test("only matching ids are listed and resolvable; * is a wildcard", () => {
    const snap = buildSnapshot(INPUT, {
      ...OPTS,
      allowList: ["us.anthropic.*", "amazon.titan-embed-text-v2:0"],
    });
    expect(snap.entries.map((e) => e.id)).toEqual([
      "amazon.titan-embed-text-v2:0",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ]);
    expect(snap.lookup("team-alpha")).toBeUndefined();
    expect(snap.lookup(HAIKU35)).toBeUndefined();
    // The bare profile-only id still reaches the allowed regional profile.
    expect(snap.lookup(SONNET45)?.id).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  });

  test("an app profile can be allowed by name or by ARN", () => {
    const byName = buildSnapshot(INPUT, { ...OPTS, allowList: ["team-alpha"] });
    expect(byName.entries.map((e) => e.id)).toEqual(["team-alpha"]);
    const byArn = buildSnapshot(INPUT, {
      ...OPTS,
      allowList: ["arn:aws:bedrock:*:application-inference-profile/abc123"],
    });
    expect(byArn.entries.map((e) => e.id)).toEqual(["team-alpha"]);
  });

  test("regex characters in patterns are literal", () => {
    const snap = buildSnapshot(INPUT, { ...OPTS, allowList: ["amazon.titan-embed-text-v2.0"] });
    expect(snap.entries).toEqual([]);
  });
});
