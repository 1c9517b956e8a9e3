// plist@3's builder module on its own (its types describe only the package index).
declare module 'plist/lib/build' {
  import type { PlistValue } from 'plist';
  export function build(obj: PlistValue, opts?: { pretty?: boolean; indent?: string; newline?: string }): string;
}
