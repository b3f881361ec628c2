/**
 * Operator/opset checks for validateModel: the default-domain opset is one the engine handles, every
 * node's op exists at the opset its domain is imported at (op-versions.ts), and ops whose inputs moved
 * from attributes to inputs use the form their version defines (ORT rejects the other form).
 */
import { getSubgraphs } from "./attributes";
import type { Graph, Node, OnnxModel } from "./model";
import {
  findDefaultDomainOp,
  LEGACY_EXPERIMENTAL_OPS,
  MAX_VALIDATED_OPSET,
  MICROSOFT_DOMAIN_OPS,
  MIN_VALIDATED_OPSET,
  ORT_EARLY_DEFAULT_DOMAIN_OPS,
} from "./op-versions";

export const OP_ISSUE_CODES = [
  "OPSET_UNSUPPORTED",
  "OPSET_MISSING",
  "OP_UNKNOWN",
  "OP_NOT_IN_OPSET",
  "OP_FORM_MISMATCH",
  "OP_UNVERIFIED",
] as const;
export type OpIssueCode = (typeof OP_ISSUE_CODES)[number];

export interface OpIssue {
  severity: "error" | "warning";
  code: OpIssueCode;
  message: string;
  node?: Node;
}

const REEXPORT = (opset: number) =>
  `re-export the model with opset_version=${opset} or later (torch.onnx.export(..., opset_version=${opset}))`;

/** Attributes that became inputs at an opset: an attribute at/after it, or the input before it, is invalid. */
const MOVED_TO_INPUT: Record<string, { attribute: string; since: number; input: number }[]> = {
  Squeeze: [{ attribute: "axes", since: 13, input: 1 }],
  Unsqueeze: [{ attribute: "axes", since: 13, input: 1 }],
  ReduceSum: [{ attribute: "axes", since: 13, input: 1 }],
  Split: [{ attribute: "split", since: 13, input: 1 }],
  Slice: [
    { attribute: "starts", since: 10, input: 1 },
    { attribute: "ends", since: 10, input: 2 },
  ],
  Pad: [{ attribute: "pads", since: 11, input: 1 }],
  Clip: [
    { attribute: "min", since: 11, input: 1 },
    { attribute: "max", since: 11, input: 2 },
  ],
  ...Object.fromEntries(
    [
      "ReduceL1",
      "ReduceL2",
      "ReduceLogSum",
      "ReduceLogSumExp",
      "ReduceMax",
      "ReduceMean",
      "ReduceMin",
      "ReduceProd",
      "ReduceSumSquare",
    ].map((op) => [op, [{ attribute: "axes", since: 18, input: 1 }]]),
  ),
};

function isDefaultDomain(domain: string | undefined): boolean {
  return !domain || domain === "ai.onnx";
}

function collectNodes(graph: Graph, into: Node[]): Node[] {
  for (const node of graph.node) {
    into.push(node);
    for (const sub of getSubgraphs(node)) collectNodes(sub, into);
  }
  return into;
}

export function describeNode(node: Node): string {
  return `node '${node.name || node.output[0] || "?"}' (${node.opType || "?"})`;
}

