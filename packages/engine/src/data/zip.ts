/** A minimal zip reader (stored and deflate entries, zip64) for .npz archives. */
import { inflateRawSync } from "node:zlib";
import { NpyFormatError } from "../errors";

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++)
    crc = (CRC_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function invalid(why: string): NpyFormatError {
  return new NpyFormatError(
    "NPY_INVALID",
    `not a readable .npz archive: ${why}; the file may be truncated or not an .npz`,
  );
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** All file entries of a zip archive, decompressed and CRC-checked, in central-directory order. */
export function readZip(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const inRange = (at: number, length: number) => at >= 0 && at + length <= bytes.byteLength;

  let eocd = -1;
  for (let at = bytes.byteLength - 22; at >= Math.max(0, bytes.byteLength - 22 - 0xffff); at--) {
    if (u32(at) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw invalid("no end-of-central-directory record");
  let entryCount = u16(eocd + 10);
  let directoryOffset = u32(eocd + 16);
  const locator = eocd - 20;
  if (inRange(locator, 20) && u32(locator) === ZIP64_LOCATOR) {
    const record = u64(locator + 8);
    if (!inRange(record, 56) || u32(record) !== ZIP64_EOCD) throw invalid("broken zip64 end record");
    entryCount = u64(record + 32);
    directoryOffset = u64(record + 48);
  }

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let i = 0; i < entryCount; i++) {
    if (!inRange(at, 46) || u32(at) !== CENTRAL) throw invalid(`central directory entry ${i} is missing`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let localOffset = u32(at + 42);
    if (!inRange(at + 46, nameLength + extraLength)) throw invalid("central directory is truncated");
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // zip64 extra field: the 64-bit values present are those whose 32-bit slot is 0xFFFFFFFF, in this order.
    for (let e = at + 46 + nameLength; e + 4 <= at + 46 + nameLength + extraLength; ) {
      const id = u16(e);
      const length = u16(e + 2);
      if (id === 0x0001) {
        let p = e + 4;
        if (size === MAX32) {
          size = u64(p);
          p += 8;
        }
        if (compressedSize === MAX32) {
          compressedSize = u64(p);
          p += 8;
        }
        if (localOffset === MAX32) localOffset = u64(p);
      }
      e += 4 + length;
    }
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith("/")) continue;
    if (flags & 1) throw new NpyFormatError("NPY_UNSUPPORTED", `zip entry '${name}' is encrypted`);

    if (!inRange(localOffset, 30) || u32(localOffset) !== LOCAL)
      throw invalid(`local header of '${name}' is missing`);
    const dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    if (!inRange(dataStart, compressedSize)) throw invalid(`data of '${name}' is truncated`);
    const raw = bytes.subarray(dataStart, dataStart + compressedSize);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw));
      } catch (error) {
        throw invalid(
          `'${name}' does not inflate (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    } else {
      throw new NpyFormatError(
        "NPY_UNSUPPORTED",
        `zip entry '${name}' uses compression method ${method}; use np.savez or np.savez_compressed`,
      );
    }
    if (data.byteLength !== size) throw invalid(`'${name}' is ${data.byteLength} bytes, expected ${size}`);
    if (crc32(data) !== crc) throw invalid(`'${name}' fails its CRC-32 check`);
    entries.push({ name, data });
  }
  return entries;
}
