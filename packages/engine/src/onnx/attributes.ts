/** Reading and building node attributes. */
import type { Attribute, Graph, Node, Tensor } from "./model";

export const ATTRIBUTE_TYPE = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

function emptyAttribute(name: string, type: number): Attribute {
  return {
    name,
    type,
    floats: [],
    ints: [],
    strings: [],
    tensors: [],
    graphs: [],
    sparseTensors: [],
    typeProtos: [],
  };
}

export function createIntAttribute(name: string, value: number | bigint): Attribute {
  return { ...emptyAttribute(name, ATTRIBUTE_TYPE.INT), i: BigInt(value) };
}

export function createFloatAttribute(name: string, value: number): Attribute {
  return { ...emptyAttribute(name, ATTRIBUTE_TYPE.FLOAT), f: value };
}

export function createIntsAttribute(name: string, values: readonly (number | bigint)[]): Attribute {
  return { ...emptyAttribute(name, ATTRIBUTE_TYPE.INTS), ints: values.map((v) => BigInt(v)) };
}

export function createFloatsAttribute(name: string, values: readonly number[]): Attribute {
  return { ...emptyAttribute(name, ATTRIBUTE_TYPE.FLOATS), floats: [...values] };
}

export function createStringAttribute(name: string, value: string): Attribute {
  return { ...emptyAttribute(name, ATTRIBUTE_TYPE.STRING), s: new TextEncoder().encode(value) };
}

export function createTensorAttribute(name: string, value: Tensor): Attribute {
  return { ...emptyAttribute(name, ATTRIBUTE_TYPE.TENSOR), t: value };
}

export function createGraphAttribute(name: string, value: Graph): Attribute {
  return { ...emptyAttribute(name, ATTRIBUTE_TYPE.GRAPH), g: value };
}

export function findAttribute(node: Node, name: string): Attribute | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function getIntAttribute(node: Node, name: string, fallback: number): number {
  const attr = findAttribute(node, name);
  return attr?.i === undefined ? fallback : Number(attr.i);
}

export function getFloatAttribute(node: Node, name: string, fallback: number): number {
  return findAttribute(node, name)?.f ?? fallback;
}

/** INTS attribute as numbers (INT64_MAX/MIN become ±9.22e18, fine for comparisons); undefined when absent. */
export function findIntsAttribute(node: Node, name: string): number[] | undefined {
  const attr = findAttribute(node, name);
  return attr ? attr.ints.map(Number) : undefined;
}

export function findStringAttribute(node: Node, name: string): string | undefined {
  const attr = findAttribute(node, name);
  return attr?.s ? new TextDecoder().decode(attr.s) : undefined;
}

/** All subgraphs held by a node's attributes (If branches, Loop/Scan bodies). */
export function getSubgraphs(node: Node): Graph[] {
  const graphs: Graph[] = [];
  for (const attr of node.attribute) {
    if (attr.g) graphs.push(attr.g);
    graphs.push(...attr.graphs);
  }
  return graphs;
}
