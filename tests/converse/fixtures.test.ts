/**
 * Recorded Bedrock answers through the Converse core: the neutral stream
 * events and results every surface encodes (golden files in
 * tests/fixtures/golden/core; see tests/fixtures/README.md).
 */
import { describe, expect, test } from "bun:test";
import {
  CORE_RESULTS,
  CORE_STREAMS,
  coreEvents,
  coreGoldenPath,
  coreResult,
} from "../fixtures/core-cases";

describe("ConverseStream fixtures → neutral events", () => {
  for (const name of CORE_STREAMS) {
    test(name, async () => {
      expect(await coreEvents(name)).toBe(await Bun.file(coreGoldenPath(name, "events")).text());
    });
  }
});

describe("Converse fixtures → neutral results", () => {
  for (const name of CORE_RESULTS) {
    test(name, async () => {
      expect(coreResult(name)).toBe(await Bun.file(coreGoldenPath(name, "result")).text());
    });
  }
});
