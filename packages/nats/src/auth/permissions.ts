/**
 * What a device's NATS user may do, as subject permissions in its user JWT. Worked out against nats-server
 * 2.9.10 with the @nats-io clients of this repository (see docs/decisions/0003-per-device-nats-credentials.md):
 *
 * - publish: its own subject prefix (telemetry, events, heartbeats; a JetStream publish is a request on the
 *   stream subject itself), `$JS.API.INFO` (the clients' JetStream check), consumer creation on the KV streams
 *   only with the filter embedded in the API subject (the clients use that form since server 2.9), direct gets
 *   of its own KV keys, and read access to the model object store bucket it is given;
 * - subscribe: its own commands and its own inbox prefix only (the client must connect with that prefix);
 * - responses: one reply per received request, which also covers JetStream flow-control replies.
 *
 * Everything not listed is refused by the server ("Permissions Violation").
 */
import { KV_BUCKETS, kvKeys, OBJECT_BUCKETS, subjects, subjectToken } from "@edgewatt/protocol";
import type { Permissions } from "@nats-io/jwt";

export interface DeviceBuckets {
  deploy: string;
  policy: string;
  /**
   * The object store the device reads model files from. With the shared bucket (the default) the device can
   * read every object in it; with a bucket that holds only its org's models, only those. See the ADR.
   */
  models: string;
}

export const DEFAULT_DEVICE_BUCKETS: DeviceBuckets = {
  deploy: KV_BUCKETS.deploy,
  policy: KV_BUCKETS.policy,
  models: OBJECT_BUCKETS.models,
};

export interface DevicePermissionInput {
  orgId: string;
  deviceId: string;
  buckets?: Partial<DeviceBuckets>;
}

/** The reply-subject prefix of a device's connection: `_INBOX_<deviceId>`. */
export function deviceInboxPrefix(deviceId: string): string {
  return `_INBOX_${subjectToken("device", deviceId)}`;
}

const JS_API = "$JS.API";

/** JetStream API subjects the permissions are made of. Stream names follow the KV / object store clients. */
const jsApi = {
  info: () => `${JS_API}.INFO`,
  streamInfo: (stream: string) => `${JS_API}.STREAM.INFO.${stream}`,
  streamMsgGet: (stream: string) => `${JS_API}.STREAM.MSG.GET.${stream}`,
  /** Consumer creation whose filter subject is part of the API subject, so the permission pins the filter. */
  consumerCreate: (stream: string, filter: string) => `${JS_API}.CONSUMER.CREATE.${stream}.*.${filter}`,
  /** Pull the next messages of a consumer on `stream` (any consumer: names are generated). */
  consumerNext: (stream: string) => `${JS_API}.CONSUMER.MSG.NEXT.${stream}.*`,
  consumerInfo: (stream: string) => `${JS_API}.CONSUMER.INFO.${stream}.*`,
  /** Direct get of the last message on `subject` (the server ignores any request body in this form). */
  directGetLast: (stream: string, subject: string) => `${JS_API}.DIRECT.GET.${stream}.${subject}`,
} as const;

const kvStream = (bucket: string) => `KV_${bucket}`;
const kvSubject = (bucket: string, key: string) => `$KV.${bucket}.${key}`;
const objStream = (bucket: string) => `OBJ_${bucket}`;

export interface DevicePermissions extends Permissions {
  pub: { allow: string[]; deny: string[] };
  sub: { allow: string[]; deny: string[] };
  resp: { max: number; ttl: number };
}

export function devicePermissions(input: DevicePermissionInput): DevicePermissions {
  const { orgId, deviceId } = input;
  const b = { ...DEFAULT_DEVICE_BUCKETS, ...input.buckets };
  for (const [k, v] of Object.entries(b)) subjectToken(`${k} bucket`, v);
  const prefix = subjects.devicePrefix(orgId, deviceId);
  const assignment = kvSubject(b.deploy, kvKeys.deviceAssignment(orgId, deviceId));
  const orgPolicies = kvSubject(b.policy, `${subjectToken("org", orgId)}.>`);
  const models = objStream(b.models);
  return {
    pub: {
      allow: [
        `${prefix}.>`,
        jsApi.info(),
        // KV DEPLOY: watch and read its own assignment key only.
        jsApi.consumerCreate(kvStream(b.deploy), assignment),
        jsApi.directGetLast(kvStream(b.deploy), assignment),
        // KV POLICY: watch and read its org's keys (a device may move between groups of its org).
        jsApi.consumerCreate(kvStream(b.policy), orgPolicies),
        jsApi.directGetLast(kvStream(b.policy), orgPolicies),
        // Object store: what ObjectStore.open uses (stream info, last meta by subject) and the agent's resumable
        // download: an ordered pull consumer on one object's chunks, created with its filter pinned in the API
        // subject, pulled, and checked after a reconnect. No consumer delete: the consumers expire on their own,
        // and deleting would let a device remove other devices' consumers.
        jsApi.streamInfo(models),
        jsApi.streamMsgGet(models),
        jsApi.consumerCreate(models, `$O.${b.models}.C.*`),
        jsApi.consumerNext(models),
        jsApi.consumerInfo(models),
      ],
      deny: [],
    },
    sub: { allow: [`${prefix}.cmd.>`, `${deviceInboxPrefix(deviceId)}.>`], deny: [] },
    // One reply to each message delivered to it: command replies and JetStream flow control.
    resp: { max: 1, ttl: 0 },
  };
}
