export {
  ATTRIBUTE_TYPE,
  createFloatAttribute,
  createFloatsAttribute,
  createGraphAttribute,
  createIntAttribute,
  createIntsAttribute,
  createStringAttribute,
  createTensorAttribute,
  findAttribute,
  findIntsAttribute,
  findStringAttribute,
  getFloatAttribute,
  getIntAttribute,
  getSubgraphs,
} from "./attributes";
export {
  type CreateGraphOptions,
  type CreateModelOptions,
  type CreateNodeOptions,
  createGraph,
  createModel,
  createNode,
  createTensorType,
  createValueInfo,
} from "./builder";
export { type ParseOptions, parseModel, serializeModel } from "./codec";
export { type ConstantResolver, createConstantResolver } from "./constants";
export {
  DATA_TYPE,
  type DataTypeId,
  findDataTypeByName,
  getBitsPerElement,
  getDataTypeName,
} from "./data-type";
export {
  FLOAT16_MAX,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  isExactFloat16,
  toFloat16,
} from "./float16";
export {
  createNameGenerator,
  findDefaultOpsetVersion,
  getConsumers,
  getProducers,
  type NameGenerator,
  removeUnusedNodesAndInitializers,
  sortTopologically,
} from "./graph";
export { type InspectOptions, inspectModel, type ModelSummary, type TensorSummary } from "./inspect";
export { countMacs, countNodeMacs, MAC_OPS, type MacCount, MICROSOFT_MAC_OPS } from "./macs";
export type * from "./model";
export {
  DEFAULT_DOMAIN_OP_VERSIONS,
  findDefaultDomainOp,
  listDefaultDomainOps,
  MAX_VALIDATED_OPSET,
  MICROSOFT_DOMAIN_OPS,
  MIN_VALIDATED_OPSET,
  type OpAvailability,
} from "./op-versions";
export { findOpsetUpgradeBlockers, MIN_SUPPORTED_OPSET, minIrVersionFor, raiseDefaultOpset } from "./opset";
export { type InferShapesOptions, inferShapes, type ValueFacts } from "./shape-infer";
export {
  copyBytes,
  createFloatTensor,
  createInt64Tensor,
  createTensor,
  getElementCount,
  getTensorByteSize,
  getTensorData,
  getTensorNumbers,
  type TensorData,
  transposeMatrix,
} from "./tensor";
export {
  assertValidModel,
  MODEL_ISSUE_CODES,
  type ModelIssue,
  type ModelIssueCode,
  validateModel,
} from "./validate";
