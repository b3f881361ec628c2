/** Structural validation of a model's main graph: what ORT would reject, reported with node names. */
import { ModelValidationError } from "../errors";
import { getSubgraphs } from "./attributes";
import { getOuterScopeReads, sortTopologically } from "./graph";
import type { Graph, Node, OnnxModel } from "./model";
import { findOpIssues, OP_ISSUE_CODES } from "./validate-ops";

export const MODEL_ISSUE_CODES = [
  "DANGLING_INPUT",
  "CYCLE",
  "DUPLICATE_OUTPUT",
  "MISSING_GRAPH_OUTPUT",
  "EMPTY_OP_TYPE",
  "NOT_TOPOLOGICAL",
  ...OP_ISSUE_CODES,
] as const;
export type ModelIssueCode = (typeof MODEL_ISSUE_CODES)[number];

export interface ModelIssue {
  severity: "error" | "warning";
  code: ModelIssueCode;
  message: string;
  node?: string;
  opType?: string;
}

function describe(node: Node, index: number): string {
  return `node '${node.name || `#${index}`}' (${node.opType || "?"})`;
}

/**
 * Every problem found in the model: graph structure (main graph) and operators/opsets (main graph and
 * subgraphs, see validate-ops.ts). An empty list means the model is well formed.
 */
export function validateModel(model: OnnxModel): ModelIssue[] {
  const graph = model.graph;
  const issues: ModelIssue[] = [];
  const index = new Map(graph.node.map((n, i) => [n, i]));
  const issue = (
    code: ModelIssueCode,
    message: string,
    node?: Node,
    severity: ModelIssue["severity"] = "error",
  ) => {
    const entry: ModelIssue = { severity, code, message };
    if (node) {
      if (node.name) entry.node = node.name;
      entry.opType = node.opType;
    }
    issues.push(entry);
  };

  for (const found of findOpIssues(model)) {
    const entry: ModelIssue = { severity: found.severity, code: found.code, message: found.message };
    if (found.node?.name) entry.node = found.node.name;
    if (found.node) entry.opType = found.node.opType;
    issues.push(entry);
  }

  const available = new Set<string>([
    ...graph.input.map((v) => v.name),
    ...graph.initializer.map((t) => t.name ?? ""),
    ...graph.sparseInitializer.map((t) => t.values?.name ?? ""),
  ]);
  const producedBy = new Map<string, Node>();
  for (const node of graph.node) {
    const i = index.get(node) ?? 0;
    if (!node.opType) issue("EMPTY_OP_TYPE", `${describe(node, i)} has no op_type`, node);
    for (const out of node.output) {
      if (out === "") continue;
      const previous = producedBy.get(out);
      if (previous) {
        issue(
          "DUPLICATE_OUTPUT",
          `${describe(node, i)} writes '${out}', which ${describe(previous, index.get(previous) ?? 0)} also writes`,
          node,
        );
      } else if (available.has(out)) {
        issue(
          "DUPLICATE_OUTPUT",
          `${describe(node, i)} writes '${out}', which is also a graph input or initializer`,
          node,
        );
      }
      producedBy.set(out, node);
    }
  }

  for (const node of graph.node) {
    const i = index.get(node) ?? 0;
    for (const name of node.input) {
      if (name === "" || available.has(name) || producedBy.has(name)) continue;
      issue(
        "DANGLING_INPUT",
        `${describe(node, i)} reads '${name}', which no node, initializer or graph input produces`,
        node,
      );
    }
  }
  for (const name of getOuterScopeReads(graph)) {
    if (!available.has(name) && !producedBy.has(name)) {
      const owner = graph.node.find((n) => getSubgraphs(n).some((g) => readsName(g, name)));
      issue(
        "DANGLING_INPUT",
        `a subgraph of ${owner ? describe(owner, index.get(owner) ?? 0) : "a node"} reads '${name}', which nothing produces`,
        owner,
      );
    }
  }

  for (const output of graph.output) {
    if (!available.has(output.name) && !producedBy.has(output.name)) {
      issue(
        "MISSING_GRAPH_OUTPUT",
        `graph output '${output.name}' is not produced by any node, initializer or input`,
      );
    }
  }

  const { order, blocked } = sortTopologically(graph);
  if (blocked.length > 0) {
    const shown = blocked.slice(0, 5).map((n) => describe(n, index.get(n) ?? 0));
    issue(
      "CYCLE",
      `the graph has a cycle: ${shown.join(", ")}${blocked.length > 5 ? ` and ${blocked.length - 5} more` : ""} depend on each other`,
      blocked[0],
    );
  } else if (order.some((n, i) => n !== graph.node[i])) {
    issue(
      "NOT_TOPOLOGICAL",
      "nodes are not listed in topological order (ONNX requires it)",
      undefined,
      "warning",
    );
  }
  return issues;
}

function readsName(graph: Graph, name: string): boolean {
  return graph.node.some((n) => n.input.includes(name) || getSubgraphs(n).some((g) => readsName(g, name)));
}

/** Throws `ModelValidationError` (MODEL_INVALID) listing the errors; warnings are ignored. */
export function assertValidModel(model: OnnxModel): void {
  const errors = validateModel(model).filter((i) => i.severity === "error");
  if (errors.length === 0) return;
  const shown = errors.slice(0, 8).map((e) => `- ${e.message}`);
  if (errors.length > 8) shown.push(`- … and ${errors.length - 8} more`);
  throw new ModelValidationError(
    "MODEL_INVALID",
    `the model graph is not valid (${errors.length} problem(s)):\n${shown.join("\n")}\nRe-export the model; if it came from a pass, report it as an engine bug.`,
  );
}
