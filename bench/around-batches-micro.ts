/**
 * In-process A/B: the Responses route's stream wrapper, an async generator
 * (`yield first; yield* batches; await save()`) against `aroundBatches`, over
 * an inner iterator of 200 ready batches; CPU ns per batch, 7 interleaved rounds.
 *
 *   bun run bench/around-batches-micro.ts
 */
import { aroundBatches } from "../src/converse/events";

const N = 200;
class Inner implements AsyncIterator<number[]> {
  i = 0;
  next() {
    return Promise.resolve(
      this.i++ < N
        ? { done: false as const, value: [this.i] }
        : { done: true as const, value: undefined },
    );
  }
}
async function* gen(first: number[], inner: AsyncIterator<number[]>, after: () => Promise<void>) {
  yield first;
  yield* { [Symbol.asyncIterator]: () => inner } as AsyncIterable<number[]>;
  await after();
}
const after = async () => {};
let sink = 0;
async function drain(it: AsyncIterator<number[]>) {
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    sink += r.value.length;
  }
}
const variants = {
  generator: () => drain(gen([0], new Inner(), after)),
  aroundBatches: () => drain(aroundBatches([0], new Inner(), after)),
};
for (const f of Object.values(variants)) for (let i = 0; i < 500; i++) await f();
const res: Record<string, number[]> = { generator: [], aroundBatches: [] };
for (let round = 0; round < 7; round++)
  for (const [name, f] of round % 2
    ? Object.entries(variants).reverse()
    : Object.entries(variants)) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < 2000; i++) await f();
    const t = process.cpuUsage(t0);
    res[name]?.push(((t.user + t.system) / 2000 / N) * 1000);
  }
for (const [k, v] of Object.entries(res))
  console.log(
    k,
    "ns per batch, median",
    v.sort((a, b) => a - b)[3]?.toFixed(0),
    v.map((x) => x.toFixed(0)).join(" "),
  );
if (sink < 0) console.log(sink);
