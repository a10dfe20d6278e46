/**
 * How the SQL Server dialect logs in: the authentication types of tedious we support, chosen by
 * `OpenDatabaseOptions.authentication` or the URL (`?authentication=ntlm&domain=CORP`), and where
 * the secret comes from (`password`, the URL, or `passwordFile`, read again for every new
 * connection so a rotated password takes effect without a restart).
 */
import { readFileSync, statSync } from 'node:fs';
import { DbError, DbErrorCode } from '../../errors.js';
import type { Logger } from '../../types.js';

/** The authentication types, as tedious names them (`sql` is tedious's `default`: a SQL login). */
export const MSSQL_AUTHENTICATION_TYPES = [
  'sql',
  'ntlm',
  'azure-active-directory-default',
  'azure-active-directory-msi-vm',
  'azure-active-directory-service-principal-secret',
] as const;
/** One of {@link MSSQL_AUTHENTICATION_TYPES}. */
export type MssqlAuthenticationType = (typeof MSSQL_AUTHENTICATION_TYPES)[number];

/**
 * How to log in to SQL Server. The secret (password, client secret) never goes here: it comes
 * from `password`, the URL or `passwordFile`.
 * - `sql`: a SQL Server login, user from the URL, password (the default);
 * - `ntlm`: a Windows account of `domain`, user from the URL, password;
 * - `azure-active-directory-default`: Microsoft Entra ID through the environment's default
 *   credential chain (environment variables, workload identity, managed identity, Azure CLI …);
 * - `azure-active-directory-msi-vm`: the managed identity of the VM or container (`clientId` for
 *   a user-assigned one);
 * - `azure-active-directory-service-principal-secret`: an app registration, `clientId` and
 *   `tenantId`, its client secret as the password.
 */
export type MssqlAuthentication =
  | { readonly type: 'sql' }
  | { readonly type: 'ntlm'; readonly domain: string }
  | { readonly type: 'azure-active-directory-default'; readonly clientId?: string }
  | { readonly type: 'azure-active-directory-msi-vm'; readonly clientId?: string }
  | {
      readonly type: 'azure-active-directory-service-principal-secret';
      readonly clientId: string;
      readonly tenantId: string;
    };

/** tedious's `authentication` for the types we support. */
export type TediousAuthentication =
  | { readonly type: 'default'; readonly options: { readonly userName: string; readonly password: string } }
  | {
      readonly type: 'ntlm';
      readonly options: { readonly userName: string; readonly password: string; readonly domain: string };
    }
  | {
      readonly type: 'azure-active-directory-default' | 'azure-active-directory-msi-vm';
      readonly options: { readonly clientId?: string };
    }
  | {
      readonly type: 'azure-active-directory-service-principal-secret';
      readonly options: { readonly clientId: string; readonly clientSecret: string; readonly tenantId: string };
    };

/** The URL parameters of the authentication (beside `encrypt` & co.). */
export const MSSQL_AUTH_URL_PARAMS: readonly string[] = ['authentication', 'domain', 'clientId', 'tenantId'];

const invalid = (message: string): DbError => new DbError(DbErrorCode.OPTION_INVALID, message);
const urlInvalid = (message: string): DbError =>
  new DbError(
    DbErrorCode.URL_INVALID,
    `${message}. Write it as mssql://USER@HOST:PORT/DB?authentication=TYPE (types: ${MSSQL_AUTHENTICATION_TYPES.join(', ')}).`,
  );

/** Whether the type logs in with a user name from the URL. */
export function needsUser(type: MssqlAuthenticationType): boolean {
  return type === 'sql' || type === 'ntlm';
}

/** Whether the type needs a secret (password or client secret). */
export function needsSecret(type: MssqlAuthenticationType): boolean {
  return type === 'sql' || type === 'ntlm' || type === 'azure-active-directory-service-principal-secret';
}

/**
 * The authentication named by URL parameters, or undefined when the URL names none.
 * Throws `DB_URL_INVALID` for an unknown type or a missing or stray parameter.
 *
 * @example
 * ```ts
 * authenticationFromUrlParams(new URLSearchParams('authentication=ntlm&domain=CORP')); // { type: 'ntlm', domain: 'CORP' }
 * ```
 */
