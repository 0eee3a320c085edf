// What a job's `metadata` script is told about the tool running it (bbr-contract.md §2.2, §2.4).
//
// BBR sets BBR_VERSION to its own version (cmd/bbr/main.go `version`, baked in by `-X main.version` in its
// Makefile; instance/job_finder.go passes it to metadata). Scripts gate on it: the backup-and-restore SDK's
// blobstore jobs (s3-unversioned-blobstore-backup-restorer's metadata template) refuse anything below 1.4.0,
// so handing them bbr-ts's own 0.x version made every backup of such a deployment fail at discovery.
// bbr-ts therefore reports the BBR release whose script contract it implements, and its own version apart.

/** The BBR release whose contract bbr-ts follows (latest 1.9.x release, tag v1.9.81, read 2026-11-22). */
export const BBR_COMPATIBLE_VERSION = '1.9.81';

/** The environment of every `metadata` run: BBR's variable, plus bbr-ts's own version for scripts that care. */
export function metadataEnv(bbrTsVersion: string): Record<string, string> {
  return { BBR_VERSION: BBR_COMPATIBLE_VERSION, BBR_TS_VERSION: bbrTsVersion };
}
