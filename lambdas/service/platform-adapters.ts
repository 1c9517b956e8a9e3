import { androidAdapter } from '../protocol/android/adapter';
import { appleAdapter } from '../protocol/apple/adapter';
import type { Platform } from '../domain/types';
import type { PlatformAdapter } from '../ports/platform';

export function platformFor(platform: Platform): PlatformAdapter {
  return platform === 'android' ? androidAdapter : appleAdapter;
}
