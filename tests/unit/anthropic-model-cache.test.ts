/**
 * resolveAnthropicModel keeps what it resolved for the catalog snapshot in use:
 * the same answer without asking the resolver again, a fresh resolution once
 * the catalog has a new snapshot, and unknown names never kept (still 404).
 */
import { describe, expect, test } from "bun:test";
import { ModelNotFoundError } from "../../src/errors";
import { capabilitiesOf } from "../../src/models/capabilities";
import type { CatalogSnapshot, ModelCatalog } from "../../src/models/catalog";
import type { ModelResolver } from "../../src/models/resolver";
import { AnthropicModelNotFound } from "../../src/surfaces/anthropic/errors";
import { resolveAnthropicModel } from "../../src/surfaces/anthropic/models";

const SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0";

function snapshot(ids: string[]): CatalogSnapshot {
  return {
    entries: ids.map((id) => ({ foundationModelId: id }) as never),
    loadedAt: 0,
    lookup: () => undefined,
  };
}

function setup() {
  let current = snapshot([SONNET, "amazon.nova-pro-v1:0"]);
  const asked: string[] = [];
  const models: ModelResolver = {
    resolve(name) {
      asked.push(name as string);
      if (!(name as string).startsWith("anthropic.")) throw new ModelNotFoundError(name as string);
      return { id: name as string, caps: capabilitiesOf(name as string) };
    },
  };
  const catalog = { current: () => current } as unknown as ModelCatalog;
  return {
    deps: { models, catalog },
    asked,
    refresh: (ids: string[]) => {
      current = snapshot(ids);
    },
  };
}

describe("resolveAnthropicModel cache", () => {
  test("an Anthropic name resolves once per catalog snapshot, to the same target", () => {
    const { deps, asked, refresh } = setup();
    const first = resolveAnthropicModel(deps, "claude-sonnet-4-5");
    expect(first).toMatchObject({ id: SONNET, foundationModelId: SONNET, native: true });
    expect(asked).toEqual(["claude-sonnet-4-5", SONNET]);
    expect(resolveAnthropicModel(deps, "claude-sonnet-4-5")).toEqual(first);
    expect(asked).toHaveLength(2);
    // A new snapshot (catalog reload): resolved again, against the new listing.
    const newer = "anthropic.claude-sonnet-4-5-20260101-v1:0";
    refresh([SONNET, newer]);
    expect(resolveAnthropicModel(deps, "claude-sonnet-4-5").id).toBe(newer);
    expect(asked).toHaveLength(4);
  });

  test("an unknown name is a 404 every time (never kept)", () => {
    const { deps, asked } = setup();
    for (let i = 0; i < 2; i++) {
      expect(() => resolveAnthropicModel(deps, "claude-nonexistent-9")).toThrow(
        AnthropicModelNotFound,
      );
    }
    expect(asked).toEqual(["claude-nonexistent-9", "claude-nonexistent-9"]);
  });
});
