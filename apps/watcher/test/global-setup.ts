/** Vitest global setup: rebuilds whatever the CLI tests spawn when it is older than its sources. */
import { buildStalePackages } from '@refdata/test-utils';

export default function setup(): void {
  buildStalePackages('the CLI tests');
}
