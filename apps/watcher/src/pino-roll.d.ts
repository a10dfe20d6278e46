// pino-roll ships no type declarations: the part of its API the app uses.
declare module 'pino-roll' {
  interface PinoRollOptions {
    readonly file: string;
    readonly size?: string | number;
    readonly frequency?: 'daily' | 'hourly' | number;
    readonly limit?: { readonly count?: number; readonly removeOtherLogFiles?: boolean };
    readonly mkdir?: boolean;
    readonly mode?: number;
    readonly extension?: string;
    readonly symlink?: boolean;
    readonly dateFormat?: string;
  }
  /** Opens the first file and returns its (SonicBoom) stream, which rolls by size and frequency. */
  export default function pinoRoll(options: PinoRollOptions): Promise<unknown>;
}
