// Builds dist/ once so e2e tests run the real `bin/bbr-ts.js`, as an operator would.
import { execa } from 'execa';
import { REPO_ROOT } from '../support/cli.js';

export default async function setup(): Promise<void> {
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
