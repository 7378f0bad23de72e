import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  GetFoundationModelCommand,
  GetInferenceProfileCommand,
  ListFoundationModelsCommand,
  ListInferenceProfilesCommand,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock";
import {
  APPLICATION_PROFILE_ARN,
  type Emulator,
  FOUNDATION_MODELS,
  INFERENCE_PROFILES,
  startEmulator,
} from "../../src/emulator";
import { caught, controlClient, HAIKU_3 } from "./helpers";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

describe("ListFoundationModels", () => {
  test("returns the whole fixture catalog unfiltered", async () => {
    const res = await controlClient(emu).send(new ListFoundationModelsCommand({}));
    expect(res.modelSummaries?.map((m) => m.modelId)).toEqual(
      FOUNDATION_MODELS.map((m) => m.modelId),
    );
    const haiku = res.modelSummaries?.find((m) => m.modelId === HAIKU_3);
    expect(haiku?.inputModalities).toEqual(["TEXT", "IMAGE"]);
    expect(haiku?.modelLifecycle?.status).toBe("ACTIVE");
  });

  test("filters by provider, output modality, inference type and customization", async () => {
    const client = controlClient(emu);
    const anthropic = await client.send(
      new ListFoundationModelsCommand({ byProvider: "Anthropic" }),
    );
    expect(anthropic.modelSummaries?.every((m) => m.providerName === "Anthropic")).toBe(true);
    const embeddings = await client.send(
      new ListFoundationModelsCommand({ byOutputModality: "EMBEDDING" }),
    );
    expect(embeddings.modelSummaries?.map((m) => m.modelId)).toContain("cohere.embed-v4:0");
    expect(embeddings.modelSummaries?.every((m) => m.outputModalities?.includes("EMBEDDING"))).toBe(
      true,
    );
    const images = await client.send(
      new ListFoundationModelsCommand({ byOutputModality: "IMAGE" }),
    );
    expect(images.modelSummaries?.map((m) => m.modelId)).toEqual(["amazon.nova-canvas-v1:0"]);
    const onDemand = await client.send(
      new ListFoundationModelsCommand({ byInferenceType: "ON_DEMAND" }),
    );
    const ids = onDemand.modelSummaries?.map((m) => m.modelId) ?? [];
    expect(ids).toContain(HAIKU_3);
    expect(ids).not.toContain("anthropic.claude-sonnet-4-5-20250929-v1:0");
    const provisioned = await client.send(
      new ListFoundationModelsCommand({ byInferenceType: "PROVISIONED" }),
    );
    expect(provisioned.modelSummaries?.map((m) => m.modelId)).toEqual([
      "anthropic.claude-3-haiku-20240307-v1:0:200k",
    ]);
    const tunable = await client.send(
      new ListFoundationModelsCommand({ byCustomizationType: "FINE_TUNING" }),
    );
    expect(
      tunable.modelSummaries?.every((m) => m.customizationsSupported?.includes("FINE_TUNING")),
    ).toBe(true);
    expect(emu.requests.at(-1)?.query).toEqual({ byCustomizationType: "FINE_TUNING" });
  });

  test("lists a LEGACY model", async () => {
    const res = await controlClient(emu).send(
      new ListFoundationModelsCommand({ byProvider: "Anthropic" }),
    );
    expect(res.modelSummaries?.some((m) => m.modelLifecycle?.status === "LEGACY")).toBe(true);
  });

  test("GetFoundationModel returns modelDetails, and rejects unknown ids", async () => {
    const client = controlClient(emu);
    const res = await client.send(new GetFoundationModelCommand({ modelIdentifier: HAIKU_3 }));
    expect(res.modelDetails?.modelArn).toBe(
      `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU_3}`,
    );
    expect(
      await caught(() =>
        client.send(new GetFoundationModelCommand({ modelIdentifier: "nope.model" })),
      ),
    ).toBeInstanceOf(ValidationException);
  });

  test("setCatalog replaces the catalog until reset", async () => {
    const only = FOUNDATION_MODELS.filter((m) => m.modelId === HAIKU_3);
    emu.setCatalog({ foundationModels: only });
    const client = controlClient(emu);
    expect((await client.send(new ListFoundationModelsCommand({}))).modelSummaries?.length).toBe(1);
    emu.reset();
    expect((await client.send(new ListFoundationModelsCommand({}))).modelSummaries?.length).toBe(
      FOUNDATION_MODELS.length,
    );
  });

  test("scripts can fail control-plane operations when they name them", async () => {
    emu.enqueue({
      match: { operation: "ListFoundationModels" },
      error: { type: "ThrottlingException" },
    });
    const err = await caught(() => controlClient(emu).send(new ListFoundationModelsCommand({})));
    expect(err).toBeInstanceOf(ThrottlingException);
  });
});

