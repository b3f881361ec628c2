/** Reading user-named input files with messages that say what to fix. */
import { readFile } from "node:fs/promises";

export class InputFileError extends Error {
  override readonly name = "InputFileError";
}

export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory"
          : code === "EACCES"
            ? "permission denied"
            : String((error as Error).message);
    throw new InputFileError(`cannot read ${what} file '${path}': ${reason}`, { cause: error });
  }
}
