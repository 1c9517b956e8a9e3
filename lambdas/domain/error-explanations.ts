// Plain-words explanations of device error codes, for the diagnosis and the command log.
//
// Numbers and meanings follow the table in docs/protocol.md §Error codes (Apple's legacy MDM
// protocol reference). Apple says the numbers may change, so they are used for display and triage
// only, never for logic. To add a code: add a row to the table below, keyed `${domain}:${code}`.

export interface ErrorExplanation {
  title: string;
  explanation: string;
  fix: string;
}

type Table = Record<string, ErrorExplanation>;

const row = (title: string, explanation: string, fix: string): ErrorExplanation => ({ title, explanation, fix });

/** Adds the same explanation for every code in [from, to]. */
function range(domain: string, from: number, to: number, e: ErrorExplanation): Table {
  const t: Table = {};
  for (let code = from; code <= to; code += 1) t[`${domain}:${code}`] = e;
  return t;
}

const FIX_PROFILE =
  'Check the profile in the template (open it in Apple Configurator or a plist editor), correct it and upload it again.';
const LOCKED_FIX =
  'Ask the user to unlock the device; the server sends the command again when the device next connects.';
const APP_FIX =
  'Check that the app is available to this device (licence, App Store id or manifest URL, OS version), then sync again.';
const LOST_MODE =
  "Lost Mode (admin lock) is involved. Check the device's Lost Mode state in its detail and send AdminLock or AdminUnlock again if needed.";

const MCProfile = 'MCProfileErrorDomain';
const MCPayload = 'MCPayloadErrorDomain';
const MCInstall = 'MCInstallationErrorDomain';
const MCPasscode = 'MCPasscodeErrorDomain';
const MCMDM = 'MCMDMErrorDomain';