describe("ListInferenceProfiles", () => {
  test("paginates with maxResults and nextToken over every profile", async () => {
    const client = controlClient(emu);
    const ids: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new ListInferenceProfilesCommand({ maxResults: 5, nextToken }),
      );
      expect(page.inferenceProfileSummaries?.length).toBeLessThanOrEqual(5);
      ids.push(...(page.inferenceProfileSummaries?.map((p) => p.inferenceProfileId ?? "") ?? []));
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken);
    expect(ids).toEqual(INFERENCE_PROFILES.map((p) => p.inferenceProfileId));
    expect(pages).toBe(Math.ceil(INFERENCE_PROFILES.length / 5));
  });

  test("filters by type and parses timestamps into Dates", async () => {
    const client = controlClient(emu);
    const apps = await client.send(new ListInferenceProfilesCommand({ typeEquals: "APPLICATION" }));
    expect(apps.inferenceProfileSummaries?.map((p) => p.inferenceProfileArn)).toEqual([
      APPLICATION_PROFILE_ARN,
    ]);
    expect(apps.inferenceProfileSummaries?.[0]?.createdAt).toBeInstanceOf(Date);
    expect(emu.requests.at(-1)?.query).toEqual({ type: "APPLICATION" });
    const system = await client.send(
      new ListInferenceProfilesCommand({ typeEquals: "SYSTEM_DEFINED" }),
    );
    expect(system.inferenceProfileSummaries?.every((p) => p.type === "SYSTEM_DEFINED")).toBe(true);
    const global = system.inferenceProfileSummaries?.find((p) =>
      p.inferenceProfileId?.startsWith("global.anthropic.claude-sonnet-4-5"),
    );
    expect(global?.models?.[0]?.modelArn).toBe(
      "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
    );
    expect(global?.models?.length).toBeGreaterThan(2);
  });

  test("GetInferenceProfile accepts an id or an ARN", async () => {
    const client = controlClient(emu);
    const byArn = await client.send(
      new GetInferenceProfileCommand({ inferenceProfileIdentifier: APPLICATION_PROFILE_ARN }),
    );
    expect(byArn.inferenceProfileName).toBe("team-alpha-sonnet");
    const byId = await client.send(
      new GetInferenceProfileCommand({ inferenceProfileIdentifier: "us.cohere.embed-v4:0" }),
    );
    expect(byId.type).toBe("SYSTEM_DEFINED");
  });
});

describe("control routes", () => {
  test("health, script, requests, stats, catalog and reset over HTTP", async () => {
    expect(await (await fetch(`${emu.url}/__emulator/health`)).json()).toEqual({ status: "ok" });
    await fetch(`${emu.url}/__emulator/script`, {
      method: "POST",
      body: JSON.stringify([
        { match: { operation: "ListFoundationModels" }, error: { type: "ThrottlingException" } },
      ]),
    });
    expect(
      await caught(() => controlClient(emu).send(new ListFoundationModelsCommand({}))),
    ).toBeInstanceOf(ThrottlingException);
    const requests = (await (await fetch(`${emu.url}/__emulator/requests`)).json()) as Array<{
      operation: string;
    }>;
    expect(requests.map((r) => r.operation)).toEqual(["ListFoundationModels"]);
    await fetch(`${emu.url}/__emulator/catalog`, {
      method: "PUT",
      body: JSON.stringify({ foundationModels: [] }),
    });
    expect(
      (await controlClient(emu).send(new ListFoundationModelsCommand({}))).modelSummaries,
    ).toEqual([]);
    const stats = (await (await fetch(`${emu.url}/__emulator/stats`)).json()) as {
      connections: number;
    };
    expect(stats.connections).toBeGreaterThan(0);
    await fetch(`${emu.url}/__emulator/reset`, { method: "POST" });
    expect(emu.requests.length).toBe(0);
    expect(
      (await controlClient(emu).send(new ListFoundationModelsCommand({}))).modelSummaries?.length,
    ).toBe(FOUNDATION_MODELS.length);
  });
});
