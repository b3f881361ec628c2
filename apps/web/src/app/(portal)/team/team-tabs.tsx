"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cx } from "@/components/ui";

const TABS = [
  { href: "/team", label: "Members & invitations" },
  { href: "/team/audit", label: "Audit log" },
];

export function TeamTabs() {
  const pathname = usePathname();
  return (
    <nav aria-label="Team sections" className="mb-6 border-b border-slate-200">
      <ul className="-mb-px flex gap-4">
        {TABS.map((t) => {
          const active = pathname === t.href;
          return (
            <li key={t.href}>
              <Link
                href={t.href}
                aria-current={active ? "page" : undefined}
                className={cx(
                  "inline-block border-b-2 px-1 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-emerald-600",
                  active
                    ? "border-emerald-600 text-slate-900"
                    : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900",
                )}
              >
                {t.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
