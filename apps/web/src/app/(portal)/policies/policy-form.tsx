"use client";

/**
 * The energy-policy form (create and edit). Every field is explained with the protocol's own `.describe()` text
 * (the schemas the agent validates with), and the server's validation messages are shown under the field they
 * name. The only check made here is that required numbers are filled in; everything else is the server's call.
 */
import {
  PRIORITIES,
  type Priority,
  WHEN_HEALTHY,
  type WhenHealthy,
  ZRuleConfig,
  ZStaticPolicyConfig,
} from "@edgewatt/protocol";
import { useMutation } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { type FormEvent, type ReactNode, useState } from "react";
import { Button, cx, ErrorBanner, Field, Input, Notice, Select } from "@/components/ui";
import { type PolicyDraftInput, ZCarbonSignal, ZQuietHours } from "@/server/services/policies/policy-input";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";

type Policy = RouterOutputs["policies"]["get"];
/** The rule's fields edited as such; quiet hours are edited in the schedule section (and published with the rule). */
export type RuleKey = Exclude<keyof typeof ZRuleConfig.shape, "quietHours">;

export const RULE_LABELS: Record<RuleKey, string> = {
  minFidelity: "Fidelity floor (0–1)",
  lowBatteryPct: "Low battery (%)",
  criticalBatteryPct: "Critical battery (%)",
  latencySloMs: "Latency objective (ms, optional)",
  maxQueueDepth: "Queue depth limit",
  degradablePriorities: "Priorities that may run cheaper variants",
  whenHealthy: "When healthy",
  threads: "Threads per inference",
  criticalThreads: "Threads for critical requests (optional)",
};

export const WHEN_HEALTHY_LABELS: Record<WhenHealthy, string> = {
  "highest-quality": "Highest quality",
  "cheapest-within-floor": "Cheapest within the fidelity floor",
};

export const ruleHelp = (key: RuleKey) => ZRuleConfig.shape[key].description ?? "";
const RULE_DEFAULTS = ZRuleConfig.parse({});
const STATIC_DEFAULTS = ZStaticPolicyConfig.parse({});

interface FormState {
  name: string;
  description: string;
  mode: "static" | "rule";
  rule: {
    minFidelity: string;
    lowBatteryPct: string;
    criticalBatteryPct: string;
    latencySloMs: string;
    maxQueueDepth: string;
    degradablePriorities: Priority[];
    whenHealthy: WhenHealthy;
    threads: string;
    criticalThreads: string;
  };
  static: { variant: string; threads: string };
  quietHours: { enabled: boolean; start: string; end: string };
  carbon: { enabled: boolean; zone: string; maxGramsPerKwh: string };
}

const str = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));

function initialState(policy: Policy | null): FormState {
  const rule = policy?.rule ?? RULE_DEFAULTS;
  const fixed = policy?.static ?? STATIC_DEFAULTS;
  const quiet = policy?.schedule.quietHours ?? null;
  const carbon = policy?.schedule.carbon ?? null;
  return {
    name: policy?.name ?? "",
    description: policy?.description ?? "",
    mode: policy?.mode === "static" ? "static" : "rule",
    rule: {
      minFidelity: str(rule.minFidelity),
      lowBatteryPct: str(rule.lowBatteryPct),
      criticalBatteryPct: str(rule.criticalBatteryPct),
      latencySloMs: str(rule.latencySloMs),
      maxQueueDepth: str(rule.maxQueueDepth),
      degradablePriorities: [...rule.degradablePriorities],
      whenHealthy: rule.whenHealthy,
      threads: str(rule.threads),
      criticalThreads: str(rule.criticalThreads),
    },
    static: { variant: fixed.variant ?? "", threads: str(fixed.threads) },
    quietHours: { enabled: quiet !== null, start: quiet?.start ?? "22:00", end: quiet?.end ?? "06:00" },
    carbon: {
      enabled: carbon !== null,
      zone: carbon?.zone ?? "",
      maxGramsPerKwh: str(carbon?.maxGramsPerKwh ?? 300),
    },
  };
}

type FieldErrors = Record<string, string>;

