/** How Baton writes sizes and IDs for people: the CLI, the Web UI's details, the catalog's messages. */

/** `7340032` -> `7.0 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The 12-digit short form of a snapshot ID, as `baton repo snapshots` prints it. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
