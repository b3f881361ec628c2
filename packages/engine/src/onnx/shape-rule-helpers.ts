/** Shared helpers and the rule signature for shape-rules*.ts. */
import type { Attribute, Node } from "./model";
import type { ValueFacts } from "./value-facts";

export interface ShapeRuleContext {
  node: Node;
  inputs: (ValueFacts | undefined)[];
  opsetVersion: number;
  attr: (name: string) => Attribute | undefined;
}
export type ShapeRule = (ctx: ShapeRuleContext) => (ValueFacts | undefined)[];

export const ints = (ctx: ShapeRuleContext, name: string): number[] | undefined =>
  ctx.attr(name)?.ints.map(Number);
export const int = (ctx: ShapeRuleContext, name: string, fallback: number): number => {
  const i = ctx.attr(name)?.i;
  return i === undefined ? fallback : Number(i);
};
export const shapeOf = (ctx: ShapeRuleContext, i: number): number[] => {
  const shape = ctx.inputs[i]?.shape;
  if (!shape) throw new Error("unknown input shape");
  return shape;
};
export const valuesOf = (ctx: ShapeRuleContext, i: number): number[] | undefined => ctx.inputs[i]?.value;
export const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
export const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d !== 1) {
        if (dim !== 1 && dim !== d) throw new Error("shapes do not broadcast");
        dim = d;
      }
    }
    out.push(dim);
  }
  return out;
}
