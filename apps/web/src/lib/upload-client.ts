/**
 * Browser upload of a model file with real progress (XMLHttpRequest upload events; fetch has none).
 * The file is sent as the raw body, which the server streams to disk under its size limit.
 */

export interface UploadResult {
  modelId: string;
  jobId: string;
  sha256: string;
  sizeBytes: number;
  jobQueued: boolean;
}

export class UploadError extends Error {
  override readonly name = "UploadError";
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface UploadHandle {
  done: Promise<UploadResult>;
  abort(): void;
}

export function uploadModelFile(
  file: File,
  name: string,
  onProgress: (loaded: number, total: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<UploadResult>((resolve, reject) => {
    const params = new URLSearchParams({ name, fileName: file.name });
    xhr.open("POST", `/api/models/upload?${params}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.upload.onload = () => onProgress(file.size, file.size);
    xhr.onload = () => {
      const body = xhr.response as unknown;
      if (xhr.status >= 200 && xhr.status < 300 && isUploadResult(body)) {
        resolve(body);
        return;
      }
      reject(new UploadError(messageFrom(body, xhr.status), xhr.status));
    };
    xhr.onerror = () =>
      reject(
        new UploadError(
          "The upload failed before the server answered (network error, or the server closed the connection). Check your connection and try again.",
          null,
        ),
      );
    xhr.onabort = () => reject(new UploadError("The upload was cancelled.", null));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

function isUploadResult(body: unknown): body is UploadResult {
  return typeof body === "object" && body !== null && typeof (body as UploadResult).modelId === "string";
}

function messageFrom(body: unknown, status: number): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  if (typeof message === "string" && message) return message;
  if (status === 401) return "Your session has ended; sign in again and retry the upload.";
  if (status === 413) return "The file is larger than the server accepts.";
  return `The server refused the upload (HTTP ${status}); try again.`;
}

/** Calibration or evaluation data (.npz) for a model, with progress; resolves with the stored summary. */
export function uploadModelDataFile(
  modelId: string,
  kind: "calibration" | "evaluation",
  file: File,
  onProgress: (loaded: number, total: number) => void,
): { done: Promise<unknown>; abort(): void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<unknown>((resolve, reject) => {
    const params = new URLSearchParams({ kind, fileName: file.name });
    xhr.open("POST", `/api/models/${encodeURIComponent(modelId)}/data?${params}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.upload.onload = () => onProgress(file.size, file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response as unknown);
      else reject(new UploadError(messageFrom(xhr.response as unknown, xhr.status), xhr.status));
    };
    xhr.onerror = () =>
      reject(
        new UploadError(
          "The upload failed before the server answered; check your connection and try again.",
          null,
        ),
      );
    xhr.onabort = () => reject(new UploadError("The upload was cancelled.", null));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
