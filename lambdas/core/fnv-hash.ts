// FNV-1a (32 bit): a stable hash of a string, the same in every process and every release, for spreading (a
// conversation's listing bucket) and sticky ordering (percentage rollouts): what it decided once never moves.
export function fnv1a32(value: string): number {
  let hash = 2166136261;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 16777619);
  return hash >>> 0;
}
