"use client";

import { ROLES, type Role } from "@edgewatt/protocol";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState, useTransition } from "react";
import { CopyButton } from "@/components/copy-button";
import { usePortalSession } from "@/components/session-context";
import {
  Badge,
  Button,
  Card,
  EmptyState,
  ErrorBanner,
  Field,
  Input,
  Loading,
  Select,
  Table,
  Td,
  Th,
} from "@/components/ui";
import { formatDateTime, formatRelative } from "@/lib/format";
import type { RouterOutputs } from "@/server/trpc/root";
import { errorMessage, useTRPC } from "@/trpc/react";
import { switchOrganizationAction } from "./actions";

// The server enforces all of this; the UI only hides what would be refused.
const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
const atMost = (role: Role) => ROLES.filter((r) => RANK[r] <= RANK[role]);
const isAdmin = (role: Role) => RANK[role] >= RANK.admin;

const ROLE_HELP: Record<Role, string> = {
  owner: "everything, including managing owners",
  admin: "manage members, invitations and the audit log",
  member: "upload models, enroll devices, deploy",
  viewer: "read only",
};

export function TeamView() {
  const { role } = usePortalSession();
  return (
    <div className="flex flex-col gap-6">
      <MyOrganizationsCard />
      <MembersCard />
      {isAdmin(role) ? (
        <InvitationsCard />
      ) : (
        <p className="text-sm text-slate-600" data-testid="team-readonly">
          Your role ({role}) can see the members. Admins and owners invite people and change roles.
        </p>
      )}
    </div>
  );
}

