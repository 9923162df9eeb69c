/**
 * One server per data directory. The embedded store's caches and the job engine's restart rule
 * (a lease held by any other worker is a dead incarnation's, taken back at start) both assume
 * this process alone uses `<dataDir>`: a second server on it would fence the first one's live
 * leases and run their tasks twice. `server.lock` holds the owner's pid; a lock whose pid is no
 * longer alive (the owner was killed) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Locks held by this process (in-process tests start several apps, each on its own dir). */
const held = new Set<string>();

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dataDir>/server.lock`, or throws DataDirInUseError; returns its release. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'server.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (held.has(path) || (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))) {
        throw new DataDirInUseError(`the data directory ${dataDir} is in use by another s3batch server (pid ${held.has(path) ? process.pid : pid}, ${path}); stop it first, or use another --data-dir`);
      }
      unlinkSync(path); // its owner is gone (killed): take it over
    }
  }
  held.add(path);
  return () => {
    if (!held.delete(path)) return;
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
}
