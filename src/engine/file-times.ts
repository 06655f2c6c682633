/**
 * File times to the nanosecond (native/aes-gcm/file_times.c): Node's futimes and lutimes take
 * seconds as a double, which cannot carry the nanoseconds of a present-day date (a double has 53
 * bits; 1.7e18 ns needs 61), and libuv passes microseconds on. The restorer sets a tree's mtimeNs
 * with these, exactly.
 */
import { loadNative } from './native';

interface FileTimesModule {
  futimens(fd: number, sec: number, nsec: number): void;
  lutimens(path: Buffer, sec: number, nsec: number): void;
}

/** A time as the kernel takes it: whole seconds and nanoseconds 0..999999999 (both safe integers). */
export interface FileTime {
  sec: number;
  nsec: number;
}

const native = loadNative<FileTimesModule>('file_times', 'file-times');

/** `mtimeNs` (a decimal string of nanoseconds since the epoch, maybe negative) as seconds and nanoseconds. */
export function fileTimeOf(mtimeNs: string): FileTime {
  const ns = BigInt(mtimeNs);
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += 1_000_000_000n;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

/** Sets atime and mtime of the open file `fd` to `t`. */
export function futimens(fd: number, t: FileTime): void {
  native.futimens(fd, t.sec, t.nsec);
}

/** Sets atime and mtime of the entry at `path` itself (a symlink's own times, never its target's). */
export function lutimens(path: Buffer, t: FileTime): void {
  native.lutimens(path, t.sec, t.nsec);
}