function MyOrganizationsCard() {
  const trpc = useTRPC();
  const orgs = useQuery(trpc.team.myOrganizations.queryOptions());
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  if (!orgs.data || orgs.data.length < 2) return null;
  return (
    <Card
      title="Your organizations"
      description="You belong to several organizations; the portal shows one at a time."
    >
      {error ? <ErrorBanner message={error} /> : null}
      <ul className="flex flex-col divide-y divide-slate-100">
        {orgs.data.map((o) => (
          <li key={o.orgId} className="flex flex-wrap items-center justify-between gap-3 py-2">
            <span>
              <span className="font-medium">{o.name}</span>{" "}
              <span className="text-sm text-slate-500">· {o.role}</span>
            </span>
            {o.current ? (
              <Badge tone="green">current</Badge>
            ) : (
              <Button
                variant="secondary"
                className="px-2.5 py-1 text-xs"
                busy={pending}
                onClick={() =>
                  startTransition(async () => {
                    const result = await switchOrganizationAction(o.orgId);
                    if (result?.error) setError(result.error);
                  })
                }
                aria-label={`Switch to ${o.name}`}
              >
                Switch
              </Button>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}

function MembersCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { role: myRole } = usePortalSession();
  const members = useQuery(trpc.team.members.queryOptions());
  const [confirmRemove, setConfirmRemove] = useState<string | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.team.members.queryKey() });
  const changeRole = useMutation(trpc.team.changeRole.mutationOptions({ onSettled: invalidate }));
  const remove = useMutation(
    trpc.team.removeMember.mutationOptions({
      onSuccess: () => setConfirmRemove(null),
      onSettled: invalidate,
    }),
  );
  const canManage = isAdmin(myRole);
  const mutationError = changeRole.error ?? remove.error;

  return (
    <Card
      title="Members"
      description="Roles: owner > admin > member > viewer. Nobody can grant a role above their own."
    >
      <div className="flex flex-col gap-4">
        {mutationError ? <ErrorBanner message={errorMessage(mutationError)} /> : null}
        {members.isPending ? (
          <Loading what="members" />
        ) : members.isError ? (
          <ErrorBanner
            title="Could not load members"
            message={errorMessage(members.error)}
            onRetry={() => members.refetch()}
          />
        ) : (
          <>
            <Table caption="Members">
              <thead>
                <tr>
                  <Th>Member</Th>
                  <Th>Role</Th>
                  <Th>Joined</Th>
                  <Th>
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {members.data.map((m) => (
                  <MemberRow
                    key={m.userId}
                    member={m}
                    myRole={myRole}
                    canManage={canManage}
                    confirming={confirmRemove === m.userId}
                    onConfirm={(yes) => setConfirmRemove(yes ? m.userId : null)}
                    changingRole={changeRole.isPending && changeRole.variables?.userId === m.userId}
                    onChangeRole={(role) => changeRole.mutate({ userId: m.userId, role })}
                    removing={remove.isPending && remove.variables?.userId === m.userId}
                    onRemove={() => remove.mutate({ userId: m.userId })}
                  />
                ))}
              </tbody>
            </Table>
            {members.data.length === 1 ? (
              <EmptyState title="You are the only member">
                {canManage
                  ? "Invite your colleagues below: each gets a link to join with the role you choose."
                  : "Ask an admin to invite your colleagues."}
              </EmptyState>
            ) : null}
          </>
        )}
      </div>
    </Card>
  );
}

type Member = RouterOutputs["team"]["members"][number];

function MemberRow({
  member: m,
  myRole,
  canManage,
  confirming,
  onConfirm,
  changingRole,
  onChangeRole,
  removing,
  onRemove,
}: {
  member: Member;
  myRole: Role;
  canManage: boolean;
  confirming: boolean;
  onConfirm: (yes: boolean) => void;
  changingRole: boolean;
  onChangeRole: (role: Role) => void;
  removing: boolean;
  onRemove: () => void;
}) {
  const manageable = canManage && RANK[m.role] <= RANK[myRole];
  const label = m.name ? `${m.name} (${m.email})` : m.email;
  return (
    <tr data-testid="member-row">
      <Td>
        <div className="font-medium">
          {m.name ?? m.email}
          {m.isYou ? <span className="ml-2 text-xs font-normal text-slate-500">(you)</span> : null}
        </div>
        {m.name ? <div className="text-xs text-slate-500">{m.email}</div> : null}
      </Td>
      <Td>
        {manageable ? (
          <Select
            aria-label={`Role of ${label}`}
            value={m.role}
            disabled={changingRole}
            onChange={(e) => onChangeRole(e.target.value as Role)}
            className="w-auto py-1"
            data-testid="member-role-select"
          >
            {atMost(myRole).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </Select>
        ) : (
          <Badge tone={m.role === "owner" ? "green" : m.role === "admin" ? "blue" : "gray"}>
            <span data-testid="member-role">{m.role}</span>
          </Badge>
        )}
      </Td>
      <Td className="whitespace-nowrap text-slate-600">
        <span title={formatDateTime(m.joinedAt)}>{formatRelative(m.joinedAt)}</span>
      </Td>
      <Td className="text-right">
        {!manageable ? null : confirming ? (
          <span className="inline-flex gap-2">
            <Button variant="danger" className="px-2.5 py-1 text-xs" busy={removing} onClick={onRemove}>
              {m.isYou ? "Leave for good" : `Remove ${m.name ?? m.email}`}
            </Button>
            <Button variant="ghost" className="px-2.5 py-1 text-xs" onClick={() => onConfirm(false)}>
              Cancel
            </Button>
          </span>
        ) : (
          <Button
            variant="danger"
            className="px-2.5 py-1 text-xs"
            onClick={() => onConfirm(true)}
            aria-label={m.isYou ? "Leave this organization" : `Remove ${label}`}
          >
            {m.isYou ? "Leave" : "Remove"}
          </Button>
        )}
      </Td>
    </tr>
  );
}

type CreatedInvitation = RouterOutputs["team"]["invite"];
const STATE_FILTERS = ["all", "pending", "accepted", "expired", "revoked"] as const;
type StateFilter = (typeof STATE_FILTERS)[number];
const STATE_TONE = { pending: "blue", accepted: "green", expired: "amber", revoked: "gray" } as const;

function InvitationsCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const filterId = useId();
  const [filter, setFilter] = useState<StateFilter>("all");
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const input = filter === "all" ? {} : { state: filter };
  const invitations = useQuery(trpc.team.invitations.queryOptions(input));
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.team.invitations.queryKey() });
  const revoke = useMutation(trpc.team.revokeInvitation.mutationOptions({ onSettled: invalidate }));

  return (
    <Card
      title="Invitations"
      description="An invitation link lets one person join with the role you chose. It is shown once, when you create it."
    >
      <div className="flex flex-col gap-6">
        <InviteForm
          onCreated={(c) => {
            setCreated(c);
            void invalidate();
          }}
        />
        {created ? <CreatedLink created={created} onDismiss={() => setCreated(null)} /> : null}
        {revoke.isError ? <ErrorBanner message={errorMessage(revoke.error)} /> : null}
        <div className="flex items-end gap-3">
          <div className="w-48">
            <Field id={filterId} label="Show">
              <Select id={filterId} value={filter} onChange={(e) => setFilter(e.target.value as StateFilter)}>
                {STATE_FILTERS.map((s) => (
                  <option key={s} value={s}>
                    {s === "all" ? "all invitations" : s}
                  </option>
                ))}
              </Select>
            </Field>
          </div>
        </div>
        {invitations.isPending ? (
          <Loading what="invitations" />
        ) : invitations.isError ? (
          <ErrorBanner
            title="Could not load invitations"
            message={errorMessage(invitations.error)}
            onRetry={() => invitations.refetch()}
          />
        ) : invitations.data.length === 0 ? (
          <EmptyState title={filter === "all" ? "No invitations yet" : `No ${filter} invitations`}>
            {filter === "all"
              ? "Invite someone above by email; send them the link it shows."
              : "Choose another state to see the rest."}
          </EmptyState>
        ) : (
          <Table caption="Invitations">
            <thead>
              <tr>
                <Th>Email</Th>
                <Th>Role</Th>
                <Th>State</Th>
                <Th>Invited by</Th>
                <Th>Expires</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {invitations.data.map((i) => (
                <tr key={i.id} data-testid="invitation-row">
                  <Td className="font-medium">{i.email}</Td>
                  <Td>{i.role}</Td>
                  <Td>
                    <Badge tone={STATE_TONE[i.state]}>{i.state}</Badge>
                  </Td>
                  <Td className="text-slate-600">{i.invitedByEmail ?? "—"}</Td>
                  <Td className="whitespace-nowrap text-slate-600">
                    {i.state === "accepted" ? (
                      <span title={formatDateTime(i.acceptedAt)}>
                        accepted {formatRelative(i.acceptedAt)}
                      </span>
                    ) : (
                      <span title={formatDateTime(i.expiresAt)}>{formatRelative(i.expiresAt)}</span>
                    )}
                  </Td>
                  <Td className="text-right">
                    {i.state === "pending" ? (
                      <Button
                        variant="danger"
                        className="px-2.5 py-1 text-xs"
                        busy={revoke.isPending && revoke.variables?.invitationId === i.id}
                        onClick={() => revoke.mutate({ invitationId: i.id })}
                        aria-label={`Revoke the invitation for ${i.email}`}
                      >
                        Revoke
                      </Button>
                    ) : null}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </div>
    </Card>
  );
}

function InviteForm({ onCreated }: { onCreated: (created: CreatedInvitation) => void }) {
  const trpc = useTRPC();
  const { role: myRole } = usePortalSession();
  const emailId = useId();
  const roleId = useId();
  const daysId = useId();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [days, setDays] = useState("7");
  const invite = useMutation(
    trpc.team.invite.mutationOptions({
      onSuccess: (c) => {
        setEmail("");
        onCreated(c);
      },
    }),
  );

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    invite.mutate({ email: email.trim(), role, expiresInDays: Number(days) });
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-3" aria-label="Invite someone">
      <div className="grid gap-4 sm:grid-cols-[2fr_1fr_1fr_auto] sm:items-end">
        <Field id={emailId} label="Email">
          <Input
            id={emailId}
            type="email"
            required
            maxLength={320}
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            placeholder="colleague@example.com"
            autoComplete="off"
            data-testid="invite-email"
          />
        </Field>
        <Field id={roleId} label="Role">
          <Select
            id={roleId}
            value={role}
            onChange={(e) => setRole(e.target.value as Role)}
            data-testid="invite-role"
          >
            {atMost(myRole).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </Select>
        </Field>
        <Field id={daysId} label="Valid for (days)">
          <Input
            id={daysId}
            type="number"
            min={1}
            max={30}
            step={1}
            required
            value={days}
            onChange={(e) => setDays(e.target.value)}
            data-testid="invite-days"
          />
        </Field>
        <Button type="submit" busy={invite.isPending} data-testid="invite-submit">
          Create invitation
        </Button>
      </div>
      <p className="text-xs text-slate-500">
        {role}: {ROLE_HELP[role]}.
      </p>
      {invite.isError ? <ErrorBanner message={errorMessage(invite.error)} /> : null}
    </form>
  );
}

function CreatedLink({ created, onDismiss }: { created: CreatedInvitation; onDismiss: () => void }) {
  return (
    <div className="rounded-md border border-emerald-200 bg-emerald-50 p-4" aria-live="polite">
      <p className="text-sm font-medium text-emerald-900">
        Invitation for {created.invitation.email} created. Copy the link now and send it to them: it is shown
        only once.
      </p>
      <div className="mt-3 flex items-center gap-2">
        <code
          className="flex-1 break-all rounded bg-white px-3 py-2 font-mono text-sm"
          data-testid="invite-link"
        >
          {created.url}
        </code>
        <CopyButton text={created.url} label="Copy link" />
      </div>
      <p className="mt-2 text-xs text-emerald-900">
        Joins as {created.invitation.role}; valid until {formatDateTime(created.invitation.expiresAt)} UTC,
        for one use.
      </p>
      <div className="mt-3">
        <Button variant="secondary" onClick={onDismiss}>
          I have copied it
        </Button>
      </div>
    </div>
  );
}
