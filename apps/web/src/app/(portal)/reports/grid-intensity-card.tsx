"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { Button, Card, ErrorBanner, Field, Input, Loading } from "@/components/ui";
import { errorMessage, useTRPC } from "@/trpc/react";

/**
 * The org's grid carbon intensity (admins change it; everyone sees it) and a figure to try for this report only.
 */
export function GridIntensityCard({
  override,
  onOverride,
}: {
  override: string;
  onOverride: (value: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.reports.settings.queryOptions());
  const orgFieldId = useId();
  const overrideFieldId = useId();
  const [draft, setDraft] = useState<string | null>(null);
  const [tryValue, setTryValue] = useState(override);
  const update = useMutation(
    trpc.reports.updateGridIntensity.mutationOptions({
      onSuccess: () => {
        setDraft(null);
        void queryClient.invalidateQueries({ queryKey: trpc.reports.pathKey() });
      },
    }),
  );

  if (settings.isPending) return <Loading what="the grid intensity" />;
  if (settings.isError) {
    return <ErrorBanner message={errorMessage(settings.error)} onRetry={() => settings.refetch()} />;
  }
  const s = settings.data;
  const current = s.gridIntensityGPerKwh;
  const value = draft ?? (current === null ? "" : String(current));

  function save(e: FormEvent) {
    e.preventDefault();
    const n = Number(value);
    update.mutate({ gridIntensityGPerKwh: value.trim() === "" ? null : n });
  }

  function applyOverride(e: FormEvent) {
    e.preventDefault();
    onOverride(tryValue.trim());
  }

  return (
    <Card
      title="Grid carbon intensity"
      description={`CO2e = kWh × g CO2e/kWh. Your organization uses ${
        current === null ? `the default, ${s.defaultGridIntensityGPerKwh}` : current
      } g CO2e/kWh.`}
      className="print:hidden"
      data-testid="grid-card"
    >
      <div className="grid gap-6 md:grid-cols-2">
        {s.canEdit ? (
          <form onSubmit={save} className="flex flex-col gap-2" aria-label="Organization grid intensity">
            <Field
              id={orgFieldId}
              label="Organization setting (g CO2e/kWh)"
              hint={`Leave empty for the default (${s.defaultGridIntensityGPerKwh}). Changes are audited.`}
            >
              <Input
                id={orgFieldId}
                type="number"
                inputMode="decimal"
                min={0}
                max={s.maxGridIntensityGPerKwh}
                step="any"
                value={value}
                onChange={(e) => setDraft(e.target.value)}
                data-testid="grid-org-input"
              />
            </Field>
            <div>
              <Button type="submit" busy={update.isPending} data-testid="grid-org-save">
                Save
              </Button>
            </div>
            {update.isError ? <ErrorBanner message={errorMessage(update.error)} /> : null}
            {update.isSuccess ? (
              <p aria-live="polite" className="text-sm text-emerald-800">
                Saved; reports now use{" "}
                {update.data.gridIntensityGPerKwh ??
                  `the default (${update.data.defaultGridIntensityGPerKwh})`}{" "}
                g CO2e/kWh.
              </p>
            ) : null}
          </form>
        ) : (
          <p className="text-sm text-slate-600">
            Only admins and owners can change your organization's setting; you can try another figure for this
            report.
          </p>
        )}
        <form
          onSubmit={applyOverride}
          className="flex flex-col gap-2"
          aria-label="Grid intensity for this report"
        >
          <Field
            id={overrideFieldId}
            label="For this report only (g CO2e/kWh)"
            hint="Not saved; empty uses the organization's setting."
          >
            <Input
              id={overrideFieldId}
              type="number"
              inputMode="decimal"
              min={0}
              max={s.maxGridIntensityGPerKwh}
              step="any"
              value={tryValue}
              onChange={(e) => setTryValue(e.target.value)}
              data-testid="grid-override-input"
            />
          </Field>
          <div>
            <Button type="submit" variant="secondary">
              Apply
            </Button>
          </div>
        </form>
      </div>
    </Card>
  );
}
