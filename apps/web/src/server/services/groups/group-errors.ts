import { ConflictError } from "@edgewatt/db";
import { ServiceError } from "../../errors";

/** For `.catch()` after a write that may hit the org's unique group name. */
export function rethrowGroupNameTaken(name: string): (err: unknown) => never {
  return (err: unknown) => {
    if (err instanceof ConflictError && err.constraint === "device_groups_org_name_uq") {
      throw new ServiceError(
        "CONFLICT",
        `A device group named "${name}" already exists in your organization; choose another name.`,
        { cause: err },
      );
    }
    throw err;
  };
}
