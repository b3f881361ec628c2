import {
  type Db,
  getDeviceGroup,
  createEnrollmentToken as insertEnrollmentToken,
  newId,
  writeAudit,
} from "@edgewatt/db";
import { type Actor, requireWriter } from "../actor";
import { rethrowNotFound } from "../not-found";
import { generateTokenSecret } from "./token-secret";
import { type TokenView, toTokenView } from "./token-view";

export interface CreateEnrollmentTokenOptions {
  db: Db;
  actor: Actor;
  label: string | null;
  /** 1..720, validated at the boundary. */
  expiresInHours: number;
  /** 1..1000, validated at the boundary. */
  maxUses: number;
  /** The portal's public origin, put into the enroll command. */
  serverUrl: string;
  /** Devices enrolled with the token join this group of the org (and get its energy policy). */
  groupId?: string | null;
  now?: Date;
}

export interface CreatedEnrollmentToken {
  token: TokenView;
  /** Shown once: only its sha256 is stored. */
  secret: string;
  /** The command to run on the device. */
  command: string;
}

/** Creates an enrollment token and returns its secret, once, with the enroll command for the device. */
export async function createEnrollmentToken(
  opts: CreateEnrollmentTokenOptions,
): Promise<CreatedEnrollmentToken> {
  const { db, actor } = opts;
  requireWriter(actor, "create enrollment tokens");
  const now = opts.now ?? new Date();
  const { secret, prefix, hash } = generateTokenSecret();
  const row = await db.transaction(async (tx) => {
    const group = opts.groupId
      ? await getDeviceGroup(tx, actor.orgId, opts.groupId).catch(
          rethrowNotFound(
            `Device group ${opts.groupId} does not exist in your organization; pick one from the list.`,
          ),
        )
      : null;
    const created = await insertEnrollmentToken(tx, {
      id: newId("tok"),
      orgId: actor.orgId,
      groupId: group?.id ?? null,
      tokenHash: hash,
      prefix,
      label: opts.label,
      maxUses: opts.maxUses,
      expiresAt: new Date(now.getTime() + opts.expiresInHours * 3_600_000),
      createdBy: actor.userId,
    });
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "token.create",
      targetType: "enrollment_token",
      targetId: created.id,
      details: {
        prefix,
        label: opts.label,
        maxUses: opts.maxUses,
        groupId: group?.id ?? null,
        expiresAt: created.expiresAt.toISOString(),
      },
    });
    return { created, groupName: group?.name ?? null };
  });
  return {
    token: toTokenView({ ...row.created, groupName: row.groupName }, now),
    secret,
    command: enrollCommand(opts.serverUrl, secret),
  };
}

export function enrollCommand(serverUrl: string, secret: string): string {
  return `pnpm edgewatt-agent enroll --server ${serverUrl} --token ${secret}`;
}
