/** `newId` lives in `src/ids.ts`; re-exported here so `@edgewatt/db/schema` keeps exporting it. */
export { newId } from "../ids";
