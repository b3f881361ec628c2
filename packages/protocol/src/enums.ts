/** Closed sets shared by every part of EdgeWatt. `as const` arrays with derived unions, never TS enums. */

export const ROLES = ["owner", "admin", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Where an energy figure came from. Reports never mix sources silently. */
export const ENERGY_SOURCES = ["rapl", "hwmon", "battery", "nvml", "model", "simulated"] as const;
export type EnergySource = (typeof ENERGY_SOURCES)[number];

export const PRIORITIES = ["critical", "normal", "background"] as const;
export type Priority = (typeof PRIORITIES)[number];

export const JOB_KINDS = ["optimize"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const VARIANT_STATUSES = ["ready", "failed"] as const;
export type VariantStatus = (typeof VARIANT_STATUSES)[number];

export const DEVICE_STATUSES = ["enrolled", "online", "offline", "revoked"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export const SCHEDULER_MODES = ["static", "rule", "learned"] as const;
export type SchedulerMode = (typeof SCHEDULER_MODES)[number];

export const POWER_STATES = ["mains", "battery", "unknown"] as const;
export type PowerState = (typeof POWER_STATES)[number];