/** The draft to send, or the required numbers left empty (by field path). */
function toDraft(s: FormState): { draft: PolicyDraftInput; missing: FieldErrors } {
  const missing: FieldErrors = {};
  const required = (path: string, value: string): number => {
    if (value.trim() === "") missing[path] = "enter a number";
    return Number(value);
  };
  const optional = (value: string): number | null => (value.trim() === "" ? null : Number(value));
  const common = { name: s.name, description: s.description };
  if (s.mode === "static") {
    return {
      draft: {
        ...common,
        mode: "static",
        static: {
          ...(s.static.variant.trim() ? { variant: s.static.variant.trim() } : {}),
          threads: required("static.threads", s.static.threads),
        },
      },
      missing,
    };
  }
  const r = s.rule;
  return {
    draft: {
      ...common,
      mode: "rule",
      rule: {
        minFidelity: required("rule.minFidelity", r.minFidelity),
        lowBatteryPct: required("rule.lowBatteryPct", r.lowBatteryPct),
        criticalBatteryPct: required("rule.criticalBatteryPct", r.criticalBatteryPct),
        latencySloMs: optional(r.latencySloMs),
        maxQueueDepth: required("rule.maxQueueDepth", r.maxQueueDepth),
        degradablePriorities: r.degradablePriorities,
        whenHealthy: r.whenHealthy,
        threads: required("rule.threads", r.threads),
        criticalThreads: optional(r.criticalThreads),
      },
      schedule: {
        quietHours: s.quietHours.enabled ? { start: s.quietHours.start, end: s.quietHours.end } : null,
        carbon: s.carbon.enabled
          ? {
              zone: s.carbon.zone,
              maxGramsPerKwh: required("schedule.carbon.maxGramsPerKwh", s.carbon.maxGramsPerKwh),
            }
          : null,
      },
    },
    missing,
  };
}

/** zod's stock messages, said the way the rest of the form speaks. */
function plainMessage(message: string): string {
  const big = /^Too big: expected number to be (<=?)\s*(-?[\d.]+)/.exec(message);
  if (big) return big[1] === "<=" ? `must be at most ${big[2]}` : `must be below ${big[2]}`;
  const small = /^Too small: expected number to be (>=?)\s*(-?[\d.]+)/.exec(message);
  if (small) return small[1] === ">=" ? `must be at least ${small[2]}` : `must be above ${small[2]}`;
  if (/expected int, received number/.test(message)) return "must be a whole number";
  if (/expected number, received NaN/.test(message)) return "enter a number";
  return message;
}

/** Field-level messages from a refused save (tRPC input validation), by dotted path. */
function serverFieldErrors(error: unknown): FieldErrors {
  if (!(error instanceof TRPCClientError)) return {};
  const issues = error.data?.inputIssues as { path: string; message: string }[] | null | undefined;
  const out: FieldErrors = {};
  for (const issue of issues ?? []) out[issue.path] ??= plainMessage(issue.message);
  return out;
}

const fieldId = (path: string) => `policy-${path.replace(/\./g, "-")}`;

const TEXTAREA =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-emerald-600 focus:outline-none focus:ring-2 focus:ring-emerald-600/30";

