/** Vitest global setup: rebuilds whatever the end-to-end tests spawn when it is older than its sources. */
import { buildStalePackages } from '@refdata/test-utils';

export default function setup(): void {
  buildStalePackages('the end-to-end tests');
}
