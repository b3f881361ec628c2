/** Graph queries and edits shared by validation, inspection and passes. */
import { getSubgraphs } from "./attributes";
import type { Graph, Node, OnnxModel } from "./model";

/** Value name → the node that produces it. */
export function getProducers(graph: Graph): Map<string, Node> {
  const producers = new Map<string, Node>();
  for (const node of graph.node) for (const out of node.output) if (out !== "") producers.set(out, node);
  return producers;
}

/** Value name → nodes that read it (a node reading a value twice appears twice). */
export function getConsumers(graph: Graph): Map<string, Node[]> {
  const consumers = new Map<string, Node[]>();
  for (const node of graph.node) {
    for (const name of node.input) {
      if (name === "") continue;
      const list = consumers.get(name);
      if (list) list.push(node);
      else consumers.set(name, [node]);
    }
  }
  return consumers;
}

/** Names a subgraph reads from its enclosing scopes (used so edits never drop an outer value a body needs). */
export function getOuterScopeReads(graph: Graph): Set<string> {
  const reads = new Set<string>();
  const visit = (g: Graph): void => {
    const local = new Set<string>([...g.input.map((v) => v.name), ...g.initializer.map((t) => t.name ?? "")]);
    for (const node of g.node) for (const out of node.output) local.add(out);
    for (const node of g.node) {
      for (const name of node.input) if (name !== "" && !local.has(name)) reads.add(name);
      for (const sub of getSubgraphs(node)) visit(sub);
    }
  };
  for (const node of graph.node) for (const sub of getSubgraphs(node)) visit(sub);
  return reads;
}

/** Every name in use in the model (values, nodes, initializers), for collision-free new names. */
function collectNames(graph: Graph, into: Set<string>): void {
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) into.add(v.name);
  for (const t of graph.initializer) if (t.name) into.add(t.name);
  for (const node of graph.node) {
    if (node.name) into.add(node.name);
    for (const n of [...node.input, ...node.output]) into.add(n);
    for (const sub of getSubgraphs(node)) collectNames(sub, into);
  }
}

export type NameGenerator = (base: string) => string;

/** Returns a function producing names unique within the model: `base`, `base_1`, `base_2`, … */
export function createNameGenerator(model: OnnxModel): NameGenerator {
  const used = new Set<string>();
  collectNames(model.graph, used);
  return (base) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

/**
 * Nodes in dependency order (stable: keeps the original order where it is already valid).
 * Returns the nodes that could not be ordered (part of, or downstream of, a cycle) in `blocked`.
 */
export function sortTopologically(graph: Graph): { order: Node[]; blocked: Node[] } {
  const producers = getProducers(graph);
  const pending = new Map<Node, number>();
  const dependents = new Map<Node, Node[]>();
  for (const node of graph.node) {
    const deps = new Set<Node>();
    for (const name of node.input) {
      const producer = name === "" ? undefined : producers.get(name);
      if (producer && producer !== node) deps.add(producer);
      if (producer === node) deps.add(node);
    }
    pending.set(node, deps.size);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(node);
      else dependents.set(dep, [node]);
    }
  }
  const order: Node[] = [];
  const ready = graph.node.filter((n) => pending.get(n) === 0);
  const position = new Map(graph.node.map((n, i) => [n, i]));
  while (ready.length > 0) {
    ready.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
    const node = ready.shift() as Node;
    order.push(node);
    for (const next of dependents.get(node) ?? []) {
      const left = (pending.get(next) ?? 0) - 1;
      pending.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  const placed = new Set(order);
  return { order, blocked: graph.node.filter((n) => !placed.has(n)) };
}

/**
 * Removes nodes whose outputs nobody reads (graph outputs and subgraph outer reads count as reads),
 * then initializers nobody reads, and graph inputs that only existed to carry a removed initializer.
 * Returns how many nodes and initializers were dropped.
 */
export function removeUnusedNodesAndInitializers(graph: Graph): { nodes: number; initializers: number } {
  const keepAlive = new Set([...graph.output.map((o) => o.name), ...getOuterScopeReads(graph)]);
  let removedNodes = 0;
  for (;;) {
    const read = new Set(keepAlive);
    for (const node of graph.node) for (const name of node.input) read.add(name);
    const before = graph.node.length;
    graph.node = graph.node.filter((node) => node.output.some((o) => o !== "" && read.has(o)));
    removedNodes += before - graph.node.length;
    if (graph.node.length === before) break;
  }
  const read = new Set(keepAlive);
  for (const node of graph.node) for (const name of node.input) read.add(name);
  const dropped = new Set(graph.initializer.filter((t) => !read.has(t.name ?? "")).map((t) => t.name ?? ""));
  graph.initializer = graph.initializer.filter((t) => !dropped.has(t.name ?? ""));
  graph.input = graph.input.filter((i) => !dropped.has(i.name));
  const produced = new Set(graph.node.flatMap((n) => n.output));
  graph.valueInfo = graph.valueInfo.filter((v) => read.has(v.name) || produced.has(v.name));
  return { nodes: removedNodes, initializers: dropped.size };
}

/** Version of the default ("" / "ai.onnx") operator set, or undefined when the model does not import it. */
export function findDefaultOpsetVersion(model: OnnxModel): number | undefined {
  return model.opsetImport.find((o) => !o.domain || o.domain === "ai.onnx")?.version;
}
