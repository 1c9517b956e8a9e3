// Apple commands the server never sends but the simulated device answers (the tests ask for them
// to check its answers and the command schemas); the server's own builders are in
// lambdas/protocol/apple/commands.ts.
import { type AppleCommand, needsUnlock } from '../lambdas/protocol/apple/command-builders';

function make(requestType: string, params: Record<string, unknown> = {}): AppleCommand {
  return { requestType, command: { RequestType: requestType, ...params }, needsUnlock: needsUnlock(requestType) };
}

export const securityInfo = (): AppleCommand => make('SecurityInfo');
export const managedApplicationList = (): AppleCommand => make('ManagedApplicationList');
export const certificateList = (): AppleCommand => make('CertificateList');
export const clearPasscode = (unlockToken: Buffer): AppleCommand => make('ClearPasscode', { UnlockToken: unlockToken });
