/**
 * Where to go after signing in: only a path on this site (an absolute URL keeps just its path), never
 * another origin, never the sign-in page itself.
 */
export function safeCallbackPath(value: unknown, fallback = "/models"): string {
  if (typeof value !== "string" || value === "") return fallback;
  let path: string;
  try {
    const url = new URL(value, "http://same-site.invalid");
    path = `${url.pathname}${url.search}`;
  } catch {
    return fallback;
  }
  if (
    !path.startsWith("/") ||
    path.startsWith("//") ||
    path.startsWith("/signin") ||
    path.startsWith("/api/")
  ) {
    return fallback;
  }
  return path;
}
