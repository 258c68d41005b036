/**
 * Partition (0..count-1) of a subject by its last token (the component), so every replica
 * of a service agrees which one owns a component. FNV-1a over the UTF-16 code units.
 */
export function partitionOf(subject: string, count: number): number {
  if (count <= 1) return 0;
  const dot = subject.lastIndexOf('.');
  let h = 0x811c9dc5;
  for (let i = dot + 1; i < subject.length; i++) {
    h ^= subject.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}
