/**
 * The typed ONNX model: a faithful, camelCase mirror of onnx.proto. Optional proto fields are
 * `undefined` when absent so a parse → serialize round trip keeps field presence; repeated fields
 * are always arrays. 64-bit integers that carry data (`AttributeProto.i/ints`, `TensorProto.int64Data/
 * uint64Data`) are `bigint` so values such as INT64_MAX (common in Slice ends) survive exactly; ids,
 * versions and dimensions are plain numbers.
 */

export interface StringStringEntry {
  key?: string;
  value?: string;
}

export interface OperatorSetId {
  /** "" (or absent) is the default ONNX domain ("ai.onnx"). */
  domain?: string;
  version: number;
}

export interface TensorSegment {
  begin?: number;
  end?: number;
}

export interface Tensor {
  name?: string;
  dims: number[];
  /** A `DATA_TYPE` value (see data-type.ts). */
  dataType: number;
  segment?: TensorSegment;
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: bigint[];
  rawData?: Uint8Array;
  doubleData: number[];
  uint64Data: bigint[];
  docString?: string;
  externalData: StringStringEntry[];
  /** 0 = DEFAULT (inside the file), 1 = EXTERNAL. */
  dataLocation?: number;
  metadataProps: StringStringEntry[];
}

export interface SparseTensor {
  values?: Tensor;
  indices?: Tensor;
  dims: number[];
}

export interface Dimension {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TensorShape {
  dim: Dimension[];
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: TensorShape };
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  sparseTensorType?: { elemType?: number; shape?: TensorShape };
  opaqueType?: { domain?: string; name?: string };
  denotation?: string;
}

export interface ValueInfo {
  name: string;
  type?: TypeProto;
  docString?: string;
  metadataProps: StringStringEntry[];
}

export interface Attribute {
  name: string;
  refAttrName?: string;
  docString?: string;
  /** An `ATTRIBUTE_TYPE` value (see attributes.ts). */
  type: number;
  f?: number;
  i?: bigint;
  s?: Uint8Array;
  t?: Tensor;
  g?: Graph;
  sparseTensor?: SparseTensor;
  tp?: TypeProto;
  floats: number[];
  ints: bigint[];
  strings: Uint8Array[];
  tensors: Tensor[];
  graphs: Graph[];
  sparseTensors: SparseTensor[];
  typeProtos: TypeProto[];
}

export interface Node {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  overload?: string;
  attribute: Attribute[];
  docString?: string;
  metadataProps: StringStringEntry[];
}

export interface TensorAnnotation {
  tensorName?: string;
  quantParameterTensorNames: StringStringEntry[];
}

export interface Graph {
  node: Node[];
  name?: string;
  initializer: Tensor[];
  sparseInitializer: SparseTensor[];
  docString?: string;
  input: ValueInfo[];
  output: ValueInfo[];
  valueInfo: ValueInfo[];
  quantizationAnnotation: TensorAnnotation[];
  metadataProps: StringStringEntry[];
}

export interface TrainingInfo {
  initialization?: Graph;
  algorithm?: Graph;
  initializationBinding: StringStringEntry[];
  updateBinding: StringStringEntry[];
}

export interface FunctionProto {
  name?: string;
  input: string[];
  output: string[];
  attribute: string[];
  attributeProto: Attribute[];
  node: Node[];
  docString?: string;
  opsetImport: OperatorSetId[];
  domain?: string;
  overload?: string;
  valueInfo: ValueInfo[];
  metadataProps: StringStringEntry[];
}

export interface OnnxModel {
  irVersion: number;
  opsetImport: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: Graph;
  metadataProps: StringStringEntry[];
  trainingInfo: TrainingInfo[];
  functions: FunctionProto[];
}
