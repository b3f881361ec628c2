import type { NextConfig } from "next";

type WebpackConfig = { module?: { rules?: unknown[] } };

/**
 * Workspace packages are consumed as TypeScript source with extensionless relative imports; Next's
 * bundler resolves `.ts` for those once they are listed in `transpilePackages`.
 * Native modules and drivers stay outside the bundle and are loaded by Node at run time.
 */
const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: ["@edgewatt/db", "@edgewatt/protocol", "@edgewatt/engine", "@edgewatt/nats"],
  serverExternalPackages: [
    "onnxruntime-node",
    "pg",
    "@electric-sql/pglite",
    "@electric-sql/pglite-socket",
    "protobufjs",
    "@nats-io/transport-node",
  ],
  // The repo lints with biome; Next's built-in ESLint step has no config to run.
  eslint: { ignoreDuringBuilds: true },
  webpack(config: WebpackConfig) {
    // Workspace packages locate their own files at run time with `new URL("../drizzle", import.meta.url)`
    // (e.g. @edgewatt/db's migrations folder). Webpack would treat that as an asset import and fail on a
    // directory; leave the expression to run as written (import.meta.url is the source file's URL).
    config.module ??= {};
    config.module.rules ??= [];
    config.module.rules.push({
      test: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.ts$/,
      parser: { url: false },
    });
    return config;
  },
};

export default nextConfig;
