"use client";

/**
 * tRPC + TanStack Query for client components: `const trpc = useTRPC()` then
 * `useQuery(trpc.models.list.queryOptions())`. One QueryClient per browser tab.
 */
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import superjson from "superjson";
import type { AppRouter } from "@/server/trpc/root";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function isUnauthorized(error: unknown): boolean {
  return error instanceof TRPCClientError && error.data?.code === "UNAUTHORIZED";
}

/** A signed-out session (expired, or membership ended) sends the user to the sign-in page. */
function onAuthError(error: unknown): void {
  if (isUnauthorized(error) && typeof window !== "undefined") {
    const callbackUrl = encodeURIComponent(window.location.pathname + window.location.search);
    window.location.assign(`/signin?callbackUrl=${callbackUrl}`);
  }
}

function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: onAuthError }),
    mutationCache: new MutationCache({ onError: onAuthError }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        // Client errors (4xx) will not get better by retrying.
        retry: (failureCount, error) => {
          const status =
            error instanceof TRPCClientError ? (error.data?.httpStatus as number | undefined) : undefined;
          if (status !== undefined && status < 500) return false;
          return failureCount < 2;
        },
      },
    },
  });
}

let browserQueryClient: QueryClient | undefined;
function getQueryClient(): QueryClient {
  if (typeof window === "undefined") return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** The message to show for a failed query or mutation. */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const issues = error.data?.inputIssues as { path: string; message: string }[] | null | undefined;
    if (issues && issues.length > 0)
      return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong; try again.";
}
