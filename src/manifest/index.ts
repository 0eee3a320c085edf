// Public API of manifest/: the BOSH deployment manifest → validated instance groups and SSH targets.
export { loadManifest } from './load-manifest.js';
export { parseManifest, parseManifestJobs } from './parse-manifest.js';
export { ManifestSource } from './source.js';
export type {
  DeploymentManifest,
  InstanceTarget,
  ManifestInstanceGroup,
  ManifestJob,
  ManifestOptions,
  TargetAccess,
} from './types.js';
