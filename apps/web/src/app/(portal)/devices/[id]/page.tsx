import type { Metadata } from "next";
import { DeviceDetailView } from "./device-detail-view";

export const metadata: Metadata = { title: "Device" };

export default async function DevicePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <DeviceDetailView deviceId={id} />;
}
