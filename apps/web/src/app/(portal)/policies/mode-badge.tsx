import type { SchedulerMode } from "@edgewatt/protocol";
import { Badge } from "@/components/ui";

const MODES = {
  static: { tone: "gray", label: "static" },
  rule: { tone: "blue", label: "rule" },
  learned: { tone: "green", label: "learned" },
} as const;

export function ModeBadge({ mode }: { mode: SchedulerMode }) {
  return <Badge tone={MODES[mode].tone}>{MODES[mode].label}</Badge>;
}
