// Child process of memory-probe.ts: loads the runtime module named in argv, reads the model and feeds it
// was handed, then creates one session and runs it, and prints RSS figures as one JSON line on stdout.
// argv: <runtime module> <dir with model.onnx, warm-up.onnx, feeds.json, feed-<i>.bin> <intra-op threads> <runs>
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [moduleName, dir, threadsArg, runsArg] = process.argv.slice(2);
const imported = await import(moduleName);
const ort = imported.default ?? imported;
const ctors = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};
const model = new Uint8Array(readFileSync(join(dir, "model.onnx")));
const meta = JSON.parse(readFileSync(join(dir, "feeds.json"), "utf8"));
const feeds = {};
meta.forEach((feed, i) => {
  const raw = readFileSync(join(dir, `feed-${i}.bin`));
  const Ctor = ctors[feed.type];
  const data = new Ctor(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  feeds[feed.name] = new ort.Tensor(feed.type, data, feed.dims);
});

// The runtime's one-time set-up (environment, kernel registries) would otherwise dominate the figure:
// a one-node session absorbs it first.
const warm = await ort.InferenceSession.create(new Uint8Array(readFileSync(join(dir, "warm-up.onnx"))), {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 3,
});
await warm.run({ x: new ort.Tensor("float32", new Float32Array([1]), [1]) });
await warm.release();

// Peak RSS: the kernel's high-water mark of this address space (VmHWM), reset to the current RSS just
// before the session is created (Linux ≥ 4.0: '5' to clear_refs), plus samples after creation and each
// run. getrusage's maxrss is not used: across fork + exec it keeps the parent's high-water.
function resetHighWater() {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}
function readHighWater() {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const reset = resetHighWater();
const before = process.memoryUsage.rss();
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: Number(threadsArg),
  interOpNumThreads: 1,
  logSeverityLevel: 3,
});
let peak = process.memoryUsage.rss();
for (let i = 0; i < Number(runsArg); i++) {
  await session.run(feeds);
  peak = Math.max(peak, process.memoryUsage.rss());
}
const hwm = reset ? readHighWater() : undefined;
const highWater = Math.max(peak, hwm ?? 0);
await session.release();
process.stdout.write(
  `${JSON.stringify({ before, peak, highWater, source: hwm === undefined ? "samples" : "VmHWM" })}\n`,
);
