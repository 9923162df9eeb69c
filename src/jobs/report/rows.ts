/**
 * Completion report rows (spec §6.4): `Bucket,Key,VersionId,TaskStatus,HTTPStatusCode,ErrorCode,
 * ResultMessage` — HTTP status before error code, as every AWS example and real report, although
 * the manifest's ReportSchema string lists ErrorCode first. RFC 4180 quoting, `\n` line ends, no
 * header; Key as written in the manifest (still URL-encoded).
 *
 * The engine keeps a checkpoint's rows as one text (`encodeChunk`): the succeeded rows and the
 * failed rows apart, because the report puts them in separate files.
 */
import type { ManifestTask, TaskResult } from '../operations/types.js';

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(s: string): string {
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportRow(task: ManifestTask, r: TaskResult): string {
  return `${csvField(task.bucket)},${csvField(task.rawKey)},${csvField(task.versionId ?? '')},${r.status},${r.httpStatus},${csvField(r.errorCode)},${csvField(r.resultString)}\n`;
}

/** `<length of succeeded>\n<succeeded rows><failed rows>`. */
export function encodeChunk(succeededRows: string, failedRows: string): string {
  return `${succeededRows.length}\n${succeededRows}${failedRows}`;
}

export function decodeChunk(text: string): { succeeded: string; failed: string } {
  const nl = text.indexOf('\n');
  const n = Number(text.slice(0, nl));
  return { succeeded: text.slice(nl + 1, nl + 1 + n), failed: text.slice(nl + 1 + n) };
}
