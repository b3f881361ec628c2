/**
 * Redirects signed-out visitors of portal pages to /signin. Uses only the edge-safe half of the Auth.js
 * configuration (it verifies the session cookie, nothing else), and runs on the Node.js runtime, where
 * jose's compression streams are available without edge-runtime warnings.
 *
 * API routes are not matched: they authenticate themselves (tRPC procedures and the upload route check
 * the session, the agent routes use enrollment tokens), and a matched request would have its body
 * buffered by Next (10 MB cap), which would truncate model uploads.
 */
import NextAuth from "next-auth";
import { edgeAuthConfig } from "./server/auth/config";

export default NextAuth(() => edgeAuthConfig()).auth;

export const config = {
  runtime: "nodejs",
  matcher: ["/((?!api/|_next/static|_next/image|favicon.ico|icon.svg|signin).*)"],
};