export const ERROR_EXPLANATIONS: Readonly<Table> = {
  // --- MCProfileErrorDomain: the profile as a whole ---
  [`${MCProfile}:1000`]: row(
    'Malformed profile',
    'The device could not read the profile: it is not a valid configuration profile.',
    FIX_PROFILE,
  ),
  [`${MCProfile}:1001`]: row(
    'Unsupported profile version',
    'The profile declares a format version this device does not support.',
    FIX_PROFILE,
  ),
  [`${MCProfile}:1002`]: row('Missing required field', 'The profile lacks a field the device requires.', FIX_PROFILE),
  [`${MCProfile}:1003`]: row(
    'Wrong field type',
    'A field in the profile has the wrong type (for example text where a number is expected).',
    FIX_PROFILE,
  ),
  [`${MCProfile}:1004`]: row(
    'Bad signature',
    'The profile is signed, but the device could not verify the signature.',
    'Re-sign the profile with a valid certificate, or upload it unsigned.',
  ),
  [`${MCProfile}:1005`]: row(
    'Empty profile',
    'The profile contains no settings.',
    'Add the settings the profile should carry, or remove it from the template.',
  ),
  [`${MCProfile}:1006`]: row(
    'Cannot decrypt',
    'The profile is encrypted and this device cannot decrypt it.',
    "Upload the profile unencrypted, or encrypt it for this device's identity.",
  ),
  [`${MCProfile}:1007`]: row(
    'Duplicate UUIDs',
    'Two payloads in the profile share the same PayloadUUID.',
    'Give every payload in the profile its own PayloadUUID and upload it again.',
  ),
  [`${MCProfile}:1008`]: row(
    'Duplicate payload identifiers',
    'Two payloads in the profile share the same PayloadIdentifier.',
    'Give every payload in the profile its own PayloadIdentifier and upload it again.',
  ),
  [`${MCProfile}:1009`]: row(
    'Profile installation failed',
    'The device could not install the profile.',
    "Check the device's message below for the cause; correct the profile or sync again.",
  ),
  [`${MCProfile}:1010`]: row(
    'Unsupported value',
    'A field in the profile has a value this device does not support.',
    FIX_PROFILE,
  ),

  // --- MCPayloadErrorDomain: one payload inside the profile ---
  [`${MCPayload}:2000`]: row('Malformed payload', 'One payload inside the profile could not be read.', FIX_PROFILE),
  [`${MCPayload}:2001`]: row(
    'Unsupported payload version',
    'One payload declares a version this device does not support.',
    FIX_PROFILE,
  ),
  [`${MCPayload}:2002`]: row('Payload field missing', 'One payload lacks a field the device requires.', FIX_PROFILE),
  [`${MCPayload}:2003`]: row('Payload field of wrong type', 'A field in one payload has the wrong type.', FIX_PROFILE),
  ...range(
    MCPayload,
    2004,
    2005,
    row('Payload rejected', 'The device rejected one payload inside the profile.', FIX_PROFILE),
  ),

  // --- MCInstallationErrorDomain: installing or replacing a profile ---
  [`${MCInstall}:4001`]: row(
    'Installation failed',
    'The device could not install the profile.',
    "Check the device's message below; correct the profile or sync again.",
  ),
  [`${MCInstall}:4004`]: row(
    'Cancelled by the user',
    'The user cancelled the installation on the device.',
    'Ask the user to accept the installation, then sync again.',
  ),
  [`${MCInstall}:4005`]: row(
    'Passcode does not comply',
    "The profile needs a passcode that the device's current passcode does not meet.",
    'Ask the user to change the passcode to meet the policy, then sync again.',
  ),
  [`${MCInstall}:4009`]: row(
    'Device locked',
    'The device was locked, so the profile could not be installed yet.',
    LOCKED_FIX,
  ),
  [`${MCInstall}:4010`]: row(
    'Different identifier',
    'The updated profile has a different identifier from the one it is meant to replace.',
    'Keep the same PayloadIdentifier when you update a profile, or remove the old one first.',
  ),
  [`${MCInstall}:4012`]: row(
    'Profile not updatable',
    'The installed profile cannot be replaced by an update.',
    'Remove the installed profile first (or use a new identifier), then sync again.',
  ),
  [`${MCInstall}:4015`]: row(
    'Replacement lacks the MDM payload',
    'A replacement for the management profile does not contain the MDM payload.',
    'Never replace the enrollment profile with one that lacks its MDM payload.',
  ),
  [`${MCInstall}:4020`]: row(
    'UI installation prohibited',
    'Installing profiles from the user interface is prohibited on this device.',
    'Deliver the profile through the server (the template), not by hand.',
  ),
  [`${MCInstall}:4022`]: row(
    'Must be installed via MDM',
    'This profile can only be installed by the management server.',
    'Deliver the profile through the template, not by hand.',
  ),
  [`${MCInstall}:4024`]: row(
    'Profile not found',
    'The device has no profile with this identifier.',
    "Nothing to remove; sync again so the server reads the device's profiles afresh.",
  ),
  [`${MCInstall}:4025`]: row(
    'Invalid supervision',
    'The profile needs a supervised device (or the supervision settings do not match).',
    'Remove the supervised-only settings from the profile, or supervise the device.',
  ),
  [`${MCInstall}:4026`]: row(
    'Removal date in the past',
    'The profile carries a removal date that has already passed, so the device refuses it.',
    'Remove or correct the removal date (RemovalDate / DurationUntilRemoval) in the profile and upload it again.',
  ),
  [`${MCInstall}:4027`]: row(
    'Profile requires a passcode change',
    "The profile needs a passcode change that the device's restrictions forbid, so it cannot be applied as delivered.",
    'Split the passcode payload into its own profile, so the passcode policy installs separately from the restrictions.',
  ),
  [`${MCInstall}:4030`]: row(
    'Not allowed on Shared iPad',
    'The profile contains a payload that a Shared iPad does not accept.',
    'Use a template without that payload for Shared iPads.',
  ),

  // --- MCPasscodeErrorDomain ---
  ...range(
    MCPasscode,
    5000,
    5008,
    row(
      'Passcode policy failure',
      'The passcode does not meet the passcode policy.',
      'Ask the user to set a passcode that meets the policy, or relax the policy in the template.',
    ),
  ),
  [`${MCPasscode}:5010`]: row(
    'Device locked',
    'The device was locked, so the passcode command could not run.',
    LOCKED_FIX,
  ),
  [`${MCPasscode}:5011`]: row(
    'Wrong passcode',
    'The passcode given was not accepted.',
    'Check the passcode and send the command again.',
  ),
  [`${MCPasscode}:5013`]: row(
    'Cannot clear passcode',
    'The device refused to remove its passcode.',
    'A profile or restriction may require a passcode: remove that requirement first, then send ClearPasscode again.',
  ),
  [`${MCPasscode}:5014`]: row(
    'Cannot set passcode',
    'The device refused to set the passcode.',
    'Check that the new passcode meets the passcode policy, then send the command again.',
  ),

  // --- MCMDMErrorDomain ---
  [`${MCMDM}:12000`]: row(
    'Invalid access rights',
    'The enrollment does not grant the server the rights this command needs.',
    'Re-enroll the device with full access rights (1FFF).',
  ),
  [`${MCMDM}:12007`]: row(
    'Not authorized',
    'The device did not authorize this command.',
    "Check the device's access rights and supervision; re-enroll if the rights are missing.",
  ),
  [`${MCMDM}:12013`]: row(
    'Profile not managed',
    'The profile was not installed by this server, so the server may not remove it.',
    'Ask the user to remove it on the device; the server only removes profiles it delivered.',
  ),
  [`${MCMDM}:12021`]: row(
    'Invalid request type',
    'The device does not know this command.',
    'The command needs a newer OS or another platform; update the device or do not send it.',
  ),
  ...range(
    MCMDM,
    12023,
    12038,
    row(
      'App installation or management failed',
      'The device could not install, update or take over management of an app.',
      APP_FIX,
    ),
  ),
  [`${MCMDM}:12049`]: row(
    'Passcode must be cleared',
    'The OS update needs the passcode to be cleared first.',
    'Send ClearPasscode, then retry the update.',
  ),
  [`${MCMDM}:12063`]: row(
    'Rejected by the user',
    'The user rejected the request on the device.',
    'Ask the user to accept it, then sync again.',
  ),
  ...range(MCMDM, 12066, 12069, row('Lost Mode', 'The Lost Mode command failed.', LOST_MODE)),
  [`${MCMDM}:12075`]: row(
    'Profile not installed',
    'The profile is not installed on the device.',
    "Nothing to remove; sync again so the server reads the device's profiles afresh.",
  ),
  [`${MCMDM}:12078`]: row(
    'Not allowed in Lost Mode',
    'The device is in Lost Mode (admin lock) and refuses this command.',
    'Lift the admin lock (AdminUnlock) if the command must run.',
  ),
  [`${MCMDM}:12081`]: row(
    'Not tethered',
    'The command requires the device to be tethered, and it is not.',
    'Connect the device (tethered) and send the command again.',
  ),
  [`${MCMDM}:12084`]: row(
    'Not allowed in Single App Mode',
    'The device is in Single App Mode and refuses this command.',
    'Leave Single App Mode (remove that profile), then send the command again.',
  ),

  // --- MCTunnelErrorDomain ---
  'MCTunnelErrorDomain:14001': row('Device locked', 'The device was locked, so the command could not run.', LOCKED_FIX),

  // --- MCSCEPErrorDomain (a few) ---
  ...range(
    'MCSCEPErrorDomain',
    22000,
    22013,
    row(
      'Certificate enrollment (SCEP) failed',
      'The device could not obtain a certificate from the SCEP server.',
      "Check the SCEP server's address, challenge and capabilities in the profile.",
    ),
  ),
  'MCSCEPErrorDomain:22005': row(
    'SCEP network error',
    'The device could not reach the SCEP server.',
    "Check that the SCEP URL is reachable from the device's network.",
  ),

  // --- This server ---
  'MDMServer:no-result': row(
    'No result reported',
    'The command was handed to the device, but the device never reported a result.',
    'Sync again; if it keeps happening, restart the device.',
  ),
  'MDMServer:result-too-large': row(
    'Result too large to store',
    'The device answered, but its result is over a stored-data limit (for example more than 5,000 apps, or an identifier over 256 characters), so it was not stored.',
    'See "Limits" in docs/operations.md; remove what makes the device\'s report absurd (thousands of apps with generated names), then sync again.',
  ),
  'MDMServer:not-now-repeated': row(
    'Postponed again and again',
    'The device keeps answering NotNow (postponed), usually because it stays locked.',
    'Ask the user to unlock the device for a moment.',
  ),

  // --- Android agent (error.code in POST /android/{tenant}/connect) ---
  'AndroidAgent:policy-rejected': row(
    'Policy rejected',
    'The agent could not apply the policy on this device.',
    'Check the policy JSON for settings this model or Android version does not support.',
  ),
  'AndroidAgent:install-failed': row(
    'App installation failed',
    'The agent could not install or update the app.',
    'Check the APK URL or store listing, the versionCode and free space on the device.',
  ),
  'AndroidAgent:not-device-owner': row(
    'Agent is not device owner',
    'The agent is not the device owner, so it cannot run this command.',
    'Re-enroll the device with the agent as device owner (factory reset, then QR enrollment).',
  ),
  'AndroidAgent:unsupported-command': row(
    'Unsupported command',
    'The agent on this device does not support the command.',
    'Update the agent app, or do not send this command to this model.',
  ),
};

/** The explanation of an error, or undefined when the code is not (yet) in the table. */
export function explainError(domain: string, code: number | string): ErrorExplanation | undefined {
  return ERROR_EXPLANATIONS[`${domain}:${String(code).trim()}`];
}
