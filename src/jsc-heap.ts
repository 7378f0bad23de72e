/**
 * How much memory JavaScriptCore believes the machine has. JSC sizes its heap
 * growth from it: below 16 GiB of RAM it grows the heap along a curve that
 * collects sooner as the heap grows; at 16 GiB and above it lets the heap
 * double between collections. So the same gateway held ~15–30 % more RSS at
 * 256 open streams on a 24 GiB machine than with JSC told 1–8 GiB, for the
 * same CPU (bench/README.md, "Session 3: memory"). JSC also reads the physical
 * RAM, not a container's memory limit, and only becomes more eager to collect
 * near 80 % of what it believes it has.
 *
 * The gateway therefore tells JSC the memory it may use: the container's limit
 * when there is one, else the machine's RAM, and never more than
 * {@link JSC_RAM_CAP}. Bun reads `BUN_JSC_*` variables only when the process
 * starts, so the value travels with the start-up re-exec of
 * src/fetch-capacity.ts. An operator's own `BUN_JSC_forceRAMSize` is kept
 * (0 lets JSC read the machine's RAM itself).
 *
 * @module
 */
import { totalmem } from "node:os";

/** JSC's option (in bytes); `forceRAMSize` has been in JSC's option list for a decade. */
export const JSC_RAM_VAR = "BUN_JSC_forceRAMSize";
/**
 * The most the gateway tells JSC: below the 16 GiB where JSC switches to its
 * doubling growth, far above any heap the gateway needs (measured 1, 2, 4 and
 * 8 GiB alike in RSS and CPU; 128 MiB cost CPU).
 */
export const JSC_RAM_CAP = 8 * 1024 ** 3;

/** The RAM to tell JSC: the container limit if any, else the machine's, capped. */
export function jscRamSize(machine: number, constrained: number | undefined): number {
  const limit =
    constrained !== undefined && constrained > 0 && constrained < machine ? constrained : machine;
  return Math.max(1, Math.min(limit, JSC_RAM_CAP));
}

/** Start-up variables for JSC's heap, unless the operator set them. */
export function jscHeapEnv(
  env: Record<string, string | undefined> = process.env,
  machine: number = totalmem(),
  constrained: number | undefined = process.constrainedMemory?.(),
): Record<string, string> {
  if (env[JSC_RAM_VAR] !== undefined) return {};
  return { [JSC_RAM_VAR]: String(jscRamSize(machine, constrained)) };
}
