/** Shape rules for the compute-heavy ops: convolutions, pooling, matrix products, Flatten. */
import {
  broadcastShapes,
  int,
  ints,
  normAxis,
  product,
  type ShapeRule,
  type ShapeRuleContext,
  shapeOf,
} from "./shape-rule-helpers";

function windowed(
  ctx: ShapeRuleContext,
  kernel: number[],
  transposed: boolean,
  outChannels: number,
): number[] {
  const x = shapeOf(ctx, 0);
  const spatial = x.slice(2);
  const strides = ints(ctx, "strides") ?? spatial.map(() => 1);
  const dilations = ints(ctx, "dilations") ?? spatial.map(() => 1);
  const pads = ints(ctx, "pads") ?? new Array<number>(spatial.length * 2).fill(0);
  const autoPad = new TextDecoder().decode(ctx.attr("auto_pad")?.s ?? new Uint8Array());
  const ceil = int(ctx, "ceil_mode", 0) === 1;
  const outputPadding = ints(ctx, "output_padding") ?? spatial.map(() => 0);
  const outputShape = ints(ctx, "output_shape");
  const out = spatial.map((size, i) => {
    const k = ((kernel[i] ?? 1) - 1) * (dilations[i] ?? 1) + 1;
    const s = strides[i] ?? 1;
    if (transposed) {
      if (outputShape) return outputShape[i] ?? 0;
      if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") return size * s;
      const padTotal = (pads[i] ?? 0) + (pads[i + spatial.length] ?? 0);
      return s * (size - 1) + (outputPadding[i] ?? 0) + k - padTotal;
    }
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") return Math.ceil(size / s);
    const padTotal = autoPad === "VALID" ? 0 : (pads[i] ?? 0) + (pads[i + spatial.length] ?? 0);
    const span = (size + padTotal - k) / s;
    return (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  });
  return [x[0] ?? 1, outChannels, ...out];
}

export const conv: ShapeRule = (ctx) => {
  const w = shapeOf(ctx, 1);
  return [{ shape: windowed(ctx, ints(ctx, "kernel_shape") ?? w.slice(2), false, w[0] ?? 0) }];
};

export const convTranspose: ShapeRule = (ctx) => {
  const w = shapeOf(ctx, 1);
  const channels = (w[1] ?? 0) * int(ctx, "group", 1);
  return [{ shape: windowed(ctx, ints(ctx, "kernel_shape") ?? w.slice(2), true, channels) }];
};

export const pool: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const kernel = ints(ctx, "kernel_shape");
  if (!kernel) throw new Error("pool without kernel_shape");
  const shape = windowed(ctx, kernel, false, x[1] ?? 0);
  return [{ shape }, { shape }];
};

export const globalPool: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  return [{ shape: [x[0] ?? 1, x[1] ?? 1, ...x.slice(2).map(() => 1)] }];
};

export const matmul: ShapeRule = (ctx) => {
  const a = shapeOf(ctx, 0);
  const b = shapeOf(ctx, 1);
  const a2 = a.length === 1 ? [1, a[0] ?? 0] : a;
  const b2 = b.length === 1 ? [b[0] ?? 0, 1] : b;
  if (a2[a2.length - 1] !== b2[b2.length - 2]) throw new Error("inner dims differ");
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  const shape = [...batch];
  if (a.length !== 1) shape.push(a2[a2.length - 2] ?? 0);
  if (b.length !== 1) shape.push(b2[b2.length - 1] ?? 0);
  return [{ shape }];
};

export const gemm: ShapeRule = (ctx) => {
  const a = shapeOf(ctx, 0);
  const b = shapeOf(ctx, 1);
  const m = int(ctx, "transA", 0) ? a[1] : a[0];
  const n = int(ctx, "transB", 0) ? b[0] : b[1];
  return [{ shape: [m ?? 0, n ?? 0] }];
};

export const flatten: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const axis = normAxis(int(ctx, "axis", 1), x.length);
  return [{ shape: [product(x.slice(0, axis)), product(x.slice(axis))] }];
};
