"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { type FormEvent, useId, useState } from "react";
import {
  Button,
  Card,
  EmptyState,
  ErrorBanner,
  Field,
  Input,
  Loading,
  Notice,
  Select,
  Table,
  Td,
  Th,
} from "@/components/ui";
import { formatDateTime, formatRelative } from "@/lib/format";
import { errorMessage, useTRPC } from "@/trpc/react";

interface Filters {
  action: string;
  actorUserId: string;
  targetType: string;
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { action: "", actorUserId: "", targetType: "", from: "", to: "" };

function isForbidden(error: unknown): boolean {
  return error instanceof TRPCClientError && error.data?.code === "FORBIDDEN";
}

export function AuditView() {
  const trpc = useTRPC();
  // The form edits a draft; "Apply" makes it the query's filters (one request per change, not per keystroke).
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const facets = useQuery(trpc.audit.facets.queryOptions());
  const input = {
    action: filters.action || undefined,
    actorUserId: filters.actorUserId || undefined,
    targetType: filters.targetType || undefined,
    from: filters.from || undefined,
    to: filters.to || undefined,
    limit: 50,
  };
  const log = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(input, { getNextPageParam: (page) => page.nextCursor }),
  );

  if (isForbidden(log.error) || isForbidden(facets.error)) {
    return (
      <Card title="Audit log">
        <div data-testid="audit-forbidden">
          <ErrorBanner
            title="Only admins and owners can view the audit log"
            message={errorMessage(log.error ?? facets.error)}
          />
        </div>
      </Card>
    );
  }

  const entries = log.data?.pages.flatMap((p) => p.entries) ?? [];
  const filtered = Object.values(filters).some((v) => v !== "");

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  return (
    <div className="flex flex-col gap-6">
      <Card title="Filter" description="Every change in your organization is recorded here, newest first.">
        <FilterForm
          draft={draft}
          setDraft={setDraft}
          onSubmit={apply}
          onReset={() => {
            setDraft(NO_FILTERS);
            setFilters(NO_FILTERS);
          }}
          facets={facets.data}
        />
        {facets.isError ? (
          <div className="mt-3">
            <ErrorBanner message={`The filter choices could not be loaded: ${errorMessage(facets.error)}`} />
          </div>
        ) : null}
      </Card>
      <Card title="Entries">
        {log.isPending ? (
          <Loading what="the audit log" />
        ) : log.isError && !log.isFetchNextPageError ? (
          <ErrorBanner
            title="Could not load the audit log"
            message={errorMessage(log.error)}
            onRetry={() => log.refetch()}
          />
        ) : entries.length === 0 ? (
          <EmptyState title={filtered ? "No entries match these filters" : "No entries yet"}>
            {filtered
              ? "Widen the date range or clear a filter."
              : "Changes (uploads, invitations, role changes…) appear here as they happen."}
          </EmptyState>
        ) : (
          <div className="flex flex-col gap-4">
            <Table caption="Audit log entries">
              <thead>
                <tr>
                  <Th>When (UTC)</Th>
                  <Th>Who</Th>
                  <Th>Action</Th>
                  <Th>Target</Th>
                  <Th>Details</Th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id} data-testid="audit-row">
                    <Td className="whitespace-nowrap">
                      <span title={formatRelative(e.createdAt)}>{formatDateTime(e.createdAt)}</span>
                    </Td>
                    <Td className="text-slate-700">
                      {e.actorEmail ??
                        e.actorUserId ??
                        (e.actorDeviceId ? `device ${e.actorDeviceId}` : "system")}
                    </Td>
                    <Td>
                      <code className="font-mono text-xs" data-testid="audit-action">
                        {e.action}
                      </code>
                    </Td>
                    <Td className="text-xs">
                      <span className="text-slate-500">{e.targetType}</span>
                      {e.targetId ? <div className="font-mono">{e.targetId}</div> : null}
                    </Td>
                    <Td className="max-w-md text-xs text-slate-600">
                      <DetailsCell details={e.details} />
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            {log.hasNextPage ? (
              <div>
                <Button
                  variant="secondary"
                  busy={log.isFetchingNextPage}
                  onClick={() => log.fetchNextPage()}
                  data-testid="audit-more"
                >
                  Load older entries
                </Button>
              </div>
            ) : (
              <p className="text-xs text-slate-500">
                {entries.length} {entries.length === 1 ? "entry" : "entries"}; that is all.
              </p>
            )}
            {log.isFetchNextPageError ? (
              <ErrorBanner title="Could not load older entries" message={errorMessage(log.error)} />
            ) : null}
          </div>
        )}
      </Card>
    </div>
  );
}

function DetailsCell({ details }: { details: Record<string, unknown> }) {
  const items = Object.entries(details);
  if (items.length === 0) return <span className="text-slate-400">—</span>;
  return (
    <dl className="flex flex-wrap gap-x-3 gap-y-0.5">
      {items.map(([k, v]) => (
        <div key={k} className="flex gap-1">
          <dt className="text-slate-400">{k}</dt>
          <dd className="break-all">{typeof v === "string" ? v : JSON.stringify(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

function FilterForm({
  draft,
  setDraft,
  onSubmit,
  onReset,
  facets,
}: {
  draft: Filters;
  setDraft: (f: Filters) => void;
  onSubmit: (e: FormEvent) => void;
  onReset: () => void;
  facets:
    | { actions: string[]; targetTypes: string[]; actors: { userId: string; email: string | null }[] }
    | undefined;
}) {
  const actionId = useId();
  const actorId = useId();
  const targetId = useId();
  const fromId = useId();
  const toId = useId();
  const set = (k: keyof Filters) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [k]: e.target.value });
  const rangeInvalid = draft.from !== "" && draft.to !== "" && draft.from > draft.to;
  return (
    <form onSubmit={onSubmit} aria-label="Filter the audit log" className="flex flex-col gap-3">
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5">
        <Field id={actionId} label="Action">
          <Select
            id={actionId}
            value={draft.action}
            onChange={set("action")}
            data-testid="audit-filter-action"
          >
            <option value="">any action</option>
            {facets?.actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </Select>
        </Field>
        <Field id={actorId} label="Who">
          <Select
            id={actorId}
            value={draft.actorUserId}
            onChange={set("actorUserId")}
            data-testid="audit-filter-actor"
          >
            <option value="">anyone</option>
            {facets?.actors.map((a) => (
              <option key={a.userId} value={a.userId}>
                {a.email ?? `${a.userId} (deleted account)`}
              </option>
            ))}
          </Select>
        </Field>
        <Field id={targetId} label="Target type">
          <Select
            id={targetId}
            value={draft.targetType}
            onChange={set("targetType")}
            data-testid="audit-filter-target"
          >
            <option value="">any target</option>
            {facets?.targetTypes.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </Select>
        </Field>
        <Field id={fromId} label="From (UTC)">
          <Input
            id={fromId}
            type="date"
            value={draft.from}
            onChange={set("from")}
            data-testid="audit-filter-from"
          />
        </Field>
        <Field id={toId} label="To (UTC, inclusive)">
          <Input id={toId} type="date" value={draft.to} onChange={set("to")} data-testid="audit-filter-to" />
        </Field>
      </div>
      {rangeInvalid ? <Notice>The “From” day is after the “To” day; swap them.</Notice> : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={rangeInvalid} data-testid="audit-apply">
          Apply filters
        </Button>
        <Button variant="ghost" onClick={onReset}>
          Clear
        </Button>
      </div>
    </form>
  );
}