export function authenticationFromUrlParams(params: URLSearchParams): MssqlAuthentication | undefined {
  const type = params.get('authentication');
  const domain = params.get('domain') ?? undefined;
  const clientId = params.get('clientId') ?? undefined;
  const tenantId = params.get('tenantId') ?? undefined;
  if (type === null) {
    const stray = ['domain', 'clientId', 'tenantId'].find((k) => params.has(k));
    if (stray !== undefined) throw urlInvalid(`The SQL Server URL parameter ${stray} needs authentication=`);
    return undefined;
  }
  const auth = {
    type,
    ...(domain === undefined ? {} : { domain }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(tenantId === undefined ? {} : { tenantId }),
  };
  try {
    return checkAuthentication(auth);
  } catch (err) {
    throw urlInvalid((err as Error).message.replace(/\.$/, ''));
  }
}

/**
 * Checks an authentication (from options or the URL) and returns it with only its own fields.
 * Throws `DB_OPTION_INVALID` naming what is missing or not allowed.
 */
export function checkAuthentication(auth: { readonly type: unknown } & Record<string, unknown>): MssqlAuthentication {
  const { type } = auth;
  if (typeof type !== 'string' || !(MSSQL_AUTHENTICATION_TYPES as readonly string[]).includes(type)) {
    throw invalid(
      `Authentication type ${JSON.stringify(type)} is not one of ${MSSQL_AUTHENTICATION_TYPES.join(', ')}.`,
    );
  }
  const allowed: Record<MssqlAuthenticationType, readonly string[]> = {
    sql: [],
    ntlm: ['domain'],
    'azure-active-directory-default': ['clientId'],
    'azure-active-directory-msi-vm': ['clientId'],
    'azure-active-directory-service-principal-secret': ['clientId', 'tenantId'],
  };
  const own = allowed[type as MssqlAuthenticationType];
  for (const key of Object.keys(auth)) {
    if (key !== 'type' && !own.includes(key)) {
      throw invalid(`Authentication ${type} takes ${own.length === 0 ? 'no parameters' : own.join(', ')}, not ${key}.`);
    }
  }
  const text = (key: string, required: boolean): string | undefined => {
    const value = auth[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw invalid(`Authentication ${type} needs ${key}.`);
    return value;
  };
  switch (type as MssqlAuthenticationType) {
    case 'sql':
      return { type: 'sql' };
    case 'ntlm':
      return { type: 'ntlm', domain: text('domain', true) as string };
    case 'azure-active-directory-default':
    case 'azure-active-directory-msi-vm': {
      const clientId = text('clientId', false);
      return { type: type as 'azure-active-directory-default', ...(clientId === undefined ? {} : { clientId }) };
    }
    default:
      return {
        type: 'azure-active-directory-service-principal-secret',
        clientId: text('clientId', true) as string,
        tenantId: text('tenantId', true) as string,
      };
  }
}

/**
 * Reads a file named by a setting as UTF-8; `DB_OPTION_INVALID` with `message(why)` when it cannot be
 * read (`why` is the system's error code, e.g. `ENOENT`, also kept as `driverCode`).
 */
export function readSettingFile(path: string, message: (why: string) => string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new DbError(DbErrorCode.OPTION_INVALID, message(typeof code === 'string' ? code : String(err)), {
      cause: err,
      ...(typeof code === 'string' ? { driverCode: code } : {}),
    });
  }
}

/**
 * Reads a secret file: its text without one trailing line break (`echo secret > file` writes one).
 * Throws `DB_OPTION_INVALID` naming the file (never its content) when it is missing, unreadable
 * or empty.
 */
export function readPasswordFile(path: string): string {
  const text = readSettingFile(
    path,
    (why) =>
      `The password file ${path} cannot be read (${why}). Check the path (DB_PASSWORD_FILE) and that the service's user may read it.`,
  );
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') {
    throw invalid(`The password file ${path} is empty. Write the password into it (a trailing line break is ignored).`);
  }
  return secret;
}

