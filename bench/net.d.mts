// Type declarations for bench/net.mjs (emulated links for the bench; also used by test/e2e/fleet-netns.test.ts).

export interface ShapedLink {
  /** Network namespace the instances' sshds run in (`bbrb-<name>`). */
  netnsName: string;
  /** Instance addresses behind the link: 198.18.<64+k>.10, .11, ... */
  addresses: string[];
  /** The root (jumpbox) namespace's end of the link: 198.18.<64+k>.1. */
  jumpboxAddress: string;
  rateBits: number;
  /** Removes the link and its namespace (stop the fleet inside first). Idempotent. */
  dispose(): Promise<void>;
}

export const activeLinks: Map<string, () => Promise<void>>;
export function tbfArgs(dev: string, rateBits: number): string[];
export function linkEmulationMissing(): Promise<string | null>;
export function removeStaleLinks(): Promise<void>;
/** One link `name` (1-8 lowercase letters or digits), k = 0..63 picks the /24, shaped to rateBits in both directions. */
export function createShapedLink(options: { name: string; k: number; rateBits: number; instances: number }): Promise<ShapedLink>;
/** Bytes the instance side of the link has sent (tbf counter). */
export function linkSentBytes(link: ShapedLink): Promise<number>;
