// The deployment as bbr-ts sees it: instance groups from a BOSH manifest and one SSH target per instance.
// Built once by parseManifest and read-only afterwards.

export interface ManifestJob {
  name: string;
  release: string;
  /**
   * `properties.bbr.backup_one_restore_all: true`: the group's bootstrap instance backs up into one custom
   * artifact that every instance of the job restores from (BBR bosh/manifest_querier.go). Absent when false.
   */
  backupOneRestoreAll?: true;
}

export interface InstanceTarget {
  group: string;
  index: number;
  /** `group/index`, the identity BBR uses in logs and errors. */
  name: string;
  host: string;
  port: number;
  jobs: ManifestJob[];
  /** The director's instance UUID (director source only). */
  id?: string;
  /** The director's bootstrap flag; without a director, index 0 is taken as bootstrap. */
  bootstrap?: boolean;
  /**
   * How to log in to this instance when it is not the operator's key and known_hosts: the director source
   * hands out a temporary user, its in-memory key and the host key the director reported (pinned).
   */
  access?: TargetAccess;
}

export interface TargetAccess {
  username: string;
  /** OpenSSH private key text, generated for this run and never written to disk. */
  privateKey: string;
  /** The instance's host key as an authorized_keys line (`ssh-rsa AAAA... comment`); nothing else is accepted. */
  hostKey: string;
}

export interface ManifestInstanceGroup {
  name: string;
  instances: number;
  jobs: ManifestJob[];
}

export interface DeploymentManifest {
  name: string;
  file: string;
  /** The raw manifest text, saved as manifest.yml by --with-manifest. */
  text: string;
  instanceGroups: ManifestInstanceGroup[];
  instances: InstanceTarget[];
}

export interface ManifestOptions {
  /** The SSH port of every instance. */
  sshPort: number;
}
