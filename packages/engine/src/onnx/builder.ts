/** Constructors for graph pieces: used by passes to emit nodes and by tests to build fixtures. */
import { findDataTypeByName } from "./data-type";
import type { Attribute, Graph, Node, OnnxModel, OperatorSetId, Tensor, TypeProto, ValueInfo } from "./model";

export interface CreateNodeOptions {
  name?: string;
  domain?: string;
  attributes?: Attribute[];
}

export function createNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  options: CreateNodeOptions = {},
): Node {
  const node: Node = {
    input: [...inputs],
    output: [...outputs],
    opType,
    attribute: options.attributes ?? [],
    metadataProps: [],
  };
  if (options.name !== undefined) node.name = options.name;
  if (options.domain !== undefined && options.domain !== "") node.domain = options.domain;
  return node;
}

/** A tensor type; `elemType` is a name ('float32') or DataType id; dims are numbers or symbolic names. */
export function createTensorType(elemType: string | number, shape?: readonly (number | string)[]): TypeProto {
  const id = typeof elemType === "number" ? elemType : findDataTypeByName(elemType);
  if (id === undefined) throw new RangeError(`unknown element type '${elemType}'`);
  const tensorType: NonNullable<TypeProto["tensorType"]> = { elemType: id };
  if (shape) {
    tensorType.shape = { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) };
  }
  return { tensorType };
}

export function createValueInfo(
  name: string,
  elemType: string | number,
  shape?: readonly (number | string)[],
): ValueInfo {
  return { name, type: createTensorType(elemType, shape), metadataProps: [] };
}

export interface CreateGraphOptions {
  name?: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers?: Tensor[];
  valueInfo?: ValueInfo[];
}

export function createGraph(options: CreateGraphOptions): Graph {
  return {
    node: options.nodes,
    name: options.name ?? "graph",
    initializer: options.initializers ?? [],
    sparseInitializer: [],
    input: options.inputs,
    output: options.outputs,
    valueInfo: options.valueInfo ?? [],
    quantizationAnnotation: [],
    metadataProps: [],
  };
}

export interface CreateModelOptions {
  graph: Graph;
  /** Default-domain opset version; default 13. */
  opset?: number;
  extraOpsets?: OperatorSetId[];
  irVersion?: number;
  producerName?: string;
}

export function createModel(options: CreateModelOptions): OnnxModel {
  return {
    irVersion: options.irVersion ?? 8,
    opsetImport: [{ domain: "", version: options.opset ?? 13 }, ...(options.extraOpsets ?? [])],
    producerName: options.producerName ?? "edgewatt-engine",
    graph: options.graph,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
}
