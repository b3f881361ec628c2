/**
 * The ONNX protobuf schema (onnx.proto, IR version 10) as a protobufjs JSON descriptor, written from
 * the field numbers of the ONNX specification. Field names are camelCase so that decoded messages
 * line up with the typed model in `model.ts`. Enums are declared as int32 (same varint wire format)
 * so unknown enum values survive a round trip.
 *
 * onnx.proto is proto2: repeated scalars are unpacked unless the spec marks them `[packed = true]`
 * (only the TensorProto `*_data` fields), so every repeated scalar states `packed` explicitly.
 * Fields not declared here (e.g. IR 11 device configurations) are dropped on parse.
 */
import protobuf from "protobufjs";

type FieldJson = { type: string; id: number; rule?: "repeated"; options?: { packed: boolean } };

const one = (type: string, id: number): FieldJson => ({ type, id });
const many = (type: string, id: number): FieldJson => ({ type, id, rule: "repeated" });
const unpacked = (type: string, id: number): FieldJson => ({
  type,
  id,
  rule: "repeated",
  options: { packed: false },
});
const packed = (type: string, id: number): FieldJson => ({
  type,
  id,
  rule: "repeated",
  options: { packed: true },
});

const ONNX_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: one("string", 1),
            refAttrName: one("string", 21),
            docString: one("string", 13),
            type: one("int32", 20),
            f: one("float", 2),
            i: one("int64", 3),
            s: one("bytes", 4),
            t: one("TensorProto", 5),
            g: one("GraphProto", 6),
            sparseTensor: one("SparseTensorProto", 22),
            tp: one("TypeProto", 14),
            floats: unpacked("float", 7),
            ints: unpacked("int64", 8),
            strings: many("bytes", 9),
            tensors: many("TensorProto", 10),
            graphs: many("GraphProto", 11),
            sparseTensors: many("SparseTensorProto", 23),
            typeProtos: many("TypeProto", 15),
          },
        },
        ValueInfoProto: {
          fields: {
            name: one("string", 1),
            type: one("TypeProto", 2),
            docString: one("string", 3),
            metadataProps: many("StringStringEntryProto", 4),
          },
        },
        NodeProto: {
          fields: {
            input: many("string", 1),
            output: many("string", 2),
            name: one("string", 3),
            opType: one("string", 4),
            domain: one("string", 7),
            overload: one("string", 8),
            attribute: many("AttributeProto", 5),
            docString: one("string", 6),
            metadataProps: many("StringStringEntryProto", 9),
          },
        },
        TrainingInfoProto: {
          fields: {
            initialization: one("GraphProto", 1),
            algorithm: one("GraphProto", 2),
            initializationBinding: many("StringStringEntryProto", 3),
            updateBinding: many("StringStringEntryProto", 4),
          },
        },
        ModelProto: {
          fields: {
            irVersion: one("int64", 1),
            opsetImport: many("OperatorSetIdProto", 8),
            producerName: one("string", 2),
            producerVersion: one("string", 3),
            domain: one("string", 4),
            modelVersion: one("int64", 5),
            docString: one("string", 6),
            graph: one("GraphProto", 7),
            metadataProps: many("StringStringEntryProto", 14),
            trainingInfo: many("TrainingInfoProto", 20),
            functions: many("FunctionProto", 25),
          },
        },
        StringStringEntryProto: {
          fields: { key: one("string", 1), value: one("string", 2) },
        },
        TensorAnnotation: {
          fields: {
            tensorName: one("string", 1),
            quantParameterTensorNames: many("StringStringEntryProto", 2),
          },
        },
        GraphProto: {
          fields: {
            node: many("NodeProto", 1),
            name: one("string", 2),
            initializer: many("TensorProto", 5),
            sparseInitializer: many("SparseTensorProto", 15),
            docString: one("string", 10),
            input: many("ValueInfoProto", 11),
            output: many("ValueInfoProto", 12),
            valueInfo: many("ValueInfoProto", 13),
            quantizationAnnotation: many("TensorAnnotation", 14),
            metadataProps: many("StringStringEntryProto", 16),
          },
        },
        TensorProto: {
          fields: {
            dims: unpacked("int64", 1),
            dataType: one("int32", 2),
            segment: one("Segment", 3),
            floatData: packed("float", 4),
            int32Data: packed("int32", 5),
            stringData: many("bytes", 6),
            int64Data: packed("int64", 7),
            name: one("string", 8),
            docString: one("string", 12),
            rawData: one("bytes", 9),
            externalData: many("StringStringEntryProto", 13),
            dataLocation: one("int32", 14),
            doubleData: packed("double", 10),
            uint64Data: packed("uint64", 11),
            metadataProps: many("StringStringEntryProto", 16),
          },
          nested: {
            Segment: { fields: { begin: one("int64", 1), end: one("int64", 2) } },
          },
        },
        SparseTensorProto: {
          fields: {
            values: one("TensorProto", 1),
            indices: one("TensorProto", 2),
            dims: unpacked("int64", 3),
          },
        },
        TensorShapeProto: {
          fields: { dim: many("Dimension", 1) },
          nested: {
            Dimension: {
              fields: {
                dimValue: one("int64", 1),
                dimParam: one("string", 2),
                denotation: one("string", 3),
              },
            },
          },
        },
        TypeProto: {
          fields: {
            tensorType: one("Tensor", 1),
            sequenceType: one("Sequence", 4),
            mapType: one("Map", 5),
            optionalType: one("Optional", 9),
            sparseTensorType: one("SparseTensor", 8),
            opaqueType: one("Opaque", 7),
            denotation: one("string", 6),
          },
          nested: {
            Tensor: { fields: { elemType: one("int32", 1), shape: one("TensorShapeProto", 2) } },
            Sequence: { fields: { elemType: one("TypeProto", 1) } },
            Map: { fields: { keyType: one("int32", 1), valueType: one("TypeProto", 2) } },
            Optional: { fields: { elemType: one("TypeProto", 1) } },
            SparseTensor: { fields: { elemType: one("int32", 1), shape: one("TensorShapeProto", 2) } },
            Opaque: { fields: { domain: one("string", 1), name: one("string", 2) } },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: one("string", 1), version: one("int64", 2) },
        },
        FunctionProto: {
          fields: {
            name: one("string", 1),
            input: many("string", 4),
            output: many("string", 5),
            attribute: many("string", 6),
            attributeProto: many("AttributeProto", 11),
            node: many("NodeProto", 7),
            docString: one("string", 8),
            opsetImport: many("OperatorSetIdProto", 9),
            domain: one("string", 10),
            overload: one("string", 13),
            valueInfo: many("ValueInfoProto", 12),
            metadataProps: many("StringStringEntryProto", 14),
          },
        },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

/** The reflected `onnx.ModelProto` type, built once on first use. */
export function getModelProtoType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType("onnx.ModelProto");
  return modelType;
}
