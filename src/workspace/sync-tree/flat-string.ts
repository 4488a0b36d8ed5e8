/**
 * A string built by concatenation is a rope in V8 (a cons string: one object per piece, each
 * piece its own string). Reading a char flattens it into one string, which the GC then keeps in
 * its place: for what a tree or cache holds per path between cycles, that is tens of bytes less
 * per path. Returns the same string.
 */
export function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}
