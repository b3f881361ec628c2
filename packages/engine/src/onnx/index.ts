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
  createNameGenerator,
  findDefaultOpsetVersion,
  getConsumers,
  getProducers,
  type NameGenerator,
  removeUnusedNodesAndInitializers,
  sortTopologically,
} from "./graph";
export { type InspectOptions, inspectModel, type ModelSummary, type TensorSummary } from "./inspect";
export { countMacs, countNodeMacs, MAC_OPS, type MacCount } from "./macs";
export type * from "./model";
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