/**
 * Warns when a secret file may be read by its group or by others (mode not 0600/0400). Returns
 * whether it warned.
 */
export function warnIfSecretFileIsShared(path: string, logger: Logger): boolean {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return false;
  }
  if ((mode & 0o077) === 0) return false;
  logger.warn(
    { file: path, mode: `0${mode.toString(8)}` },
    'the password file can be read by its group or by others; restrict it with chmod 600 (owner only)',
  );
  return true;
}

/** What {@link authenticationProvider} needs. */
export interface AuthenticationInputs {
  /** From the URL; empty for the Entra types that need none. */
  readonly user: string;
  /** The URL's authentication, if any. */
  readonly urlAuthentication?: MssqlAuthentication | undefined;
  /** The URL's password, if any. */
  readonly urlPassword?: string | undefined;
  readonly authentication?: MssqlAuthentication | undefined;
  readonly password?: string | undefined;
  readonly passwordFile?: string | undefined;
}

/**
 * Checks the inputs once and returns the function that builds tedious's `authentication` for
 * each new connection — reading `passwordFile` again each time, so a rotated password is used
 * from the next connection on. Throws `DB_OPTION_INVALID` when a secret is missing or given
 * twice, or the file cannot be read; warns when the file is readable by group or others.
 *
 * @example
 * ```ts
 * const authenticate = authenticationProvider({ user: 'loader', passwordFile: '/run/secrets/db_password' }, logger);
 * new Connection({ ...config, authentication: authenticate() });
 * ```
 */
export function authenticationProvider(inputs: AuthenticationInputs, logger: Logger): () => TediousAuthentication {
  const auth: MssqlAuthentication =
    inputs.authentication === undefined
      ? (inputs.urlAuthentication ?? { type: 'sql' })
      : checkAuthentication(inputs.authentication as MssqlAuthentication & Record<string, unknown>);
  const { user, passwordFile } = inputs;
  if (inputs.password !== undefined && passwordFile !== undefined) {
    throw invalid(
      'Give the SQL Server password once: options.password (db_password) or options.passwordFile (DB_PASSWORD_FILE), not both.',
    );
  }
  const given = inputs.password ?? inputs.urlPassword;
  if (needsUser(auth.type) && user === '') {
    throw invalid(`Authentication ${auth.type} needs a login name in the URL (mssql://USER@HOST/DB).`);
  }
  let secret: () => string;
  if (!needsSecret(auth.type)) {
    if (given !== undefined || passwordFile !== undefined) {
      throw invalid(
        `Authentication ${auth.type} uses no password; remove db_password / DB_PASSWORD_FILE (or the URL's password).`,
      );
    }
    secret = () => '';
  } else if (passwordFile !== undefined) {
    readPasswordFile(passwordFile);
    warnIfSecretFileIsShared(passwordFile, logger);
    secret = () => readPasswordFile(passwordFile);
  } else if (given !== undefined && given !== '') {
    secret = () => given;
  } else {
    const what = auth.type === 'azure-active-directory-service-principal-secret' ? 'client secret' : 'password';
    throw invalid(
      `No ${what} for SQL Server ${user === '' ? 'login' : `user ${JSON.stringify(user)}`}; set the db_password environment variable or DB_PASSWORD_FILE (or pass options.password / options.passwordFile).`,
    );
  }
  return () => tediousAuthentication(auth, user, secret);
}

/** tedious's `authentication` for `auth`, with the secret read now. */
export function tediousAuthentication(
  auth: MssqlAuthentication,
  user: string,
  secret: () => string,
): TediousAuthentication {
  switch (auth.type) {
    case 'sql':
      return { type: 'default', options: { userName: user, password: secret() } };
    case 'ntlm':
      return { type: 'ntlm', options: { userName: user, password: secret(), domain: auth.domain } };
    case 'azure-active-directory-default':
    case 'azure-active-directory-msi-vm':
      return { type: auth.type, options: auth.clientId === undefined ? {} : { clientId: auth.clientId } };
    default:
      return {
        type: 'azure-active-directory-service-principal-secret',
        options: { clientId: auth.clientId, clientSecret: secret(), tenantId: auth.tenantId },
      };
  }
}
