import fs from 'node:fs';
import { crc32 } from 'node:zlib';

/** Bytes before each record body: u32 body length, u32 CRC-32 of the body (little-endian). */
export const FRAME_HEADER = 8;
/** Largest accepted record body; a larger length field is treated as a torn or corrupt frame. */
export const MAX_RECORD = 1 << 30;

/** Wraps a body in a frame: length, CRC-32, body. */
export function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + body.length);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  body.copy(out, FRAME_HEADER);
  return out;
}

/** Result of reading a file of frames. */
export interface FrameScan {
  bodies: Buffer[];
  /** Bytes up to the end of the last intact frame. */
  validBytes: number;
  /** Bytes after it (a torn write or corruption); 0 for a clean file. */
  discardedBytes: number;
}

/**
 * Reads consecutive frames and stops at the first incomplete or corrupt one (short header,
 * length past the end of the file, CRC mismatch): everything from there on is reported as
 * discarded. A crash mid-append leaves exactly such a tail.
 */
export function readFrames(file: string): FrameScan {
  const buf = fs.readFileSync(file);
  const bodies: Buffer[] = [];
  let pos = 0;
  while (pos + FRAME_HEADER <= buf.length) {
    const len = buf.readUInt32LE(pos);
    const sum = buf.readUInt32LE(pos + 4);
    if (len > MAX_RECORD || pos + FRAME_HEADER + len > buf.length) break;
    const body = buf.subarray(pos + FRAME_HEADER, pos + FRAME_HEADER + len);
    if (crc32(body) !== sum) break;
    bodies.push(body);
    pos += FRAME_HEADER + len;
  }
  return { bodies, validBytes: pos, discardedBytes: buf.length - pos };
}

/** Writes a file atomically: temp file, fsync, rename over the target, fsync the directory. */
export function writeFileAtomic(file: string, chunks: Iterable<Buffer>): number {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  let bytes = 0;
  try {
    for (const c of chunks) {
      fs.writeSync(fd, c);
      bytes += c.length;
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(file.slice(0, Math.max(file.lastIndexOf('/'), 0)) || '.');
  return bytes;
}

/** fsyncs a directory so a rename or create in it survives power loss (best effort where unsupported). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
