// The manifest as an instance source (foundations without a director): instance N of a group at the Nth static
// IP, reached with the operator's own key and known_hosts, so there is no access to grant or release.
import type { InstanceSource, ResolvedDeployment } from '../orchestrate/instance-source.js';
import { loadManifest } from './load-manifest.js';

export class ManifestSource implements InstanceSource {
  private readonly file: string;
  private readonly options: { sshPort: number; deployment?: string };

  constructor(file: string, options: { sshPort: number; deployment?: string }) {
    this.file = file;
    this.options = options;
  }

  async resolve(): Promise<ResolvedDeployment> {
    const manifest = await loadManifest(this.file, { sshPort: this.options.sshPort });
    return {
      name: this.options.deployment ?? manifest.name,
      targets: manifest.instances,
      withReleases: true,
      manifestText: manifest.text,
    };
  }
}
