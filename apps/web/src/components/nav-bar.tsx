"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cx } from "./ui";

const LINKS = [
  { href: "/models", label: "Models" },
  { href: "/devices", label: "Devices" },
  { href: "/deployments", label: "Deployments" },
  { href: "/policies", label: "Policies" },
  { href: "/reports", label: "Reports" },
  { href: "/team", label: "Team" },
];

export function NavBar({
  orgName,
  email,
  role,
  signOut,
}: {
  orgName: string;
  email: string | null;
  role: string;
  signOut: () => Promise<void>;
}) {
  const pathname = usePathname();
  return (
    <header className="border-b border-slate-200 bg-white">
      <nav aria-label="Main" className="mx-auto flex max-w-6xl flex-wrap items-center gap-6 px-4 py-3">
        <Link href="/models" className="text-lg font-semibold tracking-tight">
          Edge<span className="text-emerald-600">Watt</span>
        </Link>
        <ul className="flex gap-1">
          {LINKS.map((l) => {
            const active = pathname === l.href || pathname.startsWith(`${l.href}/`);
            return (
              <li key={l.href}>
                <Link
                  href={l.href}
                  aria-current={active ? "page" : undefined}
                  className={cx(
                    "rounded-md px-3 py-1.5 text-sm font-medium",
                    active
                      ? "bg-slate-100 text-slate-900"
                      : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
                  )}
                >
                  {l.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <div className="ml-auto flex items-center gap-4 text-sm">
          <span className="text-slate-700" data-testid="nav-org">
            <span className="font-medium">{orgName}</span>
            <span className="ml-2 text-slate-500">
              {email} · {role}
            </span>
          </span>
          <form action={signOut}>
            <button
              type="submit"
              className="rounded-md px-3 py-1.5 font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-slate-500"
              data-testid="sign-out"
            >
              Sign out
            </button>
          </form>
        </div>
      </nav>
    </header>
  );
}