export function PolicyForm({
  policy,
  onSaved,
}: {
  /** The policy to edit; null to create one. */
  policy: Policy | null;
  onSaved: (saved: Policy) => void;
}) {
  const trpc = useTRPC();
  const [state, setState] = useState<FormState>(() => initialState(policy));
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  const create = useMutation(trpc.policies.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.policies.update.mutationOptions({ onSuccess: onSaved }));
  const save = policy ? update : create;
  const fieldErrors = save.isError ? serverFieldErrors(save.error) : {};
  const errors: FieldErrors = { ...fieldErrors, ...clientErrors };
  const errorCount = Object.keys(errors).length;
  // Issues the form has no field for (and service errors: a taken name, a stale version…) go in the banner.
  const shownPaths = new Set(FIELD_PATHS[state.mode]);
  const unplaced = Object.entries(fieldErrors).filter(([path]) => !shownPaths.has(path));
  const generalError =
    save.isError && Object.keys(fieldErrors).length === 0
      ? errorMessage(save.error)
      : unplaced.map(([path, message]) => `${path}: ${message}`).join("\n") || null;

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const { draft, missing } = toDraft(state);
    setClientErrors(missing);
    if (Object.keys(missing).length > 0) return;
    if (policy) update.mutate({ policyId: policy.id, expectedVersion: policy.version, ...draft });
    else create.mutate(draft);
  }

  /** Props for <Field>: its id and the message to show under it. */
  const field = (path: string) => ({ id: fieldId(path), error: errors[path] ?? null });
  /** Props for the control inside it: labelled by the Field, described by its hint or its error. */
  const control = (path: string) => ({
    id: fieldId(path),
    "aria-invalid": errors[path] ? true : undefined,
    "aria-describedby": errors[path] ? `${fieldId(path)}-error` : `${fieldId(path)}-hint`,
    "data-testid": fieldId(path),
  });

  const numberInput = (
    path: string,
    value: string,
    onChange: (v: string) => void,
    attrs: { min?: number; max?: number; step?: number | "any"; placeholder?: string } = {},
  ) => (
    <Input
      {...control(path)}
      type="number"
      inputMode="decimal"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      {...attrs}
    />
  );

  const rule = state.rule;
  const setRule = (patch: Partial<FormState["rule"]>) =>
    setState((s) => ({ ...s, rule: { ...s.rule, ...patch } }));

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      className="flex flex-col gap-6"
      aria-label={policy ? "Edit policy" : "New policy"}
    >
      {errorCount > 0 ? (
        <div
          role="alert"
          className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800"
          data-testid="policy-form-errors"
        >
          {errorCount === 1 ? "One field needs" : `${errorCount} fields need`} your attention; see the message
          under {errorCount === 1 ? "it" : "each"}.
        </div>
      ) : null}

      <div className="grid gap-4 md:grid-cols-2">
        <Field {...field("name")} label="Name" hint="Shown in the portal and sent to agents with the policy.">
          <Input
            {...control("name")}
            value={state.name}
            maxLength={120}
            onChange={(e) => setState((s) => ({ ...s, name: e.target.value }))}
            placeholder="e.g. Field sensors on battery"
          />
        </Field>
        <Field
          {...field("description")}
          label="Description (optional)"
          hint="What the policy is for; stays in the portal."
        >
          <textarea
            {...control("description")}
            className={TEXTAREA}
            rows={2}
            maxLength={500}
            value={state.description}
            onChange={(e) => setState((s) => ({ ...s, description: e.target.value }))}
          />
        </Field>
      </div>

      <fieldset
        className="flex flex-col gap-2"
        aria-describedby={errors.mode ? `${fieldId("mode")}-error` : undefined}
      >
        <legend className="text-sm font-medium text-slate-800">Mode</legend>
        <div className="grid gap-3 md:grid-cols-3">
          <ModeOption
            value="rule"
            checked={state.mode === "rule"}
            onSelect={() => setState((s) => ({ ...s, mode: "rule" }))}
            title="Rule"
            text="Thresholds on battery, queue and latency decide when to run a cheaper variant."
          />
          <ModeOption
            value="static"
            checked={state.mode === "static"}
            onSelect={() => setState((s) => ({ ...s, mode: "static" }))}
            title="Static"
            text="One variant and thread count, always."
          />
          <ModeOption
            value="learned"
            checked={false}
            disabled
            onSelect={() => {}}
            title="Learned"
            text="Available once a learned policy is trained from your fleet's telemetry."
          />
        </div>
        {errors.mode ? (
          <p id={`${fieldId("mode")}-error`} className="text-xs text-red-700">
            {errors.mode}
          </p>
        ) : null}
      </fieldset>

      {state.mode === "static" ? (
        <div className="grid gap-4 md:grid-cols-2" data-testid="static-fields">
          <Field
            {...field("static.variant")}
            label="Variant (optional)"
            hint={ZStaticPolicyConfig.shape.variant.description}
          >
            <Input
              {...control("static.variant")}
              value={state.static.variant}
              maxLength={64}
              placeholder="e.g. int8-dynamic"
              onChange={(e) => setState((s) => ({ ...s, static: { ...s.static, variant: e.target.value } }))}
            />
          </Field>
          <Field
            {...field("static.threads")}
            label="Threads per inference"
            hint={ZStaticPolicyConfig.shape.threads.description}
          >
            {numberInput(
              "static.threads",
              state.static.threads,
              (v) => setState((s) => ({ ...s, static: { ...s.static, threads: v } })),
              { min: 1, max: 64, step: 1 },
            )}
          </Field>
        </div>
      ) : (
        <>
          <Section title="Thresholds">
            <div className="grid gap-4 md:grid-cols-2">
              <Field
                {...field("rule.minFidelity")}
                label={RULE_LABELS.minFidelity}
                hint={ruleHelp("minFidelity")}
              >
                {numberInput("rule.minFidelity", rule.minFidelity, (v) => setRule({ minFidelity: v }), {
                  min: 0,
                  max: 1,
                  step: 0.01,
                })}
              </Field>
              <Field
                {...field("rule.whenHealthy")}
                label={RULE_LABELS.whenHealthy}
                hint={ruleHelp("whenHealthy")}
              >
                <Select
                  {...control("rule.whenHealthy")}
                  value={rule.whenHealthy}
                  onChange={(e) => setRule({ whenHealthy: e.target.value as WhenHealthy })}
                >
                  {WHEN_HEALTHY.map((w) => (
                    <option key={w} value={w}>
                      {WHEN_HEALTHY_LABELS[w]}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field
                {...field("rule.lowBatteryPct")}
                label={RULE_LABELS.lowBatteryPct}
                hint={ruleHelp("lowBatteryPct")}
              >
                {numberInput("rule.lowBatteryPct", rule.lowBatteryPct, (v) => setRule({ lowBatteryPct: v }), {
                  min: 0,
                  max: 100,
                  step: 1,
                })}
              </Field>
              <Field
                {...field("rule.criticalBatteryPct")}
                label={RULE_LABELS.criticalBatteryPct}
                hint={ruleHelp("criticalBatteryPct")}
              >
                {numberInput(
                  "rule.criticalBatteryPct",
                  rule.criticalBatteryPct,
                  (v) => setRule({ criticalBatteryPct: v }),
                  { min: 0, max: 100, step: 1 },
                )}
              </Field>
              <Field
                {...field("rule.latencySloMs")}
                label={RULE_LABELS.latencySloMs}
                hint={ruleHelp("latencySloMs")}
              >
                {numberInput("rule.latencySloMs", rule.latencySloMs, (v) => setRule({ latencySloMs: v }), {
                  min: 1,
                  step: "any",
                  placeholder: "no objective",
                })}
              </Field>
              <Field
                {...field("rule.maxQueueDepth")}
                label={RULE_LABELS.maxQueueDepth}
                hint={ruleHelp("maxQueueDepth")}
              >
                {numberInput("rule.maxQueueDepth", rule.maxQueueDepth, (v) => setRule({ maxQueueDepth: v }), {
                  min: 0,
                  max: 10000,
                  step: 1,
                })}
              </Field>
            </div>
          </Section>

          <Section title="Requests and threads">
            <div className="grid gap-4 md:grid-cols-2">
              <fieldset
                className="flex flex-col gap-1 md:col-span-2"
                aria-describedby={
                  errors["rule.degradablePriorities"]
                    ? `${fieldId("rule.degradablePriorities")}-error`
                    : `${fieldId("rule.degradablePriorities")}-hint`
                }
              >
                <legend className="text-sm font-medium text-slate-800">
                  {RULE_LABELS.degradablePriorities}
                </legend>
                <div className="flex flex-wrap gap-4">
                  {PRIORITIES.map((p) => (
                    <label key={p} className="inline-flex items-center gap-2 text-sm">
                      <input
                        type="checkbox"
                        className="size-4 rounded border-slate-300 text-emerald-600 focus:ring-emerald-600"
                        checked={rule.degradablePriorities.includes(p)}
                        data-testid={`policy-priority-${p}`}
                        onChange={(e) =>
                          setRule({
                            degradablePriorities: e.target.checked
                              ? PRIORITIES.filter((x) => x === p || rule.degradablePriorities.includes(x))
                              : rule.degradablePriorities.filter((x) => x !== p),
                          })
                        }
                      />
                      {p}
                    </label>
                  ))}
                </div>
                <FieldMessage
                  path="rule.degradablePriorities"
                  hint={ruleHelp("degradablePriorities")}
                  error={errors["rule.degradablePriorities"]}
                />
              </fieldset>
              <Field {...field("rule.threads")} label={RULE_LABELS.threads} hint={ruleHelp("threads")}>
                {numberInput("rule.threads", rule.threads, (v) => setRule({ threads: v }), {
                  min: 1,
                  max: 64,
                  step: 1,
                })}
              </Field>
              <Field
                {...field("rule.criticalThreads")}
                label={RULE_LABELS.criticalThreads}
                hint={ruleHelp("criticalThreads")}
              >
                {numberInput(
                  "rule.criticalThreads",
                  rule.criticalThreads,
                  (v) => setRule({ criticalThreads: v }),
                  { min: 1, max: 64, step: 1, placeholder: "same as threads" },
                )}
              </Field>
            </div>
          </Section>

          <Section
            title="Schedule (optional)"
            description="Quiet hours are sent to devices with the rule and run by their scheduler (device local time). The carbon signal is saved with the policy, but agents do not act on it yet: they have no grid-intensity feed."
          >
            <div className="flex flex-col gap-5">
              <div className="flex flex-col gap-3">
                <Toggle
                  id={fieldId("schedule.quietHours.enabled")}
                  checked={state.quietHours.enabled}
                  onChange={(enabled) =>
                    setState((s) => ({ ...s, quietHours: { ...s.quietHours, enabled } }))
                  }
                  label="Quiet hours"
                  hint={ZQuietHours.description}
                />
                {state.quietHours.enabled ? (
                  <div className="grid gap-4 sm:grid-cols-2">
                    <Field
                      {...field("schedule.quietHours.start")}
                      label="Starts at"
                      hint={ZQuietHours.shape.start.description}
                    >
                      <Input
                        {...control("schedule.quietHours.start")}
                        type="time"
                        value={state.quietHours.start}
                        onChange={(e) =>
                          setState((s) => ({ ...s, quietHours: { ...s.quietHours, start: e.target.value } }))
                        }
                      />
                    </Field>
                    <Field
                      {...field("schedule.quietHours.end")}
                      label="Ends at"
                      hint={ZQuietHours.shape.end.description}
                    >
                      <Input
                        {...control("schedule.quietHours.end")}
                        type="time"
                        value={state.quietHours.end}
                        onChange={(e) =>
                          setState((s) => ({ ...s, quietHours: { ...s.quietHours, end: e.target.value } }))
                        }
                      />
                    </Field>
                  </div>
                ) : null}
              </div>
              <div className="flex flex-col gap-3">
                <Toggle
                  id={fieldId("schedule.carbon.enabled")}
                  checked={state.carbon.enabled}
                  onChange={(enabled) => setState((s) => ({ ...s, carbon: { ...s.carbon, enabled } }))}
                  label="Carbon-intensity signal"
                  hint={ZCarbonSignal.description}
                />
                {state.carbon.enabled ? (
                  <div className="grid gap-4 sm:grid-cols-2">
                    <Field
                      {...field("schedule.carbon.zone")}
                      label="Grid zone"
                      hint={ZCarbonSignal.shape.zone.description}
                    >
                      <Input
                        {...control("schedule.carbon.zone")}
                        value={state.carbon.zone}
                        maxLength={32}
                        placeholder="e.g. DE"
                        onChange={(e) =>
                          setState((s) => ({ ...s, carbon: { ...s.carbon, zone: e.target.value } }))
                        }
                      />
                    </Field>
                    <Field
                      {...field("schedule.carbon.maxGramsPerKwh")}
                      label="Save above (gCO₂e/kWh)"
                      hint={ZCarbonSignal.shape.maxGramsPerKwh.description}
                    >
                      {numberInput(
                        "schedule.carbon.maxGramsPerKwh",
                        state.carbon.maxGramsPerKwh,
                        (v) => setState((s) => ({ ...s, carbon: { ...s.carbon, maxGramsPerKwh: v } })),
                        { min: 1, max: 2000, step: 1 },
                      )}
                    </Field>
                  </div>
                ) : null}
              </div>
            </div>
          </Section>
        </>
      )}

      {generalError ? <ErrorBanner title="Not saved" message={generalError} /> : null}
      {policy && policy.groups.length > 0 ? (
        <Notice>
          Saving publishes version {policy.version + 1} to {policy.groups.length === 1 ? "group" : "groups"}{" "}
          {policy.groups.map((g) => g.name).join(", ")}; their devices switch to it without a new deployment.
        </Notice>
      ) : null}
      <div>
        <Button type="submit" busy={save.isPending} data-testid="policy-save">
          {policy ? "Save changes" : "Create policy"}
        </Button>
      </div>
    </form>
  );
}

/** Field paths the form shows for each mode (a server issue on any other path goes in the banner). */
const FIELD_PATHS: Record<FormState["mode"], string[]> = {
  rule: [
    "name",
    "description",
    "mode",
    ...Object.keys(RULE_LABELS).map((k) => `rule.${k}`),
    "schedule.quietHours.start",
    "schedule.quietHours.end",
    "schedule.carbon.zone",
    "schedule.carbon.maxGramsPerKwh",
  ],
  static: ["name", "description", "mode", "static.variant", "static.threads"],
};

function Section({
  title,
  description,
  children,
}: {
  title: string;
  description?: string;
  children: ReactNode;
}) {
  return (
    <section className="flex flex-col gap-3 border-t border-slate-100 pt-4">
      <div>
        <h3 className="text-sm font-semibold text-slate-900">{title}</h3>
        {description ? <p className="mt-0.5 text-xs text-slate-600">{description}</p> : null}
      </div>
      {children}
    </section>
  );
}

function FieldMessage({ path, hint, error }: { path: string; hint: string; error?: string | undefined }) {
  return error ? (
    <p id={`${fieldId(path)}-error`} className="text-xs text-red-700">
      {error}
    </p>
  ) : (
    <p id={`${fieldId(path)}-hint`} className="text-xs text-slate-500">
      {hint}
    </p>
  );
}

function Toggle({
  id,
  checked,
  onChange,
  label,
  hint,
}: {
  id: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: string;
  hint: string | undefined;
}) {
  return (
    <div className="flex items-start gap-3">
      <input
        id={id}
        type="checkbox"
        className="mt-0.5 size-4 rounded border-slate-300 text-emerald-600 focus:ring-emerald-600"
        checked={checked}
        aria-describedby={`${id}-hint`}
        data-testid={id}
        onChange={(e) => onChange(e.target.checked)}
      />
      <div>
        <label htmlFor={id} className="text-sm font-medium text-slate-800">
          {label}
        </label>
        <p id={`${id}-hint`} className="text-xs text-slate-500">
          {hint}
        </p>
      </div>
    </div>
  );
}

function ModeOption({
  value,
  checked,
  disabled = false,
  onSelect,
  title,
  text,
}: {
  value: string;
  checked: boolean;
  disabled?: boolean;
  onSelect: () => void;
  title: string;
  text: string;
}) {
  const id = `policy-mode-${value}`;
  return (
    <label
      htmlFor={id}
      className={cx(
        "flex cursor-pointer items-start gap-3 rounded-md border p-3",
        checked ? "border-emerald-600 bg-emerald-50" : "border-slate-200 bg-white",
        disabled && "cursor-not-allowed opacity-60",
      )}
    >
      <input
        id={id}
        type="radio"
        name="policy-mode"
        value={value}
        checked={checked}
        disabled={disabled}
        onChange={onSelect}
        aria-describedby={`${id}-text`}
        className="mt-0.5 size-4 text-emerald-600 focus:ring-emerald-600"
        data-testid={id}
      />
      <span>
        <span className="block text-sm font-medium text-slate-900">{title}</span>
        <span id={`${id}-text`} className="block text-xs text-slate-600">
          {text}
        </span>
      </span>
    </label>
  );
}