/** Every opset/operator problem in the model (main graph and subgraphs). */
export function findOpIssues(model: OnnxModel): OpIssue[] {
  const issues: OpIssue[] = [];
  const imports = new Map<string, number>();
  for (const o of model.opsetImport)
    imports.set(isDefaultDomain(o.domain) ? "" : (o.domain ?? ""), o.version);
  const localFunctions = new Set(model.functions.map((f) => `${f.domain ?? ""}|${f.name ?? ""}`));
  const nodes = collectNodes(model.graph, []);

  const defaultOpset = imports.get("");
  const usesDefault = nodes.some((n) => isDefaultDomain(n.domain));
  let checkDefaultOps = defaultOpset !== undefined;
  if (defaultOpset === undefined && usesDefault) {
    issues.push({
      severity: "error",
      code: "OPSET_MISSING",
      message: "the model has default-domain (ai.onnx) nodes but imports no ai.onnx opset",
    });
  } else if (
    defaultOpset !== undefined &&
    (defaultOpset < MIN_VALIDATED_OPSET || defaultOpset > MAX_VALIDATED_OPSET)
  ) {
    checkDefaultOps = false;
    const fix =
      defaultOpset < MIN_VALIDATED_OPSET
        ? REEXPORT(13)
        : `re-export it with an opset between ${MIN_VALIDATED_OPSET} and ${MAX_VALIDATED_OPSET} (e.g. torch.onnx.export(..., opset_version=17))`;
    issues.push({
      severity: "error",
      code: "OPSET_UNSUPPORTED",
      message: `the model uses ai.onnx opset ${defaultOpset}; the engine handles opsets ${MIN_VALIDATED_OPSET}–${MAX_VALIDATED_OPSET}: ${fix}`,
    });
  }

  const missingDomains = new Set<string>();
  for (const node of nodes) {
    const domain = isDefaultDomain(node.domain) ? "" : (node.domain ?? "");
    if (localFunctions.has(`${node.domain ?? ""}|${node.opType}`)) continue;
    if (domain === "") {
      if (checkDefaultOps && defaultOpset !== undefined) issues.push(...checkDefaultOp(node, defaultOpset));
      continue;
    }
    if (!imports.has(domain)) {
      if (!missingDomains.has(domain)) {
        missingDomains.add(domain);
        issues.push({
          severity: "error",
          code: "OPSET_MISSING",
          message: `${describeNode(node)} is in domain '${domain}', which the model does not import (add an opset_import entry for '${domain}')`,
          node,
        });
      }
      continue;
    }
    if (domain === "com.microsoft") {
      if (!MICROSOFT_DOMAIN_OPS.has(node.opType)) {
        issues.push({
          severity: "warning",
          code: "OP_UNVERIFIED",
          message: `${describeNode(node)}: com.microsoft.${node.opType} is not an onnxruntime contrib op the engine knows; it cannot check it`,
          node,
        });
      }
    } else if (domain !== "ai.onnx.ml" && domain !== "ai.onnx.preview.training") {
      issues.push({
        severity: "warning",
        code: "OP_UNVERIFIED",
        message: `${describeNode(node)} is in custom domain '${domain}': it runs only where that op is registered`,
        node,
      });
    }
  }
  return issues;
}

function checkDefaultOp(node: Node, opset: number): OpIssue[] {
  const op = node.opType;
  const found = findDefaultDomainOp(op, opset);
  if (found.status === "unknown") {
    if (LEGACY_EXPERIMENTAL_OPS.has(op)) {
      return [
        {
          severity: "warning",
          code: "OP_NOT_IN_OPSET",
          message: `${describeNode(node)}: ${op} was an experimental ONNX op, since removed; onnxruntime still loads it, other runtimes may not`,
          node,
        },
      ];
    }
    return [
      {
        severity: "error",
        code: "OP_UNKNOWN",
        message: `${describeNode(node)}: '${op}' is not an ONNX operator in the default domain (opsets up to ${MAX_VALIDATED_OPSET}); if it is a custom op, put it in its own domain`,
        node,
      },
    ];
  }
  if (found.status === "too-new") {
    const early = ORT_EARLY_DEFAULT_DOMAIN_OPS.has(op);
    return [
      {
        severity: early ? "warning" : "error",
        code: "OP_NOT_IN_OPSET",
        message:
          `${describeNode(node)}: ${op} was added in opset ${found.since} but the model imports opset ${opset}` +
          (early ? " (onnxruntime accepts it through its own definition; other runtimes will not)" : "") +
          `; ${REEXPORT(found.since)}`,
        node,
      },
    ];
  }
  if (found.status === "deprecated") {
    return [
      {
        severity: "error",
        code: "OP_NOT_IN_OPSET",
        message: `${describeNode(node)}: ${op} is deprecated since opset ${found.deprecatedIn} and the model imports opset ${opset}; re-export it (${op === "Upsample" ? "Resize replaces Upsample" : "ScatterElements replaces Scatter"})`,
        node,
      },
    ];
  }
  const issues: OpIssue[] = [];
  for (const moved of MOVED_TO_INPUT[op] ?? []) {
    const hasAttribute = node.attribute.some((a) => a.name === moved.attribute);
    const hasInput = (node.input[moved.input] ?? "") !== "";
    if (opset >= moved.since && hasAttribute) {
      issues.push({
        severity: "error",
        code: "OP_FORM_MISMATCH",
        message: `${describeNode(node)}: from opset ${moved.since} ${op} takes '${moved.attribute}' as input ${moved.input}, not as an attribute (the model imports opset ${opset}); the node was written for an older opset`,
        node,
      });
    } else if (opset < moved.since && hasInput) {
      issues.push({
        severity: "error",
        code: "OP_FORM_MISMATCH",
        message: `${describeNode(node)}: before opset ${moved.since} ${op} takes '${moved.attribute}' as an attribute, not as input ${moved.input} (the model imports opset ${opset}); ${REEXPORT(moved.since)}`,
        node,
      });
    }
  }
  return issues;
}
