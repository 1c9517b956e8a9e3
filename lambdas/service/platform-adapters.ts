import type { Platform } from '../domain/types';
import type { PlatformAdapter } from '../ports/platform';
import { androidAdapter } from '../protocol/android/adapter';
import { appleAdapter } from '../protocol/apple/adapter';

export function platformFor(platform: Platform): PlatformAdapter {
  return platform === 'android' ? androidAdapter : appleAdapter;
}
